/*
 * safety_part.c — the TARGET.part name of a restore or clone into a new
 * regular file (rule 3, trial 2 F13; see safety_part.h).  Backup and
 * rescue write IMAGE.part the same way (image_io.c, rescue_image.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safety_part.h"

/* PATH without the test-only "fault:" prefix (docs/cli.md): the name
 * the file system knows. */
static const char *fs_name(const char *path)
{
	return strncmp(path, "fault:", 6) ? path : path + 6;
}

int lb_part_prepare(struct lb_ctx *ctx, const char *target,
		    const char *image, char *part, size_t n)
{
	struct stat st;
	int r;

	if (snprintf(part, n, "%s.part", target) >= (int)n) {
		snprintf(ctx->msg, sizeof ctx->msg, "%.200s: name too long",
			 target);
		return -ENAMETOOLONG;
	}
	if (lstat(fs_name(target), &st) == 0)
		return 1;       /* "fault:FILE" of an existing FILE: in place */
	if (lstat(fs_name(part), &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(st.st_mode)) {
		snprintf(ctx->msg, sizeof ctx->msg, "refusing to write %.200s: "
			 "%.200s exists and is not a regular file (a new file "
			 "is written under that name first)", target, part);
		return -LB_EREFUSED;
	}
	/* A leftover of an interrupted job, unless it is what is read. */
	if ((r = lb_check_target(ctx, part, 0, image)) < 0)
		return r;
	return unlink(fs_name(part)) < 0 ? -errno : 0;
}

static int fsync_dir(const char *path)
{
	char copy[PATH_MAX];
	int fd, r = 0;

	snprintf(copy, sizeof copy, "%s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;       /* nothing to sync through */
	if (fsync(fd) < 0 && errno != EINVAL)
		r = -errno;
	close(fd);
	return r;
}

int lb_part_commit(struct lb_ctx *ctx, const char *part, const char *target)
{
	struct stat st;
	int fd, r = 0;

	part = fs_name(part);
	target = fs_name(target);
	/* Every write (tables and fix-ups after the copy too) on disk
	 * before the name says the file is finished. */
	if ((fd = open(part, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (fsync(fd) < 0 && errno != EINVAL))
		r = -errno;
	if (fd >= 0)
		close(fd);
	/* link() fails when TARGET exists; FAT and some others have no
	 * hard links: then rename, after checking TARGET is still absent. */
	if (r)
		;
	else if (link(part, target) == 0)
		unlink(part);
	else if (errno == EEXIST || lstat(target, &st) == 0)
		r = -EEXIST;
	else if (rename(part, target) < 0)
		r = -errno;
	if (r) {
		snprintf(ctx->msg, sizeof ctx->msg, "the data is complete in "
			 "%.200s but it could not be renamed to %.200s: %s",
			 part, target, strerror(-r));
		return r;
	}
	return fsync_dir(target);
}
