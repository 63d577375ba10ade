/*
 * log.c — what the engine and the screens reported, kept for the log
 * screen (a ring of the last lines) and appended to a log file whose path
 * the result screen names: $LIFEBOAT_LOG, else /run/lifeboat/lifeboat.log
 * on the medium, else /tmp/lifeboat.log.  tui_log() may be called from
 * the job's worker thread, so the ring is behind a mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "tui_int.h"

#define LOG_LINES 1000
#define LOG_WIDTH 160

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char ring[LOG_LINES][LOG_WIDTH];
static unsigned long count;         /* lines ever added */
static FILE *file;
static char path[256];

const char *tui_log_path(void)
{
	struct stat st;
	const char *env = getenv("LIFEBOAT_LOG");

	if (path[0])
		return path;
	if (env && *env)
		snprintf(path, sizeof path, "%s", env);
	else if (stat("/run/lifeboat", &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(path, sizeof path, "/run/lifeboat/lifeboat.log");
	else
		snprintf(path, sizeof path, "/tmp/lifeboat.log");
	return path;
}

void tui_log(const char *fmt, ...)
{
	char line[LOG_WIDTH], stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
	pthread_mutex_lock(&mu);
	snprintf(ring[count % LOG_LINES], LOG_WIDTH, "%s %s", stamp, line);
	count++;
	if (!file)
		file = fopen(tui_log_path(), "a");
	if (file) {
		fprintf(file, "%s %s\n", stamp, line);
		fflush(file);
	}
	pthread_mutex_unlock(&mu);
}

void tui_log_close(void)
{
	pthread_mutex_lock(&mu);
	if (file)
		fclose(file);
	file = NULL;
	pthread_mutex_unlock(&mu);
}

static void draw(unsigned long first, int h)
{
	char title[300];

	snprintf(title, sizeof title, "Log  (also in %s)", tui_log_path());
	tui_frame(title, "Up/Down/PgUp/PgDn scroll  Esc back");
	pthread_mutex_lock(&mu);
	unsigned long oldest = count > LOG_LINES ? count - LOG_LINES : 0;
	if (count == 0)
		tui_put(2, 2, TC_DIM, "Nothing has been reported yet.");
	for (int r = 0; r < h && first + (unsigned long)r < count; r++) {
		unsigned long i = first + (unsigned long)r;
		if (i >= oldest)
			tui_put(2 + r, 1, TC_NORMAL, "%s", ring[i % LOG_LINES]);
	}
	pthread_mutex_unlock(&mu);
	refresh();
}

void tui_log_screen(void)
{
	long first = -1;

	for (;;) {
		int h = LINES - 3 > 1 ? LINES - 3 : 1;
		pthread_mutex_lock(&mu);
		long n = (long)count, oldest = n > LOG_LINES ? n - LOG_LINES : 0;
		pthread_mutex_unlock(&mu);
		long last_top = n - h > oldest ? n - h : oldest;
		if (first < 0 || first > last_top)
			first = last_top;
		if (first < oldest)
			first = oldest;
		draw((unsigned long)first, h);
		int k = tui_key();
		if (k == 27 || k == 'q' || k == 'Q' || tui_is_enter(k))
			return;
		if (k == KEY_UP) first--;
		else if (k == KEY_DOWN) first++;
		else if (k == KEY_PPAGE) first -= h;
		else if (k == KEY_NPAGE) first += h;
		if (first < oldest)
			first = oldest;
	}
}
