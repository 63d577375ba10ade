/*
 * sysfs_timeout.c — bounded waits on a failing SCSI/SATA/USB disk.
 *
 * The kernel waits /sys/block/X/device/timeout seconds (30 by default) for
 * each command and then runs error handling bounded by eh_timeout (10 s),
 * retrying several times: one bad sector can cost minutes.  For the
 * length of a rescue we lower both (the rescue itself comes back for what
 * failed) and put the values we found back afterwards.  A partition is
 * mapped to its disk through /sys/class/block/NAME/.. .  Devices without
 * these files (NVMe, virtio, loop, regular files) are left alone.  If the
 * process is killed before the restore, the values stay lowered; so the
 * values found are first saved next to the rescue map (IMAGE.rescue-sysfs,
 * one line "DIR<TAB>timeout<TAB>eh_timeout" after '#' comments), and the
 * next run (--resume) takes them from there rather than the lowered ones
 * it finds in sysfs, and puts them back at its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rescue.h"

static int read_int(const char *dir, const char *name)
{
	char p[512];
	FILE *f;
	int v = -1;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (!(f = fopen(p, "re")))
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_int(const char *dir, const char *name, int v)
{
	char p[512];
	FILE *f;
	int r = 0;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (!(f = fopen(p, "we")))
		return -errno;
	if (fprintf(f, "%d\n", v) < 0)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

/* /sys/block/X/device of the disk holding the block device PATH. */
static int device_dir(const char *path, char *out, size_t n)
{
	char link[128], real[PATH_MAX];
	struct stat st, pst;

	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return -ENOTBLK;
	snprintf(link, sizeof link, "/sys/dev/block/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	if (!realpath(link, real))
		return -errno;
	snprintf(out, n, "%.400s/partition", real);
	if (stat(out, &pst) == 0) {
		char *slash = strrchr(real, '/');
		if (slash)
			*slash = 0;     /* the partition's parent: the disk */
	}
	snprintf(out, n, "%.400s/device", real);
	return 0;
}

static void say(struct lb_ctx *ctx, const char *fmt, const char *dir, int a,
		int b)
{
	char line[600];

	if (!ctx->log)
		return;
	snprintf(line, sizeof line, fmt, dir, a, b);
	ctx->log(line, ctx->user);
}

int lb_sysfs_lower_timeouts(struct lb_ctx *ctx, const char *path,
			    int timeout_s, int eh_s, const char *state,
			    struct lb_sysfs_saved *s)
{
	char dir[512];

	memset(s, 0, sizeof *s);
	s->timeout = s->eh_timeout = -1;
	if (device_dir(path, dir, sizeof dir))
		return 0;
	return lb_sysfs_lower_in(ctx, dir, timeout_s, eh_s, state, s);
}

/* Reads STATE; 1 when it names DIR (then *T and *EH are the originals).
 * At most 16 lines are looked at. */
static int state_load(const char *state, const char *dir, int *t, int *eh)
{
	char line[600], d[300];
	FILE *f = fopen(state, "re");
	int found = 0, a, b;

	if (!f)
		return 0;
	for (int n = 0; n < 16 && !found && fgets(line, sizeof line, f); n++)
		if (line[0] != '#' &&
		    sscanf(line, "%299[^\t]\t%d\t%d", d, &a, &b) == 3 &&
		    !strcmp(d, dir) && a >= -1 && b >= -1) {
			*t = a;
			*eh = b;
			found = 1;
		}
	fclose(f);
	return found;
}

/* Writes the originals in S to s->state: temporary name, fsync, rename. */
static int state_save(const struct lb_sysfs_saved *s)
{
	char tmp[4300], text[512];
	int fd, n, r = 0;

	snprintf(tmp, sizeof tmp, "%s.tmp", s->state);
	n = snprintf(text, sizeof text, "# lifeboat rescue: the source disk's "
		     "sysfs timeouts before they were lowered; put back at the "
		     "end of the rescue (also after --resume)\n%s\t%d\t%d\n",
		     s->dir, s->timeout, s->eh_timeout);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || fsync(fd) < 0)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, s->state) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int lb_sysfs_lower_in(struct lb_ctx *ctx, const char *dir, int timeout_s,
		      int eh_s, const char *state, struct lb_sysfs_saved *s)
{
	memset(s, 0, sizeof *s);
	s->timeout = read_int(dir, "timeout");
	s->eh_timeout = read_int(dir, "eh_timeout");
	if (s->timeout < 0 && s->eh_timeout < 0)
		return 0;
	snprintf(s->dir, sizeof s->dir, "%.250s", dir);
	if (state) {
		snprintf(s->state, sizeof s->state, "%s", state);
		if (state_load(state, s->dir, &s->timeout, &s->eh_timeout))
			say(ctx, "rescue: %s: an earlier run left the timeouts "
			    "lowered; the originals %d s and %d s are taken from "
			    "its saved state", dir, s->timeout, s->eh_timeout);
		else if (state_save(s) < 0) {
			say(ctx, "rescue: %s: could not save the timeouts %d s and "
			    "%d s; they are left as they are", dir, s->timeout,
			    s->eh_timeout);
			s->dir[0] = 0;  /* never lower what we could not save */
			return 0;
		}
	}
	if (s->timeout > timeout_s)
		write_int(dir, "timeout", timeout_s);
	if (s->eh_timeout > eh_s)
		write_int(dir, "eh_timeout", eh_s);
	say(ctx, "rescue: %s: command timeout %d s, error handling %d s for "
	    "the rescue", dir, read_int(dir, "timeout"),
	    read_int(dir, "eh_timeout"));
	return 0;
}

int lb_sysfs_restore_timeouts(struct lb_ctx *ctx, struct lb_sysfs_saved *s)
{
	int r = 0;

	if (!s->dir[0])
		return 0;
	if (s->timeout >= 0)
		r = write_int(s->dir, "timeout", s->timeout);
	if (s->eh_timeout >= 0 && !r)
		r = write_int(s->dir, "eh_timeout", s->eh_timeout);
	say(ctx, "rescue: %s: command timeout %d s, error handling %d s "
	    "restored", s->dir, s->timeout, s->eh_timeout);
	if (!r && s->state[0])
		unlink(s->state);       /* put back: nothing left to remember */
	s->dir[0] = 0;
	return r;
}
