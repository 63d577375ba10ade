/*
 * rescue_store.c — the rescue writes straight into its qcow2 image.
 *
 * The image is IMAGE.part while the rescue runs (incomplete flag in the
 * Lifeboat extension), written by the image writer (image_writer.c) one
 * guest cluster (LB_DEFAULT_CLUSTER bytes) at a time.  Rescued bytes are
 * gathered in a few cluster buffers (RS_SLOTS); a buffer is compressed and
 * stored when another cluster needs its place and at every checkpoint.
 * A cluster that is stored while some of its sectors are not read yet
 * holds zeros there; when a later pass reads more of it, the cluster is
 * read back from the image (lb_imgw_get), the new sectors are added and it
 * is stored again (the writer replaces it).
 *
 * A checkpoint (lb_rs_img_checkpoint) stores every buffer, then lets the
 * writer write its tables and the map (ddrescue mapfile text) after the
 * data, sync, and only then point the header at them (lb_imgw_checkpoint).
 * So the file on disk is always a valid qcow2 whose stored map calls
 * finished only bytes that are in it; a crash leaves the last checkpoint,
 * which lb_imgw_reopen_part opens again for --resume.
 *
 * The end (lb_rs_img_finish): the SHA-256 of the whole disk is computed
 * by reading the image back (the clusters were written out of order), the
 * map with its comment is stored, and lb_imgw_finish writes the final
 * tables, marks the image complete and renames it to IMAGE.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <nettle/sha2.h>

#include "checksum.h"
#include "rescue_int.h"

static void st_msg(struct rs *s, int r, const char *what)
{
	if (!s->ctx->msg[0])
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "%.300s.part: cannot %s: "
			 "%s", s->o->image, what, strerror(r < 0 ? -r : r));
}

/* Reads guest cluster IDX as stored so far into BUF (zeros when not). */
static int load_cluster(struct rs *s, uint64_t idx, uint8_t *buf)
{
	struct lb_cluster_map m;
	int r;

	if ((r = lb_imgw_get(s->ctx, s->w, idx, &m, s->pk, 2 * s->cs)))
		return r;
	if (m.kind == LB_CL_ZERO)
		memset(buf, 0, s->cs);
	else if (m.kind == LB_CL_RAW)
		memcpy(buf, s->pk, s->cs);
	else if (lb_codec_decompress(&s->codec, s->pk, m.len, buf, s->cs))
		return -EBADMSG;
	return 0;
}

static int all_zero(const uint8_t *b, size_t n)
{
	return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

/* Compresses and stores one buffer (zeros: not stored). */
static int put_slot(struct rs *s, struct rs_slot *sl)
{
	size_t n;
	int r;

	if (!sl->dirty)
		return 0;
	if (all_zero(sl->buf, s->cs))
		r = lb_imgw_put(s->ctx, s->w, sl->idx, LB_CL_ZERO, NULL, 0, 0);
	else if ((n = lb_codec_compress(&s->codec, sl->buf, s->cs, s->pk,
					s->cs - 1)))
		r = lb_imgw_put(s->ctx, s->w, sl->idx, LB_CL_COMPRESSED, s->pk,
				n, lb_xxh3(sl->buf, s->cs));
	else
		r = lb_imgw_put(s->ctx, s->w, sl->idx, LB_CL_RAW, sl->buf,
				s->cs, lb_xxh3(sl->buf, s->cs));
	if (r) {
		s->img_failed = 1;
		return st_msg(s, r, "store a cluster"), r;
	}
	sl->dirty = 0;
	return 0;
}

/* The buffer holding cluster IDX, loaded from the image if need be. */
static int slot_of(struct rs *s, uint64_t idx, struct rs_slot **out)
{
	struct rs_slot *v = NULL;
	int r;

	for (int i = 0; i < RS_SLOTS; i++) {
		struct rs_slot *sl = &s->slot[i];
		if (sl->buf && sl->idx == idx) {
			v = sl;
			goto found;
		}
		if (!v || !sl->buf || (v->buf && sl->age < v->age))
			v = sl;
	}
	if (!v->buf && !(v->buf = malloc(s->cs)))
		return -ENOMEM;
	if ((r = put_slot(s, v)))
		return r;
	v->idx = UINT64_MAX;
	if ((r = load_cluster(s, idx, v->buf))) {
		s->img_failed = 1;
		return st_msg(s, r, "read a cluster back"), r;
	}
	v->idx = idx;
found:
	v->age = ++s->clock;
	*out = v;
	return 0;
}

int lb_rs_img_put(struct rs *s, const uint8_t *data, uint64_t pos, size_t len)
{
	while (len) {
		uint64_t idx = pos / s->cs, at = pos % s->cs;
		size_t n = s->cs - at < len ? (size_t)(s->cs - at) : len;
		struct rs_slot *sl;
		int r;

		if ((r = slot_of(s, idx, &sl)))
			return r;
		memcpy(sl->buf + at, data, n);
		sl->dirty = 1;
		data += n;
		pos += n;
		len -= n;
	}
	return 0;
}

static int flush_slots(struct rs *s)
{
	int r = 0;

	for (int i = 0; i < RS_SLOTS && !r; i++)
		if (s->slot[i].buf)
			r = put_slot(s, &s->slot[i]);
	return r;
}

static char *map_text(struct rs *s, const char *comment, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	if (lb_rmap_write(&s->map, f, comment)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static void fill_meta(struct rs *s)
{
	struct lb_meta *m = &s->meta;

	m->source_size = s->map.size;
	m->logical_sector = s->src->logical_sector;
	m->physical_sector = s->src->physical_sector;
	snprintf(m->source_path, sizeof m->source_path, "%.127s", s->src->path);
	snprintf(m->tool_version, sizeof m->tool_version, "%s", LB_VERSION);
	m->bad_bytes = s->map.size - lb_rmap_bytes(&s->map, LB_RM_FINISHED);
}

int lb_rs_img_checkpoint(struct rs *s, const char *comment)
{
	size_t len = 0;
	char *text;
	int r;

	if (s->img_failed)      /* keep the last good checkpoint */
		return -LB_ETARGET;
	if ((r = flush_slots(s)))
		return r;
	if (!(text = map_text(s, comment, &len)))
		return st_msg(s, -ENOMEM, "write the map"), -ENOMEM;
	fill_meta(s);
	r = lb_imgw_checkpoint(s->ctx, s->w, &s->meta, text, len);
	free(text);
	if (r) {
		s->img_failed = 1;
		st_msg(s, r, "write a checkpoint");
	}
	return r;
}

/* The compression of an image being reopened (its header's type). */
static enum lb_compress part_compress(struct rs *s)
{
	struct lb_imgr *r;
	char part[4200];
	enum lb_compress c = s->o->compress;
	struct lb_ctx tmp = { 0 };

	snprintf(part, sizeof part, "%s.part", s->o->image);
	if (!lb_imgr_open(&tmp, part, 1, &r)) {
		c = r->h.compression_type == QCOW2_COMPRESS_ZSTD ?
		    LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB;
		s->cs = (uint64_t)1 << r->h.cluster_bits;
		lb_imgr_close(r);
	}
	return c;
}

int lb_rs_img_open(struct rs *s, int reopen)
{
	struct lb_imgw_opts wo = {
		.cluster_bits = 20, .size = s->src->size,
		.compress = s->o->compress,
	};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int r;

	s->cs = LB_DEFAULT_CLUSTER;
	if (reopen)
		wo.compress = part_compress(s);   /* and s->cs */
	if (!(s->pk = malloc(2 * s->cs)) ||
	    lb_codec_init(&s->codec, wo.compress, 0))
		return -ENOMEM;
	s->codec_ok = 1;
	if (reopen) {
		if ((r = lb_imgw_reopen_part(s->ctx, s->o->image, &s->meta, &s->w)))
			return r == -EBADMSG ? -LB_EBADIMAGE : r;
		return 0;
	}
	memset(&s->meta, 0, sizeof s->meta);
	s->meta.version = LB_META_VERSION;
	s->meta.created = sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
	if ((r = lb_imgw_create(s->ctx, s->o->image, &wo, &s->w)))
		return r;
	return lb_rs_img_checkpoint(s, "Rescue started");
}

/* The SHA-256 of the whole disk (as the image holds it) into META. */
static int hash_disk(struct rs *s, int raw_fd)
{
	struct sha256_ctx sha;
	uint8_t *buf = malloc(s->cs);
	uint64_t n = (s->map.size + s->cs - 1) / s->cs;
	int r = buf ? 0 : -ENOMEM;

	sha256_init(&sha);
	for (uint64_t i = 0; i < n && !r; i++) {
		uint64_t len = s->map.size - i * s->cs;
		if (len > s->cs)
			len = s->cs;
		if ((r = load_cluster(s, i, buf)))
			break;
		sha256_update(&sha, (size_t)len, buf);
		if (raw_fd >= 0 && !all_zero(buf, (size_t)len) &&
		    pwrite(raw_fd, buf, (size_t)len, (off_t)(i * s->cs)) !=
		    (ssize_t)len)
			r = -errno;
	}
	sha256_digest(&sha, SHA256_DIGEST_SIZE, s->meta.sha256);
	free(buf);
	return r;
}

/* A disk whose first sector looks like a partition table or a boot
 * sector (0x55AA), or holds an ext superblock, may have files to list. */
static int may_have_files(struct rs *s)
{
	uint8_t *b = malloc(s->cs);
	int yes = 0;

	if (b && !load_cluster(s, 0, b))
		yes = (b[510] == 0x55 && b[511] == 0xaa) ||
		      (s->cs > 1081 && b[1080] == 0x53 && b[1081] == 0xef);
	free(b);
	return yes;
}

int lb_rs_img_finish(struct rs *s, char *(*comment)(struct rs *, const char *))
{
	char scan[4200];
	int fd = -1, r;
	char *text;

	if ((r = flush_slots(s)))
		return r;
	snprintf(scan, sizeof scan, "%s.rescue-scan", s->o->image);
	/* the file walkers read a raw disk: a sparse copy, only when some
	 * bytes were lost and there may be files to name */
	if (lb_rmap_bytes(&s->map, LB_RM_FINISHED) < s->map.size &&
	    may_have_files(s)) {
		fd = open(scan, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0 && ftruncate(fd, (off_t)s->map.size) < 0) {
			close(fd);
			fd = -1;
		}
	}
	r = hash_disk(s, fd);
	if (fd >= 0)
		close(fd);
	text = r ? NULL : comment(s, fd >= 0 ? scan : NULL);
	unlink(scan);
	if (r)
		return st_msg(s, r, "read the image back"), r;
	r = lb_rs_img_checkpoint(s, text ? text : "Rescue by Lifeboat");
	free(text);
	if (r)
		return r;
	r = lb_imgw_finish(s->ctx, s->w, &s->meta);
	s->w = NULL;            /* freed by finish either way */
	if (r)
		st_msg(s, r, "finish the image");
	return r;
}

void lb_rs_img_close(struct rs *s)
{
	for (int i = 0; i < RS_SLOTS; i++)
		free(s->slot[i].buf);
	if (s->w)
		lb_imgw_abort(s->w);    /* keeps IMAGE.part once checkpointed */
	s->w = NULL;
	if (s->codec_ok)
		lb_codec_free(&s->codec);
	free(s->pk);
}
