/*
 * rescue_image.c — reading the rescue map stored in a Lifeboat image.
 *
 * The rescue (rescue_store.c) stores the map, as GNU ddrescue mapfile
 * text, inside its image at every checkpoint (lb_imgw_checkpoint) and
 * names it in the Lifeboat header extension ("LBOT", image_meta.h):
 * rescue_map_offset and rescue_map_length (bytes), bad_bytes (bytes the
 * map does not call finished).  The text lies in space qcow2 does not
 * refcount, so `qemu-img check` stays clean.  This file finds, bounds and
 * parses it, for info, --export-map and --resume, in finished images and
 * in IMAGE.part alike (only the header is read).
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
	uint64_t size;

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
	/* the header's size is the source's rounded up to 512 bytes; the
	 * map covers the source itself (LBOT source_size) */
	size = meta.source_size <= h.size && meta.source_size + 512 > h.size ?
	       meta.source_size : h.size;
	r = lb_rmap_parse(text, meta.rescue_map_length, size, m, ctx->msg,
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
