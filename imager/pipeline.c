/*
 * pipeline.c — batches of clusters for the thread pipeline (pipeline.h):
 * the job pool, the encode and decode workers, and the decode driver that
 * restore and verify share.
 *
 * Reading for decode: the stored bytes of a batch are usually adjacent in
 * the image (the writer packs them in disk order), so the producer reads
 * the whole span in one request when it fits the job's buffer and falls
 * back to one read per cluster otherwise (images from other tools, or a
 * span interrupted by tables).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "pipeline.h"
#include "threads.h"

#define BATCH_BYTES (1u << 20)
#define POOL_BYTES (32u << 20)

static int job_alloc(struct lb_xjob *j, uint32_t n, uint64_t cs)
{
	j->pk_cap = (size_t)n * (cs + 1024);
	j->raw = malloc(n * cs);
	j->pk = malloc(j->pk_cap);
	j->len = calloc(n, sizeof *j->len);
	j->pk_off = calloc(n, sizeof *j->pk_off);
	j->kind = calloc(n, 1);
	j->xxh = calloc(n, sizeof *j->xxh);
	j->map = calloc(n, sizeof *j->map);
	return j->raw && j->pk && j->len && j->pk_off && j->kind && j->xxh &&
	       j->map ? 0 : -ENOMEM;
}

int lb_xpool_init(struct lb_xpool *p, int threads, uint64_t cs)
{
	memset(p, 0, sizeof *p);
	p->workers = threads > 0 ? threads : lb_cpu_count();
	if (p->workers > 64)
		p->workers = 64;
	p->cs = cs;
	p->per_job = cs >= BATCH_BYTES ? 1 : (uint32_t)(BATCH_BYTES / cs);
	p->njobs = 4 * p->workers + 4;     /* slack for a descheduled stage */
	uint64_t per = 2ull * p->per_job * cs + 64;
	if ((uint64_t)p->njobs * per > POOL_BYTES)
		p->njobs = (int)(POOL_BYTES / per) < 3 ? 3 : (int)(POOL_BYTES / per);
	p->jobs = calloc(p->njobs, sizeof *p->jobs);
	p->ptrs = calloc(p->njobs, sizeof *p->ptrs);
	if (!p->jobs || !p->ptrs)
		return -ENOMEM;
	for (int i = 0; i < p->njobs; i++) {
		p->ptrs[i] = &p->jobs[i];
		if (job_alloc(&p->jobs[i], p->per_job, cs))
			return -ENOMEM;
	}
	return 0;
}

void lb_xpool_free(struct lb_xpool *p)
{
	for (int i = 0; p->jobs && i < p->njobs; i++) {
		struct lb_xjob *j = &p->jobs[i];
		free(j->raw); free(j->pk); free(j->len); free(j->pk_off);
		free(j->kind); free(j->xxh); free(j->map);
	}
	free(p->jobs);
	free(p->ptrs);
	memset(p, 0, sizeof *p);
}

void *lb_xcodec_new(void *xargs)
{
	struct lb_xargs *a = xargs;
	struct lb_codec *c = malloc(sizeof *c);

	if (c)
		lb_codec_init(c, a->compress, a->level);
	return c;
}

void lb_xcodec_free(void *codec)
{
	lb_codec_free(codec);
	free(codec);
}

int lb_encode_work(void *job, void *codec, void *xargs, char *msg)
{
	struct lb_xjob *j = job;
	struct lb_xargs *a = xargs;
	uint64_t cs = a->cs;

	for (uint32_t i = 0; i < j->n; i++) {
		const uint8_t *in = j->raw + i * cs;
		if (j->kind[i] == LB_CL_ZERO)   /* known zeros: hole, unused */
			continue;
		if (lb_is_zero(in, cs)) {
			j->kind[i] = LB_CL_ZERO;
			continue;
		}
		j->xxh[i] = lb_xxh3(in, cs);
		j->len[i] = (uint32_t)lb_codec_compress(codec, in, cs,
							j->pk + i * cs, cs - 1);
		j->kind[i] = j->len[i] ? LB_CL_COMPRESSED : LB_CL_RAW;
	}
	return 0;
}

int lb_decode_work(void *job, void *codec, void *xargs, char *msg)
{
	struct lb_xjob *j = job;
	struct lb_xargs *a = xargs;
	uint64_t cs = a->cs;

	for (uint32_t i = 0; i < j->n; i++) {
		struct lb_cluster_map *m = &j->map[i];
		uint8_t *out = j->raw + i * cs;
		uint64_t idx = j->first + i;
		if (m->kind == LB_CL_ZERO) {
			j->kind[i] = LB_CL_ZERO;
			continue;
		}
		if (m->kind == LB_CL_COMPRESSED &&
		    lb_codec_decompress(codec, j->pk + j->pk_off[i], m->len, out, cs)) {
			snprintf(msg, 512, "%s: guest cluster %" PRIu64 " (guest "
				 "byte %" PRIu64 ", stored at image byte %" PRIu64
				 ") does not decompress: corrupt", a->image, idx,
				 idx * cs, m->off);
			return -EBADMSG;
		}
		if (m->kind == LB_CL_RAW)
			memcpy(out, j->pk + j->pk_off[i], cs);
		if (m->has_xxh && lb_xxh3(out, cs) != m->xxh) {
			snprintf(msg, 512, "%s: guest cluster %" PRIu64 " (guest "
				 "byte %" PRIu64 ", stored at image byte %" PRIu64
				 ") fails its checksum: the image is corrupt",
				 a->image, idx, idx * cs, m->off);
			return -EBADMSG;
		}
		j->kind[i] = lb_is_zero(out, cs) ? LB_CL_ZERO : m->kind;
	}
	return 0;
}

/* Maps the batch and reads its stored bytes into j->pk. */
static int read_batch(struct lb_ctx *ctx, struct lb_imgr *r, struct lb_xjob *j)
{
	uint64_t lo = UINT64_MAX, hi = 0, pos = 0;
	int e, mono = 1;

	for (uint32_t i = 0; i < j->n; i++) {
		struct lb_cluster_map *m = &j->map[i];
		if ((e = lb_imgr_map(ctx, r, j->first + i, m)))
			return e;
		if (m->kind == LB_CL_ZERO)
			continue;
		if (m->off < hi)
			mono = 0;
		lo = m->off < lo ? m->off : lo;
		hi = m->off + m->len > hi ? m->off + m->len : hi;
	}
	if (lo == UINT64_MAX)
		return 0;
	if (mono && hi - lo <= j->pk_cap) {
		for (uint32_t i = 0; i < j->n; i++)
			j->pk_off[i] = j->map[i].off - lo;
		return lb_pieces_pread(ctx, &r->io, j->pk, hi - lo, lo);
	}
	for (uint32_t i = 0; i < j->n; i++) {
		struct lb_cluster_map *m = &j->map[i];
		if (m->kind == LB_CL_ZERO)
			continue;
		j->pk_off[i] = pos;
		if ((e = lb_pieces_pread(ctx, &r->io, j->pk + pos, m->len, m->off)))
			return e;
		pos += m->len;
	}
	return 0;
}

/* The pipe's one argument: xargs first, so workers may take it as such. */
struct dec_arg {
	struct lb_xargs xa;
	lb_sink_fn sink;
	void *arg;
};

static int sink_write(void *job, void *arg, char *msg)
{
	struct dec_arg *d = arg;
	return d->sink(job, d->arg, msg);
}

/* Tells the UI's strip map which clusters of batch J are stored and which
 * read as zeros, from the job's thread (lb_ctx.region). */
static void report_regions(struct lb_ctx *ctx, struct lb_imgr *r,
			   const struct lb_xjob *j)
{
	for (uint32_t i = 0, k; i < j->n && ctx->region; i = k) {
		int zero = j->map[i].kind == LB_CL_ZERO;
		for (k = i + 1; k < j->n && (j->map[k].kind == LB_CL_ZERO) == zero; k++)
			;
		uint64_t off = (j->first + i) * r->cs, len = (uint64_t)(k - i) * r->cs;
		if (off + len > r->data_size)
			len = r->data_size > off ? r->data_size - off : 0;
		if (len)
			ctx->region(off, len, zero ? LB_REGION_ZERO : LB_REGION_COPIED,
				    ctx->user);
	}
}

static int run_decode(struct lb_ctx *ctx, struct lb_imgr *r, struct lb_xpool *pool,
		      struct lb_pipe *p, enum lb_phase phase,
		      const uint64_t *written)
{
	struct lb_prog prog;
	int e = 0;

	lb_prog_begin(&prog, ctx, phase, r->data_size);
	for (uint64_t c = 0; c < r->nclusters && !e; c += pool->per_job) {
		struct lb_xjob *j = lb_pipe_get(p);
		if (!j)
			break;
		j->first = c;
		j->n = (uint32_t)(r->nclusters - c < pool->per_job ?
				  r->nclusters - c : pool->per_job);
		if ((e = read_batch(ctx, r, j)) ||
		    (e = lb_prog_update(&prog, c * r->cs, written ? __atomic_load_n(
				written, __ATOMIC_RELAXED) : 0, 0))) {
			if (e == -ECANCELED)
				lb_imsg(ctx, "cancelled at byte %" PRIu64 " of %s",
					c * r->cs, r->io.base);
			lb_pipe_fail(p, e, ctx->msg);
			break;
		}
		report_regions(ctx, r, j);
		lb_pipe_submit(p, j);
	}
	return e;
}

int lb_decode_image(struct lb_ctx *ctx, struct lb_imgr *r, int threads,
		    enum lb_phase phase, lb_sink_fn sink, void *arg,
		    const uint64_t *written)
{
	struct lb_xpool pool;
	struct dec_arg d = {
		.xa = { .cs = r->cs, .image = r->io.base,
			.compress = r->h.compression_type == QCOW2_COMPRESS_ZSTD ?
				    LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB },
		.sink = sink, .arg = arg,
	};
	struct lb_pipe_cfg cfg = {
		.work = lb_decode_work, .write = sink_write, .arg = &d,
		.wstate_new = lb_xcodec_new, .wstate_free = lb_xcodec_free,
	};
	struct lb_pipe *p;
	int e;

	if ((e = lb_xpool_init(&pool, threads, r->cs))) {
		lb_xpool_free(&pool);
		return e;
	}
	cfg.workers = pool.workers;
	cfg.njobs = pool.njobs;
	cfg.jobs = pool.ptrs;
	e = lb_pipe_start(&cfg, &p);
	if (!e) {
		run_decode(ctx, r, &pool, p, phase, written);
		e = lb_pipe_finish(p, ctx->msg, sizeof ctx->msg);
	}
	lb_xpool_free(&pool);
	return e;
}
