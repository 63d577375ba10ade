/*
 * backup.c — lb_backup: a disk, partition or file into a qcow2 image.
 *
 * Stages (pipeline.h, threads.h): this thread reads the source in batches
 * of about 1 MiB (large sequential reads; the holes of a regular file are
 * found with SEEK_DATA / SEEK_HOLE and not read, and clusters known to be
 * zeros are marked so that the workers skip them) and hands them to the
 * workers;
 * they find zero clusters, checksum and compress the rest; the writer
 * thread hashes each batch into the SHA-256 of the disk and stores the
 * results in order through the image writer (image_writer.c), so the
 * image bytes are the same for any thread count.
 * Before anything is written the destination is planned: its free space is
 * compared with the most the image can take and FAT destinations get
 * split pieces.  Any error or a cancel removes IMAGE.part; only a finished
 * image is renamed to its final name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checksum.h"
#include "dev.h"
#include "devices_sys.h"
#include "extmap.h"
#include "image.h"
#include "pipeline.h"
#include "probe.h"
#include "threads.h"

struct bk {
	struct lb_xargs xa;     /* first: the workers take the pipe arg as xargs */
	struct lb_ctx *ctx;
	const struct lb_backup_opts *o;
	struct lb_dev *src;
	struct lb_imgw *w;
	struct lb_xpool pool;
	uint64_t size, cs, nclusters;
	uint64_t written;       /* image bytes, updated by the writer thread */
	struct sha256_ctx sha;
	const uint8_t *zeros;   /* one cluster of zeros, for the SHA-256 */
	/* Regular-file source: the data extent last found with SEEK_DATA /
	 * SEEK_HOLE (dev_file.c); holes are zero clusters and are not read. */
	int sparse;
	uint64_t data_lo, data_hi;
};

/* Writer thread: store each cluster of the batch, in order. */
static int store_batch(void *job, void *arg, char *msg)
{
	struct lb_xjob *j = job;
	struct bk *b = arg;
	struct lb_ctx wctx = { 0 };
	int r = 0;

	for (uint32_t i = 0; i < j->n && !r; i++) {
		const uint8_t *data = j->kind[i] == LB_CL_RAW ? j->raw + i * b->cs
							      : j->pk + i * b->cs;
		r = lb_imgw_put(&wctx, b->w, j->first + i, j->kind[i], data,
				j->len[i], j->xxh[i]);
	}
	/* SHA-256 here rather than in the reading thread: it is the one serial
	 * computation, and the writer thread has the most time to spare.
	 * Zero clusters hash from b->zeros: the producer does not fill the
	 * ones it knows are zero (holes, unused blocks). */
	uint64_t base = j->first * b->cs;
	for (uint32_t i = 0; i < j->n; i++) {
		uint64_t off = base + i * b->cs;
		uint64_t len = b->size - off < b->cs ? b->size - off : b->cs;
		sha256_update(&b->sha, len, j->kind[i] == LB_CL_ZERO ? b->zeros :
			      j->raw + i * b->cs);
	}
	__atomic_store_n(&b->written, lb_imgw_bytes(b->w), __ATOMIC_RELAXED);
	if (r)
		snprintf(msg, 512, "%s", wctx.msg);
	return r;
}

static int read_range(struct bk *b, uint8_t *dst, uint64_t off, uint64_t len)
{
	int64_t n = lb_dev_pread(b->src, dst, len, off);

	if (n == (int64_t)len)
		return 0;
	if (n >= 0)
		lb_imsg(b->ctx, "reading %s: the source ended at byte %" PRIu64
			", expected %" PRIu64 " bytes", b->src->path,
			off + (uint64_t)n, b->size);
	else {
		uint32_t ss = b->src->logical_sector ? b->src->logical_sector : 512;
		uint64_t at = off;      /* issue 6: the sector that failed */
		while (n == -EIO && at + ss <= off + len &&
		       lb_dev_pread(b->src, dst, ss, at) == (int64_t)ss)
			at += ss;
		off = at;
		lb_imsg(b->ctx, "reading %s at byte %" PRIu64 " (LBA %" PRIu64
			"%s) failed: %s%s", b->src->path, off, off / ss,
			b->src->is_block && ss < 4096 ? ", or a sector beside it "
			"in its 4 KiB page" : "", strerror((int)-n),
			n == -EIO ? " (a backup stops at an unreadable sector; "
			"`lifeboat rescue` saves every readable byte of a "
			"failing disk)" : "");
	}
	return n < 0 && n != -EIO ? (int)n : -EIO;
}

/* Tells the UI's strip map (lb_ctx.region) about a range, from this thread. */
static void region(struct bk *b, uint64_t off, uint64_t len,
		   enum lb_region_state st)
{
	if (b->ctx->region && len)
		b->ctx->region(off, len, st, b->ctx->user);
}

/* Marks [AT, END) of the batch at BASE as zeros without reading: whole
 * clusters become LB_CL_ZERO (not filled: the workers and the SHA-256
 * skip them), parts of clusters are cleared. */
static void known_zero(struct bk *b, struct lb_xjob *j, uint64_t at,
		       uint64_t end, uint64_t bytes)
{
	uint64_t cs = b->cs;

	while (at < end) {
		uint64_t c = at / cs, ce = (c + 1) * cs;
		uint64_t e = end < ce ? end : ce;
		if (at == c * cs && (e == ce || end >= bytes))
			j->kind[c] = LB_CL_ZERO;
		else
			memset(j->raw + at, 0, e - at);
		at = e;
	}
}

/* Reads [AT, AT+LEN) of the batch at BASE, skipping the holes of a sparse
 * regular-file source (lseek SEEK_DATA / SEEK_HOLE, as qemu-img does). */
static int read_data(struct bk *b, struct lb_xjob *j, uint64_t base,
		     uint64_t at, uint64_t len, uint64_t bytes)
{
	uint64_t end = at + len;

	while (b->sparse && at < end) {
		if (b->data_hi <= base + at &&
		    lb_dev_data_extent(b->src, base + at, &b->data_lo, &b->data_hi)) {
			b->sparse = 0;  /* not supported here: read everything */
			break;
		}
		uint64_t lo = b->data_lo > base + at ? b->data_lo - base : at;
		uint64_t hi = b->data_hi - base < end ? b->data_hi - base : end;
		if (lo > end)
			lo = end;
		known_zero(b, j, at, lo, bytes);
		if (lo < hi) {
			int r = read_range(b, j->raw + lo, base + lo, hi - lo);
			if (r)
				return r;
		}
		at = hi > lo ? hi : lo;
	}
	return at < end ? read_range(b, j->raw + at, base + at, end - at) : 0;
}

/* Reads BYTES at cluster C into J->raw; clusters outside the used map are
 * zeros, not read.  Consecutive used clusters are read in one request. */
static int read_batch(struct bk *b, struct lb_xjob *j, uint64_t c, uint64_t bytes)
{
	const struct lb_extmap *u = b->o->used;
	uint64_t cs = b->cs, base = c * cs;
	int r;

	memset(j->kind, LB_CL_UNKNOWN, j->n);
	memset(j->raw + bytes, 0, j->n * cs - bytes);
	if (!u) {
		region(b, base, bytes, LB_REGION_COPIED);
		return read_data(b, j, base, 0, bytes, bytes);
	}
	for (uint64_t at = 0; at < bytes;) {
		uint64_t end = at;
		while (end < bytes && lb_extmap_overlaps(u, base + end, cs))
			end += cs;
		if (end > bytes)
			end = bytes;
		if (end > at && (r = read_data(b, j, base, at, end - at, bytes)))
			return r;
		if (end > at)   /* deleted data beside live data: not stored */
			lb_extmap_mask(u, j->raw + at, base + at, end - at);
		region(b, base + at, end - at, LB_REGION_COPIED);
		if (end < bytes) {
			uint64_t n = cs < bytes - end ? cs : bytes - end;
			known_zero(b, j, end, end + n, bytes);
			region(b, base + end, n, LB_REGION_UNUSED);
			end += cs;
		}
		at = end;
	}
	return 0;
}

static int produce(struct bk *b, struct lb_pipe *p)
{
	struct lb_prog prog;
	int r = 0;

	lb_prog_begin(&prog, b->ctx, LB_PHASE_COPY, b->size);
	for (uint64_t c = 0; c < b->nclusters; c += b->pool.per_job) {
		struct lb_xjob *j = lb_pipe_get(p);
		if (!j)
			return 0;
		j->first = c;
		j->n = (uint32_t)(b->nclusters - c < b->pool.per_job ?
				  b->nclusters - c : b->pool.per_job);
		uint64_t bytes = b->size - c * b->cs < j->n * b->cs ?
				 b->size - c * b->cs : j->n * b->cs;
		if (!(r = read_batch(b, j, c, bytes)))
			r = lb_prog_update(&prog, c * b->cs + bytes,
					   __atomic_load_n(&b->written, __ATOMIC_RELAXED), 0);
		if (r) {
			if (r == -ECANCELED)
				lb_imsg(b->ctx, "backup cancelled at byte %" PRIu64
					"; %s.part removed", c * b->cs, b->o->image);
			lb_pipe_fail(p, r, b->ctx->msg);
			return r;
		}
		lb_pipe_submit(p, j);
	}
	lb_prog_update(&prog, b->size, b->written, 1);
	return 0;
}

static void fill_meta(struct bk *b, struct lb_meta *m)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char name[4096];

	memset(m, 0, sizeof *m);
	m->created = b->o->created ? b->o->created :
		     sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
	m->source_size = b->size;
	m->logical_sector = b->src->logical_sector;
	m->physical_sector = b->src->physical_sector;
	snprintf(m->tool_version, sizeof m->tool_version, "%s", LB_VERSION);
	snprintf(m->source_path, sizeof m->source_path, "%s", b->o->source.path);
	if (b->src->is_block) {
		const char *s = strrchr(b->src->path, '/');
		snprintf(name, sizeof name, "%s", s ? s + 1 : b->src->path);
		lb_sys_read(name, "device/model", m->model, sizeof m->model);
		if (lb_sys_read(name, "device/serial", m->serial, sizeof m->serial))
			lb_sys_read(name, "serial", m->serial, sizeof m->serial);
	}
	sha256_digest(&b->sha, SHA256_DIGEST_SIZE, m->sha256);
}

/* The most the image can take: every used cluster stored uncompressed,
 * plus L2 tables, checksum blocks, L1, refcounts and the header. */
static uint64_t worst_case(struct bk *b)
{
	uint64_t data = b->nclusters * b->cs;
	uint64_t groups = (b->nclusters + b->cs / 8 - 1) / (b->cs / 8);

	if (b->o->used) {
		uint64_t u = lb_extmap_bytes(b->o->used) + b->o->used->n * 2 * b->cs;
		data = u < data ? u : data;
	}
	return data + groups * 2 * b->cs + (b->nclusters * 2 / b->cs + 8) * b->cs;
}

static int plan(struct bk *b, uint32_t *bits, uint64_t *split)
{
	const struct lb_backup_opts *o = b->o;
	uint32_t cs = o->cluster_size ? o->cluster_size : LB_DEFAULT_CLUSTER;
	int r;

	if (cs < 65536 || cs > (2u << 20) || (cs & (cs - 1))) {
		lb_imsg(b->ctx, "cluster size %" PRIu32 " must be a power of two "
			"from 64 KiB to 2 MiB", cs);
		return -EINVAL;
	}
	for (*bits = 16; (1u << *bits) != cs; (*bits)++)
		;
	b->cs = cs;
	b->nclusters = (b->size + cs - 1) / cs;
	r = lb_dest_plan(b->ctx, o->image, o->no_space_check ? 0 : worst_case(b),
			 o->split_size, split);
	if (r == -ENOSPC) {
		char m[sizeof b->ctx->msg];
		memcpy(m, b->ctx->msg, sizeof m);
		lb_imsg(b->ctx, "%.400s (give --no-space-check to try anyway)", m);
	}
	return r;
}

static int run(struct bk *b)
{
	struct lb_pipe_cfg cfg = {
		.workers = b->pool.workers, .njobs = b->pool.njobs,
		.jobs = b->pool.ptrs, .work = lb_encode_work, .write = store_batch,
		.arg = b, .wstate_new = lb_xcodec_new, .wstate_free = lb_xcodec_free,
	};
	struct lb_pipe *p;
	int r;

	if ((r = lb_pipe_start(&cfg, &p)))
		return r;
	produce(b, p);
	return lb_pipe_finish(p, b->ctx->msg, sizeof b->ctx->msg);
}

static int backup_open(struct bk *b)
{
	const struct lb_backup_opts *o = b->o;
	struct lb_imgw_opts wo = { .compress = o->compress, .overwrite = o->overwrite };
	int r;

	if ((r = lb_dev_open(b->ctx, &o->source, LB_DEV_READ, 0, &b->src)))
		return r;
	b->size = b->src->size;
	if (!b->size) {
		lb_imsg(b->ctx, "%s is empty: nothing to back up", o->source.path);
		return -EINVAL;
	}
	wo.size = b->size;
	if ((r = plan(b, &wo.cluster_bits, &wo.split_size)) ||
	    (r = lb_xpool_init(&b->pool, o->threads, b->cs)))
		return r == -ENOMEM ? (lb_imsg(b->ctx, "out of memory"), r) : r;
	return lb_imgw_create(b->ctx, o->image, &wo, &b->w);
}

/* Records how each partition was imaged ("LBPT" extension, probe.h). */
static int add_modes(struct bk *b, const struct lb_disk_plan *plan)
{
	uint8_t *buf = malloc(8 + LB_MAX_PART_MODES * LB_PART_MODE_BYTES + 64);
	size_t len;
	int r = -ENOMEM;

	if (buf) {      /* records, and the C013 table choice (probe_modes.c) */
		len = lb_plan_encode(plan, buf,
				     8 + LB_MAX_PART_MODES * LB_PART_MODE_BYTES + 64);
		r = len ? lb_imgw_set_ext(b->w, QCOW2_EXT_LBPT, buf, len) : 0;
	}
	free(buf);
	if (r)
		lb_imsg(b->ctx, "cannot record the partition modes in the image "
			"header (%s)", strerror(-r));
	return r;
}

int lb_backup(struct lb_ctx *ctx, const struct lb_backup_opts *o)
{
	struct bk b = { .ctx = ctx, .o = o };
	struct lb_backup_opts uo;
	struct lb_disk_plan *plan = NULL;
	struct lb_meta m;
	int r;

	ctx->msg[0] = 0;
	/* Rule 1: the image must not land on the source (safety.c). */
	if ((r = lb_check_image_dest(ctx, o->source.path, o->image)) < 0)
		return r;
	/* Used-block imaging (probe.h): unless --raw or a caller's map, store
	 * only the table areas and what each filesystem marks used. */
	if (!o->used && !o->raw) {
		if ((r = lb_plan_source_choice(ctx, &o->source, o->table, &plan)))
			return r;
		uo = *o;
		uo.used = &plan->used;
		b.o = o = &uo;
	}
	/* The workers receive the pipe's arg (b) as their xargs: keep the
	 * fields they read at the same place. */
	if (!(r = backup_open(&b)) && (!plan || !(r = add_modes(&b, plan)))) {
		b.xa = (struct lb_xargs){ .cs = b.cs, .compress = o->compress,
					  .level = o->level, .image = o->image };
		sha256_init(&b.sha);
		b.sparse = !b.src->is_block;
		r = (b.zeros = calloc(1, b.cs)) ? run(&b) : -ENOMEM;
	}
	if (!r) {
		struct lb_prog prog;
		lb_prog_begin(&prog, ctx, LB_PHASE_FINISH, 0);
		lb_prog_update(&prog, 0, b.written, 1);
		fill_meta(&b, &m);
		r = lb_imgw_finish(ctx, b.w, &m);
		b.w = NULL;
	}
	lb_imgw_abort(b.w);
	lb_xpool_free(&b.pool);
	free((void *)b.zeros);
	if (b.src)
		lb_dev_close(b.src);
	if (plan) {
		lb_plan_free(plan);
		free(plan);
	}
	return r;
}
