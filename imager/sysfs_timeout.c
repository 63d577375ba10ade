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
 * process is killed before the restore, the values stay lowered until
 * the next reboot or the next rescue's end; docs/rescue.md says so.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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
			    int timeout_s, int eh_s, struct lb_sysfs_saved *s)
{
	char dir[512];

	memset(s, 0, sizeof *s);
	s->timeout = s->eh_timeout = -1;
	if (device_dir(path, dir, sizeof dir))
		return 0;
	return lb_sysfs_lower_in(ctx, dir, timeout_s, eh_s, s);
}

int lb_sysfs_lower_in(struct lb_ctx *ctx, const char *dir, int timeout_s,
		      int eh_s, struct lb_sysfs_saved *s)
{
	memset(s, 0, sizeof *s);
	s->timeout = read_int(dir, "timeout");
	s->eh_timeout = read_int(dir, "eh_timeout");
	if (s->timeout < 0 && s->eh_timeout < 0)
		return 0;
	snprintf(s->dir, sizeof s->dir, "%.250s", dir);
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
	s->dir[0] = 0;
	return r;
}
