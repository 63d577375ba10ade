/*
 * rescue_image.c — the finished rescue as a Lifeboat image, with its map.
 *
 * The rescued bytes are in the raw work file (holes where nothing could be
 * read, so unreadable sectors read as zeros).  lb_backup turns it into a
 * qcow2 image through the image writer (A's code, unchanged), under the
 * temporary name IMAGE.rescue-img.  Then the map, as GNU ddrescue mapfile
 * text, is appended after the image's last byte (512-byte aligned, outside
 * every cluster qcow2 refcounts, so `qemu-img check` stays clean), and the
 * Lifeboat header extension ("LBOT", image_meta.h) is rewritten in place
 * with the fields it reserved for this: rescue_map_offset and
 * rescue_map_length (bytes), bad_bytes (bytes the map does not call
 * finished), and file_size grown to cover the map.  Only then is the file
 * synced and renamed to IMAGE (rule 3: an image never looks complete
 * before it is).  A split image (FAT destination) keeps no map inside.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev.h"
#include "image.h"
#include "rescue.h"

#define HDR_READ (64u << 10)    /* the smallest cluster: header + extensions */
#define MAP_MAX (256u << 20)

/* Reads the header cluster of FD and decodes the Lifeboat extension. */
static int read_meta(struct lb_ctx *ctx, int fd, const char *image,
		     uint8_t *buf, struct qcow2_header *h, struct lb_meta *m)
{
	struct stat st;
	ssize_t n;
	int r;

	if (fstat(fd, &st) < 0 || (n = pread(fd, buf, HDR_READ, 0)) < 0)
		return snprintf(ctx->msg, sizeof ctx->msg, "%s: %s", image,
				strerror(errno)), -errno;
	if ((r = qcow2_parse_header(buf, (size_t)n, (uint64_t)st.st_size, h,
				    ctx->msg, sizeof ctx->msg)))
		return r;
	if (!h->lb_ext_offset || h->lb_ext_offset + h->lb_ext_len > (size_t)n)
		return snprintf(ctx->msg, sizeof ctx->msg, "%s: not a Lifeboat "
				"image (no LBOT header extension)", image),
		       -ENOENT;
	return lb_meta_decode(buf + h->lb_ext_offset, h->lb_ext_len, m,
			      ctx->msg, sizeof ctx->msg);
}

static int write_all(int fd, const void *b, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = pwrite(fd, (const char *)b + done, n - done,
				   (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -ENOSPC;
		done += (size_t)w;
	}
	return 0;
}

/* The map as mapfile text, malloc'd in *TEXT. */
static int map_text(const struct lb_rmap *m, const char *comment,
		    char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	int r;

	if (!f)
		return -ENOMEM;
	r = lb_rmap_write(m, f, comment ? comment :
			  "Stored in a Lifeboat image (rescue map)");
	if (fclose(f) && !r)
		r = -ENOMEM;
	return r;
}

/* Appends the map and updates the extension of the image at PATH. */
static int store_map(struct lb_ctx *ctx, const char *path,
		     const struct lb_rmap *m, const struct lb_dev *src,
		     const char *comment)
{
	uint8_t *buf = malloc(HDR_READ);
	int fd = open(path, O_RDWR | O_CLOEXEC), r = -ENOMEM;
	struct qcow2_header h;
	struct lb_meta meta;
	char *text = NULL;
	size_t len = 0;
	struct stat st;

	if (fd < 0 || !buf || fstat(fd, &st) < 0) {
		r = fd < 0 ? -errno : r;
		goto out;
	}
	if ((r = read_meta(ctx, fd, path, buf, &h, &meta)) ||
	    meta.pieces > 1 || (r = map_text(m, comment, &text, &len)))
		goto out;
	meta.rescue_map_offset = ((uint64_t)st.st_size + 511) / 512 * 512;
	meta.rescue_map_length = len;
	meta.bad_bytes = m->size - lb_rmap_bytes(m, LB_RM_FINISHED);
	meta.file_size = meta.rescue_map_offset + len;
	if (src) {
		snprintf(meta.source_path, sizeof meta.source_path, "%.127s",
			 src->path);
		meta.logical_sector = src->logical_sector;
		meta.physical_sector = src->physical_sector;
	}
	lb_meta_encode(&meta, buf + h.lb_ext_offset);
	if (!(r = write_all(fd, text, len, meta.rescue_map_offset)) &&
	    !(r = write_all(fd, buf + h.lb_ext_offset, LB_META_LEN,
			    h.lb_ext_offset)) && fsync(fd) < 0)
		r = -errno;
	if (r && !ctx->msg[0])
		snprintf(ctx->msg, sizeof ctx->msg, "%.300s: cannot store "
			 "the rescue map: %s", path, strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(text);
	return r;
}

static void sync_dir(const char *path)
{
	char *c = strdup(path);
	int fd = c ? open(dirname(c), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(c);
}

int lb_rescue_write_image(struct lb_ctx *ctx, const char *data,
			  const char *image, const struct lb_rmap *m,
			  const struct lb_dev *src, enum lb_compress compress,
			  const char *comment)
{
	char tmp[4200];
	struct lb_backup_opts bo = {
		.source = { .path = data }, .compress = compress, .raw = 1,
		.overwrite = 1,
	};
	int r;

	snprintf(tmp, sizeof tmp, "%s.rescue-img", image);
	bo.image = tmp;
	if ((r = lb_backup(ctx, &bo)))
		return r;
	if ((r = store_map(ctx, tmp, m, src, comment))) {
		unlink(tmp);
		return r == -ENOENT || r == -EBADMSG ? -LB_EBADIMAGE : r;
	}
	if (rename(tmp, image) < 0) {
		snprintf(ctx->msg, sizeof ctx->msg, "cannot rename %.200s to %.200s: %s",
			 tmp, image, strerror(errno));
		return -LB_ETARGET;
	}
	sync_dir(image);
	return 0;
}

int lb_rescue_map_from_image(struct lb_ctx *ctx, const char *image,
			     struct lb_rmap *m)
{
	return lb_rescue_map_load_text(ctx, image, m, NULL);
}

int lb_rescue_map_load_text(struct lb_ctx *ctx, const char *image,
			    struct lb_rmap *m, char **textp)
{
	uint8_t *buf = malloc(HDR_READ);
	int fd = open(image, O_RDONLY | O_CLOEXEC), r = -ENOMEM;
	struct qcow2_header h;
	struct lb_meta meta;
	char *text = NULL;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(ctx->msg, sizeof ctx->msg, "%s: %s", image,
			 strerror(errno));
		goto out;
	}
	if (!buf || (r = read_meta(ctx, fd, image, buf, &h, &meta)))
		goto out;
	r = -ENOENT;
	if (!meta.rescue_map_length) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s holds no rescue map "
			 "(not made by `lifeboat rescue`)", image);
		goto out;
	}
	r = -EBADMSG;
	if (meta.rescue_map_length > MAP_MAX ||
	    meta.rescue_map_offset > (uint64_t)st.st_size ||
	    meta.rescue_map_length > (uint64_t)st.st_size -
				     meta.rescue_map_offset) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: the rescue map "
			 "(%" PRIu64 " bytes at byte %" PRIu64 ") lies outside "
			 "the file", image, meta.rescue_map_length,
			 meta.rescue_map_offset);
		goto out;
	}
	if (!(text = malloc(meta.rescue_map_length)) ||
	    pread(fd, text, meta.rescue_map_length,
		  (off_t)meta.rescue_map_offset) !=
	    (ssize_t)meta.rescue_map_length) {
		r = text ? -EIO : -ENOMEM;
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot read the rescue "
			 "map at byte %" PRIu64, image, meta.rescue_map_offset);
		goto out;
	}
	r = lb_rmap_parse(text, meta.rescue_map_length, h.size, m, ctx->msg,
			  sizeof ctx->msg);
	if (!r && textp) {
		char *t = realloc(text, meta.rescue_map_length + 1);
		if (t) {
			t[meta.rescue_map_length] = 0;
			*textp = t;
			text = NULL;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(text);
	return r;
}
