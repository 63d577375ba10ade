/*
 * rescue_same.c — --resume must go on with the same source (issue 6, F6).
 *
 * Before a resumed rescue reads anything into an existing image, two
 * checks decide that the source is the one the image was made from (the
 * size alone is not enough: another disk of the same size would leave an
 * image mixed from two disks that looks complete):
 *   1. identity: the model and serial recorded in the LBOT extension
 *      (image_meta.h; for a loop device the model holds its backing file)
 *      against the source's, when both sides have them;
 *   2. content: up to RS_SAMPLES areas of at most 64 KiB that the stored
 *      map calls finished (the first one, and others spread over the
 *      disk) are read from the source and compared with the image's
 *      bytes.  These reads are cheap and known to be good; an area that
 *      does not read now is left out (a failing disk is no other disk).
 * Any difference refuses (-LB_EREFUSED, exit 3) naming both sources and
 * what differed; --force does not override it (docs/rescue.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices_sys.h"
#include "rescue_int.h"

#define RS_SAMPLES      8
#define RS_SAMPLE_LEN   (64u << 10)

/* Model and serial of the source from sysfs (a loop device: its backing
 * file as the model), into M's fields; empty when there are none. */
void lb_rs_source_identity(struct rs *s, struct lb_meta *m)
{
	const char *p = strrchr(s->src->path, '/');
	char name[256];

	memset(m->model, 0, sizeof m->model);
	memset(m->serial, 0, sizeof m->serial);
	if (!s->src->is_block)
		return;
	snprintf(name, sizeof name, "%s", p ? p + 1 : s->src->path);
	if (lb_sys_read(name, "device/model", m->model, sizeof m->model))
		m->model[0] = 0;
	if (!m->model[0] && !strncmp(name, "loop", 4) &&
	    lb_sys_read(name, "loop/backing_file", m->model, sizeof m->model))
		m->model[0] = 0;
	if (lb_sys_read(name, "device/serial", m->serial, sizeof m->serial) &&
	    lb_sys_read(name, "serial", m->serial, sizeof m->serial))
		m->serial[0] = 0;
}

/* Bytes [OFF, OFF+LEN) of the image (inside one cluster) into OUT. */
static int image_bytes(struct rs *s, struct lb_imgr *r, struct lb_codec *c,
		       uint8_t *pk, uint64_t off, size_t len, uint8_t *out)
{
	struct lb_cluster_map m;
	int e;

	if ((e = lb_imgr_map(s->ctx, r, off / r->cs, &m)))
		return e;
	if (m.kind == LB_CL_ZERO) {
		memset(out, 0, len);
		return 0;
	}
	if (m.len > 2 * r->cs + 1024)
		return -EBADMSG;
	if ((e = lb_pieces_pread(s->ctx, &r->io, pk, m.len, m.off)))
		return e;
	if (m.kind == LB_CL_RAW)
		memcpy(r->tmp, pk, r->cs);
	else if ((e = lb_codec_decompress(c, pk, m.len, r->tmp, r->cs)))
		return e;
	memcpy(out, r->tmp + off % r->cs, len);
	return 0;
}

/* The K-th sample: the first finished bytes at or after size*K/N,
 * sector-aligned, inside one cluster.  Returns its length, 0: none. */
static size_t sample(const struct rs *s, const struct lb_rmap *map,
		     uint64_t cs, int k, uint64_t *pos)
{
	uint64_t at = map->size / RS_SAMPLES * (uint64_t)k / 4096 * 4096;

	for (size_t i = lb_rmap_find(map, at); i < map->n; i++) {
		const struct lb_rblock *b = &map->v[i];
		uint64_t lo = b->pos > at ? b->pos : at, hi = b->pos + b->size;
		lo = (lo + s->sec - 1) / s->sec * s->sec;
		if (b->st != LB_RM_FINISHED || lo >= hi)
			continue;
		uint64_t n = hi - lo;
		n = n < RS_SAMPLE_LEN ? n : RS_SAMPLE_LEN;
		n = n < cs - lo % cs ? n : cs - lo % cs;
		n = n / s->sec * s->sec;
		if (!n)
			continue;
		*pos = lo;
		return (size_t)n;
	}
	return 0;
}

static int refuse_content(struct rs *s, const char *image, const char *was,
			  uint64_t at)
{
	snprintf(s->ctx->msg, sizeof s->ctx->msg, "%.80s is not the source "
		 "of %.80s (rescue of %.80s): byte %" PRIu64 " (LBA %" PRIu64
		 "), rescued before, reads differently now; --resume goes on "
		 "only with the same disk", s->src->path, image,
		 was[0] ? was : "?", at,
		 at / s->sec);
	return -LB_EREFUSED;
}

/* Compares the samples; 0 when all that could be read are equal. */
static int compare(struct rs *s, const char *image, struct lb_imgr *r,
		   const struct lb_rmap *map, uint8_t *mine)
{
	enum lb_compress ct = r->h.compression_type == QCOW2_COMPRESS_ZSTD ?
			      LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB;
	uint8_t *pk = malloc(2 * r->cs + 1024);
	uint64_t pos, last = UINT64_MAX;
	struct lb_codec c;
	int e = pk ? lb_codec_init(&c, ct, 0) : -ENOMEM;

	if (e) {
		free(pk);
		return e;
	}
	for (int k = 0; k < RS_SAMPLES && !e; k++) {
		size_t n = sample(s, map, r->cs, k, &pos);
		if (!n || pos == last)
			continue;
		last = pos;
		if ((e = image_bytes(s, r, &c, pk, pos, n, mine)))
			break;
		if (lb_rs_reader_pread(s->reader, s->buf, n, pos,
				       s->read_timeout_ms) != (int64_t)n)
			continue;       /* does not read now: no verdict */
		for (size_t i = 0; i < n; i++)
			if (s->buf[i] != mine[i]) {
				e = refuse_content(s, image,
						   r->meta.source_path, pos + i);
				break;
			}
	}
	lb_codec_free(&c);
	free(pk);
	return e;
}

/* Refuses when both sides name a model or serial and they differ. */
static int compare_identity(struct rs *s, const char *image,
			    const struct lb_meta *was)
{
	struct lb_meta now;
	const char *what = NULL, *a = NULL, *b = NULL;

	lb_rs_source_identity(s, &now);
	if (was->serial[0] && now.serial[0] && strcmp(was->serial, now.serial))
		what = "serial", a = was->serial, b = now.serial;
	else if (was->model[0] && now.model[0] && strcmp(was->model, now.model))
		what = "model (a loop device: backing file)", a = was->model,
		b = now.model;
	if (!what)
		return 0;
	snprintf(s->ctx->msg, sizeof s->ctx->msg, "%.80s is not the source "
		 "of %.80s (rescue of %.80s): its %s is \"%.60s\", the "
		 "image's source had \"%.60s\"; --resume goes on only with the "
		 "same disk", s->src->path, image,
		 was->source_path[0] ? was->source_path : "?", what, b, a);
	return -LB_EREFUSED;
}

int lb_rs_same_source(struct rs *s, const char *image,
		      const struct lb_rmap *map)
{
	struct lb_imgr *r;
	uint8_t *mine = malloc(RS_SAMPLE_LEN);
	int e = mine ? lb_imgr_open(s->ctx, image, 2, &r) : -ENOMEM;

	if (e) {
		free(mine);
		return e == -EBADMSG ? -LB_EBADIMAGE : e;
	}
	if (r->has_meta)
		e = compare_identity(s, image, &r->meta);
	if (!e)
		e = compare(s, image, r, map, mine);
	lb_imgr_close(r);
	free(mine);
	return e;
}
