/* tests/bench/badlat_plugin.c — a tiny nbdkit plugin for the rescue bench's
 * latency scenario (tests/bench/rescue.sh), compiled at run time by
 * nbdkit's cc plugin:
 *
 *   nbdkit cc tests/bench/badlat_plugin.c file=DISK map=MAPFILE ms=5
 *
 * Serves DISK read-only.  MAPFILE is a GNU ddrescue mapfile (ddrescue
 * manual, "Mapfile structure"): every block whose status is not '+' is bad,
 * exactly as nbdkit's ddrescue filter reads it.  A pread touching a bad
 * block sleeps `ms` milliseconds (a failing drive's internal retries) and
 * then fails with EIO; any other pread costs nothing extra.  Requests are
 * serialised (one drive, one command at a time), so concurrent reads to
 * bad areas cannot hide each other's delay.
 * Needs nbdkit-plugin-dev (nbdkit-plugin.h).  Not part of lifeboat.
 */
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct range { uint64_t start, end; };    /* bytes, end exclusive */

static const char *file, *map;
static unsigned ms;
static struct range *bad;
static size_t nbad;
static int fd = -1;
static int64_t size;

static int badlat_config(const char *key, const char *value)
{
	if (strcmp(key, "file") == 0)
		file = value;
	else if (strcmp(key, "map") == 0)
		map = value;
	else if (strcmp(key, "ms") == 0)
		ms = (unsigned)strtoul(value, NULL, 10);
	else {
		nbdkit_error("unknown parameter '%s'", key);
		return -1;
	}
	return 0;
}

/* Reads MAPFILE: comments '#', then the status line, then
 * "pos size status" lines; keeps the blocks not marked '+'. */
static int load_map(void)
{
	FILE *f = fopen(map, "r");
	char line[256], st;
	unsigned long long p, s;
	int seen_status = 0;

	if (!f) {
		nbdkit_error("%s: %m", map);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!seen_status++)
			continue;
		if (sscanf(line, "%lli %lli %c", &p, &s, &st) != 3 || st == '+')
			continue;
		bad = realloc(bad, (nbad + 1) * sizeof *bad);
		if (!bad) {
			fclose(f);
			return -1;
		}
		bad[nbad++] = (struct range){ p, p + s };
	}
	fclose(f);
	return 0;
}

static int badlat_config_complete(void)
{
	struct stat sb;

	if (!file || !map) {
		nbdkit_error("file= and map= are required");
		return -1;
	}
	if (load_map() < 0)
		return -1;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		nbdkit_error("%s: %m", file);
		return -1;
	}
	size = sb.st_size;
	return 0;
}

static void *badlat_open(int readonly)
{
	(void)readonly;
	return &fd;
}

static int64_t badlat_get_size(void *h)
{
	(void)h;
	return size;
}

static int badlat_can_write(void *h)
{
	(void)h;
	return 0;
}

static int touches_bad(uint64_t off, uint64_t len)
{
	for (size_t i = 0; i < nbad; i++)
		if (off < bad[i].end && off + len > bad[i].start)
			return 1;
	return 0;
}

static int badlat_pread(void *h, void *buf, uint32_t count, uint64_t off,
			uint32_t flags)
{
	(void)h;
	(void)flags;
	if (touches_bad(off, count)) {
		struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000L };
		while (nanosleep(&d, &d) < 0 && errno == EINTR)
			;
		nbdkit_set_error(EIO);
		return -1;
	}
	while (count > 0) {
		ssize_t r = pread(fd, buf, count, (off_t)off);
		if (r <= 0) {
			nbdkit_error("pread: %m");
			return -1;
		}
		buf = (char *)buf + r;
		count -= (uint32_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

#define THREAD_MODEL NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS

static struct nbdkit_plugin plugin = {
	.name = "badlat",
	.config = badlat_config,
	.config_complete = badlat_config_complete,
	.open = badlat_open,
	.get_size = badlat_get_size,
	.can_write = badlat_can_write,
	.pread = badlat_pread,
};

NBDKIT_REGISTER_PLUGIN(plugin)
