/*
 * cli_ui.c — what the `lifeboat` command shows and asks while a job runs:
 * the progress display (one redrawn line on a terminal, plain periodic
 * lines otherwise), Ctrl-C turning into a clean cancel, the typed
 * confirmation before anything is overwritten, and size arguments.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "devices_sys.h"

/* The job being run, for the signal handler (the CLI runs one at a time). */
static struct lb_ctx *running;
static int bar_open;            /* a progress line is on the screen */
static double last_plain;       /* when the last plain line was printed */
static uint64_t last_written;   /* p->written of the latest report */

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		running->cancel = 1;
}

/* Every size in words the command prints goes through here: three
 * significant digits in binary units ("8.00 MiB", "22.0 MiB", "100 MiB"),
 * the same rule as the engine's messages (lb_human_size). */
const char *cli_human(uint64_t bytes, char *buf, size_t n)
{
	return lb_human_size(bytes, buf, n);
}

static void fmt_eta(double eta, char *buf, size_t n)
{
	long s = (long)(eta + 0.5);

	if (eta < 0 || eta > 359999)
		snprintf(buf, n, "--:--");
	else if (s >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* BPS as "12.3 MiB/s", or "-/s" when not known yet (progress.h: a rate
 * is 0 until enough time has passed to measure it). */
static const char *rate_str(double bps, char *buf, size_t n)
{
	char h[32];

	snprintf(buf, n, "%s/s", bps > 0 ? cli_human((uint64_t)bps, h, sizeof h)
					  : "-");
	return buf;
}

static void draw_bar(const struct lb_progress *p, double pct)
{
	char d[32], t[32], r[32], e[32], bar[31];
	int fill = (int)(pct / 100 * 30);

	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = 0;
	fmt_eta(p->eta, e, sizeof e);
	fprintf(stderr, "\r\033[K%-7s [%s] %5.1f%%  %s / %s  %s  ETA %s",
		lb_phase_name(p->phase), bar, pct, cli_human(p->done, d, sizeof d),
		cli_human(p->total, t, sizeof t),
		rate_str(p->rate > 0 ? p->rate : p->avg_rate, r, sizeof r), e);
	bar_open = 1;
}

static int on_progress(const struct lb_progress *p, void *user)
{
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 0;
	char d[32], t[32], r[32], e[32], w[48] = "";

	(void)user;
	last_written = p->written;
	if (isatty(STDERR_FILENO)) {
		draw_bar(p, pct);
		return 0;
	}
	if (mono() - last_plain < 5 && p->phase != LB_PHASE_DONE && p->done != p->total)
		return 0;
	last_plain = mono();
	if (p->total == 0) {
		fprintf(stderr, "%s ...\n", lb_phase_name(p->phase));
		return 0;
	}
	fmt_eta(p->eta, e, sizeof e);
	if (p->written)
		snprintf(w, sizeof w, ", %s written", cli_human(p->written, t, sizeof t));
	fprintf(stderr, "%s: %.1f%% %llu of %llu bytes (%s of %s), %s, ETA %s%s\n",
		lb_phase_name(p->phase), pct, (unsigned long long)p->done,
		(unsigned long long)p->total, cli_human(p->done, d, sizeof d),
		cli_human(p->total, t, sizeof t),
		rate_str(p->avg_rate, r, sizeof r), e, w);
	return 0;
}

static void on_log(const char *line, void *user)
{
	(void)user;
	cli_progress_end();
	fprintf(stderr, "lifeboat: %s\n", line);
}

uint64_t cli_written(void)
{
	return last_written;
}

void cli_progress_end(void)
{
	if (bar_open)
		fputc('\n', stderr);
	bar_open = 0;
}

void cli_ctx_init(struct lb_ctx *ctx)
{
	struct sigaction sa;

	memset(ctx, 0, sizeof *ctx);
	last_written = 0;
	ctx->progress = on_progress;
	ctx->log = on_log;
	running = ctx;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGXFSZ, SIG_IGN);       /* a file-size limit becomes EFBIG */
	signal(SIGPIPE, SIG_IGN);
}

int cli_fail(const char *verb, struct lb_ctx *ctx, int err)
{
	return cli_fail_as(verb, ctx, err, LB_EXIT_FAILURE);
}

int cli_fail_as(const char *verb, struct lb_ctx *ctx, int err, int role)
{
	int code = lb_exit_code(err);

	if (code == LB_EXIT_FAILURE)
		code = role;

	cli_progress_end();
	fprintf(stderr, "lifeboat: %s FAILED: %s\n", verb,
		ctx->msg[0] ? ctx->msg : lb_strerror(err));
	if (code == LB_EXIT_CANCELLED)
		fprintf(stderr, "lifeboat: %s was cancelled; what it wrote is "
			"incomplete\n", verb);
	return code;
}
