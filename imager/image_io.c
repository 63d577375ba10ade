/*
 * image_io.c — byte-addressed I/O over the files of one image (single file
 * or split set) and the planning of its destination.  See image_io.h for
 * the naming scheme.  Only this file knows that an image may be several
 * files; the writer and reader see one byte range.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "image_io.h"

#define MSDOS_MAGIC 0x4d44      /* statfs f_type of FAT (vfat, msdos) */

void lb_imsg(struct lb_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
	va_end(ap);
}

void lb_piece_name(char *out, size_t outsz, const char *base, int i, int part)
{
	if (i == 0)
		snprintf(out, outsz, "%s%s", base, part ? ".part" : "");
	else
		snprintf(out, outsz, "%s.%03d%s", base, i, part ? ".part" : "");
}

static int open_piece(struct lb_ctx *ctx, struct lb_pieces *p, int i)
{
	char name[4200];

	lb_piece_name(name, sizeof name, p->base, i, 1);
	p->fd[i] = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (p->fd[i] < 0) {
		int e = errno;
		lb_imsg(ctx, "cannot create %s: %s", name,
			 strerror(e));
		return e == ENOSPC || e == EFBIG || e == EDQUOT ? -e : -LB_ETARGET;
	}
	p->n = i + 1;
	return 0;
}

int lb_pieces_create(struct lb_ctx *ctx, struct lb_pieces *p,
		     const char *image, uint64_t split, int overwrite)
{
	memset(p, 0, sizeof *p);
	if (strlen(image) >= sizeof p->base - 16) {
		lb_imsg(ctx, "image path too long");
		return -ENAMETOOLONG;
	}
	snprintf(p->base, sizeof p->base, "%s", image);
	p->split = split;
	p->writing = 1;
	if (!overwrite && access(image, F_OK) == 0) {
		lb_imsg(ctx, "%s already exists (give "
			 "--force to replace it)", image);
		return -EEXIST;
	}
	return open_piece(ctx, p, 0);
}

int lb_pieces_reopen(struct lb_ctx *ctx, struct lb_pieces *p, const char *image)
{
	char part[4200];
	struct stat st;

	memset(p, 0, sizeof *p);
	snprintf(p->base, sizeof p->base, "%s", image);
	lb_piece_name(part, sizeof part, image, 0, 1);
	if (rename(image, part) < 0) {
		lb_imsg(ctx, "cannot rename %s to %s: %s", image, part, strerror(errno));
		return -errno;
	}
	p->writing = p->keep = 1;
	p->fd[0] = open(part, O_RDWR | O_CLOEXEC);
	if (p->fd[0] < 0 || fstat(p->fd[0], &st) < 0) {
		lb_imsg(ctx, "cannot open %s: %s", part, strerror(errno));
		return -errno;
	}
	p->n = 1;
	p->size = (uint64_t)st.st_size;
	return 0;
}

/* IMAGE.NNN (NNN 001..998) that is not a qcow2 header while IMAGE exists
 * is a later piece of a split set: say which one and what to give. */
static int later_piece(struct lb_ctx *ctx, struct lb_pieces *p,
		       const char *image)
{
	size_t l = strlen(image);
	char base[4200], magic[4] = "";
	int k;

	if (l < 5 || image[l - 4] != '.' || sscanf(image + l - 3, "%3d", &k) != 1 ||
	    k < 1 || k >= LB_MAX_PIECES || strspn(image + l - 3, "0123456789") != 3 ||
	    pread(p->fd[0], magic, 4, 0) != 4 || !memcmp(magic, "QFI\xfb", 4))
		return 0;
	snprintf(base, sizeof base, "%.*s", (int)(l - 4), image);
	if (access(base, F_OK) < 0)
		return 0;
	lb_imsg(ctx, "%s is piece %d of a split image; give the first piece %s",
		image, k + 1, base);
	lb_pieces_close(p);
	return -EBADMSG;
}

int lb_pieces_open(struct lb_ctx *ctx, struct lb_pieces *p, const char *image)
{
	struct stat st;
	char part[4200];

	memset(p, 0, sizeof *p);
	snprintf(p->base, sizeof p->base, "%s", image);
	p->fd[0] = open(image, O_RDONLY | O_CLOEXEC);
	if (p->fd[0] < 0) {
		int e = errno;
		lb_piece_name(part, sizeof part, image, 0, 1);
		if (e == ENOENT && access(part, F_OK) == 0) {
			lb_imsg(ctx, "%s is incomplete: "
				 "only %s exists (the backup did not finish)",
				 image, part);
			return -EBADMSG;
		}
		lb_imsg(ctx, "cannot open %s: %s", image,
			 strerror(e));
		return -LB_EBADIMAGE;   /* an image that cannot be read: exit 6 */
	}
	p->n = 1;
	if (fstat(p->fd[0], &st) < 0 || !S_ISREG(st.st_mode)) {
		lb_imsg(ctx, "%s is not a regular file, so not a qcow2 image",
			 image);
		lb_pieces_close(p);
		return -EBADMSG;
	}
	p->size = (uint64_t)st.st_size;
	return later_piece(ctx, p, image);
}

static int piece_size_ok(struct lb_ctx *ctx, const char *name, int fd,
			 uint64_t want)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size == want)
		return 0;
	lb_imsg(ctx, "split piece %s is %jd bytes, "
		 "expected %" PRIu64 " (truncated or wrong piece)", name,
		 (intmax_t)st.st_size, want);
	return -EBADMSG;
}

int lb_pieces_open_split(struct lb_ctx *ctx, struct lb_pieces *p,
			 uint32_t n, uint64_t split, uint64_t total)
{
	char name[4200];
	int r;

	if (n < 1 || n > LB_MAX_PIECES || !split || total <= (uint64_t)(n - 1) * split ||
	    total > (uint64_t)n * split) {
		lb_imsg(ctx, "%s: split layout (%" PRIu32
			 " pieces of %" PRIu64 " bytes, %" PRIu64 " in all) is "
			 "impossible", p->base, n, split, total);
		return -EBADMSG;
	}
	if (n > 1 && p->size == total)
		return 0;       /* the pieces joined with cat: one file, read whole */
	p->split = split;
	if (n > 1 && (r = piece_size_ok(ctx, p->base, p->fd[0], split)))
		return r;
	for (uint32_t i = 1; i < n; i++) {
		lb_piece_name(name, sizeof name, p->base, (int)i, 0);
		p->fd[i] = open(name, O_RDONLY | O_CLOEXEC);
		if (p->fd[i] < 0) {
			lb_imsg(ctx, "split piece %s of %"
				 PRIu32 " is missing: %s", name, n, strerror(errno));
			return -EBADMSG;
		}
		p->n = (int)i + 1;
		r = piece_size_ok(ctx, name, p->fd[i],
				  i + 1 < n ? split : total - (uint64_t)i * split);
		if (r)
			return r;
	}
	p->size = total;
	return 0;
}

/* Splits [off, off+len) at piece boundaries: piece index and local offset. */
static void locate(const struct lb_pieces *p, uint64_t off, int *i,
		   uint64_t *local, size_t *n, size_t len)
{
	if (!p->split) {
		*i = 0; *local = off; *n = len;
		return;
	}
	*i = (int)(off / p->split);
	*local = off % p->split;
	*n = p->split - *local < len ? (size_t)(p->split - *local) : len;
}

static int write_err(struct lb_ctx *ctx, struct lb_pieces *p, int i,
		     uint64_t local, uint64_t off, int e)
{
	char name[4200];

	lb_piece_name(name, sizeof name, p->base, i, 1);
	lb_imsg(ctx, "writing %s at byte %" PRIu64
		 " (image byte %" PRIu64 ") failed: %s", name, local, off,
		 e ? strerror(e) : "short write");
	if (e == ENOSPC || e == EFBIG || e == EDQUOT)
		return -e;
	return -LB_ETARGET;
}

int lb_pieces_pwrite(struct lb_ctx *ctx, struct lb_pieces *p, const void *buf,
		     size_t len, uint64_t off)
{
	const char *b = buf;
	int i, r;
	uint64_t local;
	size_t n;

	while (len) {
		locate(p, off, &i, &local, &n, len);
		if (i >= LB_MAX_PIECES) {
			lb_imsg(ctx, "%s: more than %d "
				 "split pieces; use a larger split size",
				 p->base, LB_MAX_PIECES - 1);
			return -EFBIG;
		}
		while (p->n <= i)
			if ((r = open_piece(ctx, p, p->n)))
				return r;
		ssize_t w = pwrite(p->fd[i], b, n, (off_t)local);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return write_err(ctx, p, i, local, off, w < 0 ? errno : 0);
		b += w; off += (uint64_t)w; len -= (size_t)w;
		if (off > p->size)
			p->size = off;
	}
	return 0;
}

int lb_pieces_pread(struct lb_ctx *ctx, struct lb_pieces *p, void *buf,
		    size_t len, uint64_t off)
{
	char *b = buf, name[4200];
	int i;
	uint64_t local;
	size_t n;

	if (off > p->size || len > p->size - off) {
		lb_imsg(ctx, "%s: reading %zu bytes at "
			 "byte %" PRIu64 " runs past the end of the image (%"
			 PRIu64 " bytes): truncated", p->base, len, off, p->size);
		return -EBADMSG;
	}
	while (len) {
		locate(p, off, &i, &local, &n, len);
		ssize_t r = i < p->n ? pread(p->fd[i], b, n, (off_t)local) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			lb_piece_name(name, sizeof name, p->base, i, p->writing);
			lb_imsg(ctx, "reading %s at byte %"
				 PRIu64 " failed: %s", name, local,
				 r < 0 ? strerror(errno) : "unexpected end of file");
			return r < 0 ? -EIO : -EBADMSG;
		}
		b += r; off += (uint64_t)r; len -= (size_t)r;
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	char tmp[4200];
	int fd, r;

	snprintf(tmp, sizeof tmp, "%s", path);
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
	close(fd);
	return r;
}

int lb_pieces_commit(struct lb_ctx *ctx, struct lb_pieces *p, uint64_t size)
{
	char from[4200], to[4200];
	int last = p->split ? (int)((size - 1) / p->split) : 0;

	for (int i = 0; i < p->n; i++) {
		uint64_t want = !p->split ? size : i < last ? p->split :
				i == last ? size - (uint64_t)i * p->split : 0;
		lb_piece_name(from, sizeof from, p->base, i, 1);
		if (ftruncate(p->fd[i], (off_t)want) < 0 || fsync(p->fd[i]) < 0)
			return write_err(ctx, p, i, want, size, errno);
	}
	for (int i = p->n - 1; i >= 0; i--) {
		lb_piece_name(from, sizeof from, p->base, i, 1);
		lb_piece_name(to, sizeof to, p->base, i, 0);
		if (i > last ? unlink(from) < 0 : rename(from, to) < 0) {
			lb_imsg(ctx, "renaming %s to %s "
				 "failed: %s", from, to, strerror(errno));
			return -LB_ETARGET;
		}
	}
	p->writing = 0;
	/* Pieces of an older, longer set of the same name would join the new
	 * one under `cat IMAGE*`: remove them. */
	for (int i = last + 1; i < LB_MAX_PIECES; i++) {
		lb_piece_name(to, sizeof to, p->base, i, 0);
		if (unlink(to) < 0 && errno == ENOENT)
			break;
	}
	fsync_dir(p->base);
	return 0;
}

void lb_pieces_close(struct lb_pieces *p)
{
	char name[4200];

	for (int i = 0; i < p->n; i++) {
		if (p->fd[i] >= 0)
			close(p->fd[i]);
		if (p->writing && !p->keep) {
			lb_piece_name(name, sizeof name, p->base, i, 1);
			unlink(name);
		}
	}
	p->n = 0;
}

int lb_dest_plan(struct lb_ctx *ctx, const char *image, uint64_t need,
		 uint64_t requested, uint64_t *split)
{
	char tmp[4200];
	struct statfs sf;
	struct statvfs sv;
	const char *dir;

	snprintf(tmp, sizeof tmp, "%s", image);
	dir = dirname(tmp);
	*split = requested;
	if (statfs(dir, &sf) == 0 && sf.f_type == MSDOS_MAGIC &&
	    (!requested || requested > LB_FAT_MAX_FILE))
		*split = LB_FAT_MAX_FILE;
	if (statvfs(dir, &sv) < 0) {
		lb_imsg(ctx, "cannot examine the "
			 "destination folder %s: %s", dir, strerror(errno));
		return -LB_ETARGET;     /* no such folder, no access: exit 5 */
	}
	uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need) {
		lb_imsg(ctx, "not enough free space in %s:"
			 " %" PRIu64 " bytes free, the image may need up to %"
			 PRIu64 " bytes", dir, avail, need);
		return -ENOSPC;
	}
	return 0;
}
