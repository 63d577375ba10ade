/*
 * image_writer.c — writes a qcow2 v3 image cluster by cluster (image.h).
 *
 * Layout as it grows: cluster 0 holds the header and the Lifeboat extension
 * (a provisional "incomplete" one at first, the final one last of all);
 * after it come data, L2 tables and checksum blocks in the order they are
 * produced; lb_imgw_finish appends the checksum directory, the L1 table,
 * the refcount blocks and the refcount table, then rewrites cluster 0.
 *
 * Allocation (spec "Host cluster management"): compressed clusters are
 * packed end to end at byte granularity from the tail; an uncompressed
 * cluster or a table needs a cluster-aligned host cluster, and the bytes
 * skipped to align become a gap (the 16 largest are kept) that later
 * compressed clusters fill, each in the smallest gap it fits.  The L1
 * table and the checksum directory start host clusters that compressed
 * clusters then fill (place_resv).  Refcounts are kept in memory, 16 bits per host cluster (2 bytes
 * per cluster_size of image: 32 KiB per GiB at 64 KiB clusters), and
 * counted as qemu counts them: a host cluster holds one reference per
 * compressed cluster whose sector range touches it, plus one for a table or
 * uncompressed cluster.  Checksum blocks and the checksum directory are
 * Lifeboat's own and are not refcounted, so `qemu-img check` sees neither
 * leaks nor errors (docs/image-format.md explains the trade-off).
 *
 * lb_imgw_reopen continues a finished image: it rebuilds this state from
 * the image's L1/L2 (refcounts counted, not read) and appends after the old
 * data, so rescue passes can add or replace clusters in any order.
 *
 * Appends go through a staging buffer so that the file sees large
 * sequential writes; rewrites behind it (an L2 table written again, a gap
 * filled after the stage moved on) go straight to the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "image.h"

#define STAGE_CAP (4u << 20)
#define RC_LIMIT 65000          /* start a new host cluster before 16 bits overflow */
#define NGAPS 16                /* gaps kept for compressed clusters to fill */

struct lb_imgw {
	struct lb_pieces io;
	uint32_t cb, l1_size;
	uint64_t cs, size, nclusters, l2e;
	enum lb_compress compress;
	uint64_t *l1;           /* host order, with QCOW2_OFLAG_COPIED */
	uint64_t *ckdir;        /* pairs: block offset, XXH3 of the block */
	uint64_t group;         /* L2 group in memory, UINT64_MAX: none */
	uint64_t *l2, *ck;      /* the group's L2 entries and checksums */
	int dirty;
	uint16_t *rc;
	uint64_t rc_n;          /* host clusters the rc array covers */
	uint64_t tail;          /* next free byte */
	uint64_t gap_off[NGAPS], gap_len[NGAPS];        /* bytes skipped */
	unsigned ngap;
	uint8_t *st;            /* staging buffer for appends */
	uint64_t st_off;
	size_t st_len;
	uint8_t *tmp;           /* one cluster of scratch */
	uint64_t stored;
	uint32_t ext_type;      /* extra header extension (lb_imgw_set_ext) */
	uint8_t *ext;
	size_t ext_len;
	uint8_t *frozen;        /* per L2 group: the last checkpoint's header
				 * points at its L2 table and checksum block,
				 * so they are copied, not rewritten (NULL:
				 * no checkpoint yet) */
	/* Checkpoints only: whole host clusters that nothing references any
	 * more (old L2 copies, checksum blocks, replaced uncompressed data)
	 * become reusable once the next checkpoint no longer points at them:
	 * pend -> fre at each checkpoint.  The tables and map of a
	 * checkpoint go to one of two areas, used in turn. */
	uint64_t *pend, *fre;
	size_t npend, nfre, cpend, cfre;
	uint64_t area_off[2], area_len[2];      /* bytes */
	int area_cur;
	uint64_t rc_cover;      /* refcounts cover at least this many clusters */
	/* A fresh image's L1 table and checksum directory are a few bytes
	 * each (16 per 128 GiB of disk at 1 MiB clusters): each gets the
	 * start of a host cluster that compressed clusters then fill, rather
	 * than a whole cluster of its own at the end.  Placed when the packed
	 * data first reaches a cluster boundary (0: not placed yet); written
	 * by lb_imgw_finish.  Checkpoints and reopened images do not use them. */
	uint64_t l1_resv, ckd_resv;
	int want_resv;
};

uint64_t lb_imgw_bytes(const struct lb_imgw *w)
{
	return w->tail;
}

static int rc_add(struct lb_imgw *w, uint64_t off, uint64_t len, int delta)
{
	uint64_t a = off / w->cs, b = (off + len - 1) / w->cs;

	if (b >= w->rc_n) {
		uint64_t n = w->rc_n ? w->rc_n : 1024;
		while (n <= b)
			n *= 2;
		uint16_t *v = realloc(w->rc, n * sizeof *v);
		if (!v)
			return -ENOMEM;
		memset(v + w->rc_n, 0, (n - w->rc_n) * sizeof *v);
		w->rc = v;
		w->rc_n = n;
	}
	for (uint64_t i = a; i <= b; i++)
		w->rc[i] = (uint16_t)(w->rc[i] + delta);
	return 0;
}

static int flush_stage(struct lb_ctx *ctx, struct lb_imgw *w)
{
	int r = 0;

	if (w->st_len)
		r = lb_pieces_pwrite(ctx, &w->io, w->st, w->st_len, w->st_off);
	w->st_off += w->st_len;
	w->st_len = 0;
	return r;
}

/* Writes LEN bytes at image byte OFF, through the stage when it can.
 * Invariant: nothing at or beyond st_off + st_len has been written yet. */
static int wr(struct lb_ctx *ctx, struct lb_imgw *w, const void *d, size_t len,
	      uint64_t off)
{
	int r;

	if (off >= w->st_off && off + len <= w->st_off + STAGE_CAP) {
		size_t at = (size_t)(off - w->st_off);
		if (at > w->st_len)
			memset(w->st + w->st_len, 0, at - w->st_len);
		memcpy(w->st + at, d, len);
		if (at + len > w->st_len)
			w->st_len = at + len;
		return 0;
	}
	if ((r = flush_stage(ctx, w)))
		return r;
	if (off >= w->st_off && len <= STAGE_CAP) {
		w->st_off = off;
		return wr(ctx, w, d, len, off);
	}
	if ((r = lb_pieces_pwrite(ctx, &w->io, d, len, off)))
		return r;
	if (off + len > w->st_off)
		w->st_off = off + len;
	return 0;
}

/* Bytes [OFF, OFF+LEN) of the tail's cluster were skipped to reach an
 * aligned one: keep them for compressed clusters that fit.  With NGAPS
 * kept already, the smallest goes if this one is larger. */
static void add_gap(struct lb_imgw *w, uint64_t off, uint64_t len)
{
	unsigned i = w->ngap;

	if (len < 64)
		return;
	if (i == NGAPS) {
		for (unsigned k = i = 0; k < NGAPS; k++)
			if (w->gap_len[k] < w->gap_len[i])
				i = k;
		if (w->gap_len[i] >= len)
			return;
	} else {
		w->ngap++;
	}
	w->gap_off[i] = off;
	w->gap_len[i] = len;
}

/* A cluster-aligned host cluster at the tail; skipped bytes become a gap. */
static uint64_t alloc_cluster(struct lb_imgw *w)
{
	uint64_t a = (w->tail + w->cs - 1) & ~(w->cs - 1), off;

	add_gap(w, w->tail, a - w->tail);
	off = a;
	w->tail = a + w->cs;
	return off;
}

/* A single host cluster: a reusable one (checkpoints), else at the tail. */
static uint64_t alloc_one(struct lb_imgw *w)
{
	return w->nfre ? w->fre[--w->nfre] : alloc_cluster(w);
}

/* OFF, a whole host cluster nothing references now, becomes reusable
 * after the next checkpoint (which no longer points at it). */
static int pend_free(struct lb_imgw *w, uint64_t off)
{
	if (!w->frozen || !off)
		return 0;
	if (w->npend == w->cpend) {
		size_t n = w->cpend ? 2 * w->cpend : 64;
		uint64_t *v = realloc(w->pend, n * sizeof *v);
		if (!v)
			return -ENOMEM;
		w->pend = v;
		w->cpend = n;
	}
	w->pend[w->npend++] = off;
	return 0;
}

/* The next cluster boundary at or after the tail starts the L1 table
 * (then, at the following one, the checksum directory); compressed
 * clusters go on after it.  The L1 part is rounded up to 512 bytes: qemu
 * rewrites a whole sector of L1 entries when it updates one.  The bytes
 * skipped to the boundary become the gap if it is larger than the old. */
static void place_resv(struct lb_imgw *w)
{
	uint64_t b = (w->tail + w->cs - 1) & ~(w->cs - 1);

	add_gap(w, w->tail, b - w->tail);
	if (!w->l1_resv) {
		w->l1_resv = b;
		w->tail = b + ((8ull * w->l1_size + QCOW2_SECTOR - 1) &
			       ~(uint64_t)(QCOW2_SECTOR - 1));
	} else {
		w->ckd_resv = b;
		w->tail = b + 16ull * w->l1_size;
		w->want_resv = 0;
	}
}

/* LEN bytes for a compressed cluster: in the smallest gap it fits, else
 * at the tail. */
static uint64_t alloc_bytes(struct lb_imgw *w, uint64_t len)
{
	unsigned i, best = NGAPS;
	uint64_t off;

	for (i = 0; i < w->ngap; i++)
		if (w->gap_len[i] >= len && w->rc[w->gap_off[i] / w->cs] < RC_LIMIT &&
		    (best == NGAPS || w->gap_len[i] < w->gap_len[best]))
			best = i;
	if (best < NGAPS) {
		off = w->gap_off[best];
		w->gap_off[best] += len;
		w->gap_len[best] -= len;
		if (w->gap_len[best] < 64) {
			w->ngap--;
			w->gap_off[best] = w->gap_off[w->ngap];
			w->gap_len[best] = w->gap_len[w->ngap];
		}
		return off;
	}
	if (w->tail % w->cs && w->tail / w->cs < w->rc_n &&
	    w->rc[w->tail / w->cs] >= RC_LIMIT)
		w->tail = (w->tail + w->cs - 1) & ~(w->cs - 1);
	if (w->want_resv && (w->tail % w->cs == 0 ||
			     w->tail / w->cs != (w->tail + len - 1) / w->cs))
		place_resv(w);
	off = w->tail;
	w->tail += len;
	return off;
}

static void put_be_table(uint8_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lb_put_be64(dst + 8 * i, src[i]);
}

static void get_be_table(uint64_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = lb_be64(src + 8 * i);
}

/* Writes the L2 table and checksum block of the group in memory. */
static int flush_group(struct lb_ctx *ctx, struct lb_imgw *w)
{
	uint64_t g = w->group;
	int r, used = 0;

	if (!w->dirty)
		return 0;
	for (uint64_t i = 0; i < w->l2e && !used; i++)
		used = w->l2[i] != 0;
	if (!used && !w->l1[g])
		return w->dirty = 0;
	if (w->frozen && w->frozen[g] && w->l1[g]) {
		/* copy on write: the checkpoint on disk still uses the old
		 * table; it stops counting once the next one is written */
		if ((r = rc_add(w, w->l1[g] & QCOW2_OFFSET_MASK, w->cs, -1)) ||
		    (r = pend_free(w, w->l1[g] & QCOW2_OFFSET_MASK)) ||
		    (r = pend_free(w, w->ckdir[2 * g])))
			return r;
		w->l1[g] = 0;
		w->ckdir[2 * g] = 0;
	}
	if (w->frozen)
		w->frozen[g] = 0;
	if (!w->l1[g]) {
		w->l1[g] = alloc_one(w) | QCOW2_OFLAG_COPIED;
		if ((r = rc_add(w, w->l1[g] & QCOW2_OFFSET_MASK, w->cs, 1)))
			return r;
	}
	put_be_table(w->tmp, w->l2, w->l2e);
	if ((r = wr(ctx, w, w->tmp, w->cs, w->l1[g] & QCOW2_OFFSET_MASK)))
		return r;
	if (!w->ckdir[2 * g])
		w->ckdir[2 * g] = alloc_one(w);
	put_be_table(w->tmp, w->ck, w->l2e);
	w->ckdir[2 * g + 1] = lb_xxh3(w->tmp, w->cs);
	w->dirty = 0;
	return wr(ctx, w, w->tmp, w->cs, w->ckdir[2 * g]);
}

/* Makes group G the one in memory, reading it back if it was written. */
static int load_group(struct lb_ctx *ctx, struct lb_imgw *w, uint64_t g)
{
	int r;

	if (g == w->group)
		return 0;
	if ((r = flush_group(ctx, w)))
		return r;
	w->group = g;
	memset(w->l2, 0, w->cs);
	memset(w->ck, 0, w->cs);
	if (!w->l1[g])
		return 0;
	if ((r = flush_stage(ctx, w)) ||
	    (r = lb_pieces_pread(ctx, &w->io, w->tmp, w->cs,
				 w->l1[g] & QCOW2_OFFSET_MASK)))
		return r;
	get_be_table(w->l2, w->tmp, w->l2e);
	if ((r = lb_pieces_pread(ctx, &w->io, w->tmp, w->cs, w->ckdir[2 * g])))
		return r;
	get_be_table(w->ck, w->tmp, w->l2e);
	return 0;
}

/* Drops the references of an entry being replaced. */
static int release(struct lb_imgw *w, uint64_t e)
{
	uint64_t off, len;

	if (!e)
		return 0;
	w->stored--;
	if (e & QCOW2_OFLAG_COMPRESSED) {
		qcow2_compressed_range(w->cb, e, &off, &len);
		return rc_add(w, off, len, -1);
	}
	off = e & QCOW2_OFFSET_MASK;
	return rc_add(w, off, w->cs, -1) ?: pend_free(w, off);
}

int lb_imgw_put(struct lb_ctx *ctx, struct lb_imgw *w, uint64_t idx,
		enum lb_cluster_kind kind, const void *data, size_t len,
		uint64_t xxh)
{
	uint64_t i = idx % w->l2e, off = 0, e = 0;
	int r;

	if (idx >= w->nclusters || (kind == LB_CL_COMPRESSED &&
				    (!len || len >= w->cs))) {
		lb_imsg(ctx, "image writer: cluster %"
			 PRIu64 " (%zu bytes) out of range", idx, len);
		return -EINVAL;
	}
	if ((r = load_group(ctx, w, idx / w->l2e)) || (r = release(w, w->l2[i])))
		return r;
	if (kind == LB_CL_RAW) {
		off = alloc_one(w);
		e = off | QCOW2_OFLAG_COPIED;
		len = w->cs;
	} else if (kind == LB_CL_COMPRESSED) {
		off = alloc_bytes(w, len);
		e = qcow2_compressed_entry(w->cb, off, len);
	}
	if (kind != LB_CL_ZERO) {
		if ((r = rc_add(w, off, len, 1)) || (r = wr(ctx, w, data, len, off)))
			return r;
		w->stored++;
	}
	w->l2[i] = e;
	w->ck[i] = kind == LB_CL_ZERO ? 0 : xxh;
	w->dirty = 1;
	return 0;
}

/* Cluster 0: header, Lifeboat extension, end-of-extensions marker. */
static int write_header(struct lb_ctx *ctx, struct lb_imgw *w,
			const struct lb_meta *m, uint64_t l1_off, uint64_t rt_off,
			uint32_t rt_clusters)
{
	struct qcow2_header h = {
		.cluster_bits = w->cb, .size = w->size,
		.l1_size = l1_off ? w->l1_size : 0, .l1_table_offset = l1_off,
		.refcount_table_offset = rt_off,
		.refcount_table_clusters = rt_clusters,
		.compression_type = w->compress == LB_COMPRESS_ZSTD ?
				    QCOW2_COMPRESS_ZSTD : QCOW2_COMPRESS_ZLIB,
	};
	uint8_t *b = w->tmp;

	memset(b, 0, w->cs);
	qcow2_build_header(&h, b);
	lb_put_be32(b + QCOW2_HDR_LEN, QCOW2_EXT_LIFEBOAT);
	lb_put_be32(b + QCOW2_HDR_LEN + 4, LB_META_LEN);
	lb_meta_encode(m, b + QCOW2_HDR_LEN + 8);
	if (w->ext) {
		uint8_t *x = b + QCOW2_HDR_LEN + 8 + LB_META_LEN;
		lb_put_be32(x, w->ext_type);
		lb_put_be32(x + 4, (uint32_t)w->ext_len);
		memcpy(x + 8, w->ext, w->ext_len);
	}
	return wr(ctx, w, b, w->cs, 0);
}

static void writer_free(struct lb_imgw *w)
{
	lb_pieces_close(&w->io);
	free(w->l1); free(w->ckdir); free(w->l2); free(w->ck);
	free(w->rc); free(w->st); free(w->tmp); free(w->ext);
	free(w->frozen); free(w->pend); free(w->fre);
	free(w);
}

int lb_imgw_set_ext(struct lb_imgw *w, uint32_t type, const void *data,
		    size_t len)
{
	if (QCOW2_HDR_LEN + 8 + LB_META_LEN + 8 + len + 8 > w->cs)
		return -E2BIG;
	free(w->ext);
	if (!(w->ext = malloc(len + 8)))
		return -ENOMEM;
	memset(w->ext, 0, len + 8);
	memcpy(w->ext, data, len);
	w->ext_type = type;
	w->ext_len = len;
	return 0;
}

void lb_imgw_abort(struct lb_imgw *w)
{
	if (w)
		writer_free(w);
}

static int writer_alloc(struct lb_imgw *w, const struct lb_imgw_opts *o)
{
	w->cb = o->cluster_bits;
	w->cs = (uint64_t)1 << w->cb;
	/* qemu counts the virtual size in 512-byte sectors and drops a
	 * partial one: round up (the LBOT source_size keeps the true size). */
	w->size = (o->size + QCOW2_SECTOR - 1) & ~(uint64_t)(QCOW2_SECTOR - 1);
	w->compress = o->compress;
	w->l2e = qcow2_l2_entries(w->cb);
	w->nclusters = (w->size + w->cs - 1) / w->cs;
	w->l1_size = (uint32_t)((w->nclusters + w->l2e - 1) / w->l2e);
	w->group = UINT64_MAX;
	w->l1 = calloc(w->l1_size, 8);
	w->ckdir = calloc(w->l1_size, 16);
	w->l2 = malloc(w->cs);
	w->ck = malloc(w->cs);
	w->st = malloc(STAGE_CAP);
	w->tmp = malloc(w->cs);
	w->tail = w->cs;
	w->st_off = w->cs;
	return w->l1 && w->ckdir && w->l2 && w->ck && w->st && w->tmp &&
	       !rc_add(w, 0, w->cs, 1) ? 0 : -ENOMEM;
}

int lb_imgw_create(struct lb_ctx *ctx, const char *image,
		   const struct lb_imgw_opts *o, struct lb_imgw **out)
{
	struct lb_meta m = { .version = LB_META_VERSION, .pieces = 1 };
	struct lb_imgw *w;
	int r;

	if (o->cluster_bits < 10 || o->cluster_bits > QCOW2_MAX_CLUSTER_BITS ||
	    !o->size || o->size > ((uint64_t)1 << 56) ||
	    (o->split_size && o->split_size < ((uint64_t)1 << o->cluster_bits))) {
		lb_imsg(ctx, "image writer: cluster size "
			 "2^%" PRIu32 ", size %" PRIu64 " or split size %" PRIu64
			 " not supported", o->cluster_bits, o->size, o->split_size);
		return -EINVAL;
	}
	if (!(w = calloc(1, sizeof *w)))
		return -ENOMEM;
	if ((r = writer_alloc(w, o)) ||
	    (r = lb_pieces_create(ctx, &w->io, image, o->split_size,
				  o->overwrite)) ||
	    (r = write_header(ctx, w, &m, 0, 0, 0))) {
		if (r == -ENOMEM)
			lb_imsg(ctx, "out of memory");
		writer_free(w);
		return r;
	}
	w->want_resv = 16ull * w->l1_size + QCOW2_SECTOR <= w->cs / 2;
	*out = w;
	return 0;
}

/* Rebuilds the writer's tables and refcounts from an image checked by the
 * reader: references are counted from L1 and L2, as qemu-img check does,
 * so the refcount blocks on disk are not trusted. */
static int load_from(struct lb_ctx *ctx, struct lb_imgw *w, struct lb_imgr *r)
{
	struct lb_cluster_map m;
	int e = 0;

	for (uint64_t g = 0; g < w->l1_size && !e; g++) {
		w->ckdir[2 * g] = r->ckdir[2 * g];
		w->ckdir[2 * g + 1] = r->ckdir[2 * g + 1];
		if (!r->l1[g])
			continue;
		w->l1[g] = r->l1[g] | QCOW2_OFLAG_COPIED;
		e = rc_add(w, r->l1[g], w->cs, 1);
	}
	for (uint64_t i = 0; i < w->nclusters && !e; i++) {
		if (!r->l1[i / w->l2e]) {
			i = (i / w->l2e + 1) * w->l2e - 1;
			continue;
		}
		if ((e = lb_imgr_map(ctx, r, i, &m)) || m.kind == LB_CL_ZERO)
			continue;
		e = rc_add(w, m.off, m.len, 1);
		w->stored++;
	}
	return e;
}

int lb_imgw_reopen(struct lb_ctx *ctx, const char *image, struct lb_meta *meta,
		   struct lb_imgw **out)
{
	struct lb_imgr *r;
	struct lb_imgw *w = NULL;
	int e;

	if ((e = lb_imgr_open(ctx, image, 0, &r)) ||
	    (e = lb_imgr_check_tables(ctx, r, NULL, NULL)))
		return e;
	struct lb_imgw_opts o = { .cluster_bits = r->h.cluster_bits, .size = r->data_size,
				  .compress = r->h.compression_type ? LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB };
	if (!r->has_meta || r->io.split || r->meta.data_end < r->cs ||
	    r->meta.data_end > r->io.size || r->meta.rescue_map_length) {
		lb_imsg(ctx, "%s: only a complete, single-file Lifeboat image without "
			"a rescue map can be reopened", image);
		e = -ENOTSUP;
	} else if (!(w = calloc(1, sizeof *w)) || (e = writer_alloc(w, &o)) ||
		   (e = load_from(ctx, w, r))) {
		e = e ? e : -ENOMEM;
	}
	if (!e) {
		*meta = r->meta;
		w->tail = w->st_off = r->meta.data_end;
	}
	lb_imgr_close(r);
	if (!e && !(e = lb_pieces_reopen(ctx, &w->io, image))) {
		struct lb_meta m = *meta;
		m.flags &= ~LB_META_COMPLETE;   /* incomplete until finished again */
		e = write_header(ctx, w, &m, 0, 0, 0);
	}
	if (e && w)
		writer_free(w);
	if (!e)
		*out = w;
	return e;
}

/* Writes N host-order entries as a contiguous run of new clusters; returns
 * its offset in *OFF.  REFCOUNT: whether qemu should count them. */
static int write_table(struct lb_ctx *ctx, struct lb_imgw *w,
		       const uint64_t *v, uint64_t n, int refcount,
		       uint64_t *off)
{
	uint64_t per = w->cs / 8, k = (n + per - 1) / per;
	int r;

	for (uint64_t c = 0; c < k; c++) {
		uint64_t o = alloc_cluster(w), m = n - c * per < per ? n - c * per : per;
		if (c == 0)
			*off = o;
		memset(w->tmp, 0, w->cs);
		put_be_table(w->tmp, v + c * per, m);
		if ((refcount && (r = rc_add(w, o, w->cs, 1))) ||
		    (r = wr(ctx, w, w->tmp, w->cs, o)))
			return r;
	}
	return 0;
}

/* Writes N host-order entries at RESV, the start of a host cluster kept
 * for them (place_resv), or, with RESV 0, as a new table at the tail.
 * REFCOUNT: whether qemu counts them (one reference to RESV's cluster,
 * besides those of the compressed clusters that share it). */
static int write_small_table(struct lb_ctx *ctx, struct lb_imgw *w,
			     const uint64_t *v, uint64_t n, int refcount,
			     uint64_t resv, uint64_t *off)
{
	uint8_t *d;
	int r;

	if (!resv)
		return write_table(ctx, w, v, n, refcount, off);
	if (!(d = malloc(n * 8)))
		return -ENOMEM;
	put_be_table(d, v, n);
	if (!(r = refcount ? rc_add(w, resv, n * 8, 1) : 0))
		r = wr(ctx, w, d, n * 8, resv);
	free(d);
	*off = resv;
	return r;
}

/* Refcount blocks (16-bit entries) and the refcount table at the tail,
 * sized by a fixed point: they must count themselves. */
static int write_refcounts(struct lb_ctx *ctx, struct lb_imgw *w,
			   uint64_t *rt_off, uint32_t *rt_clusters)
{
	uint64_t rbe = w->cs / 2, h, nb = 0, rtc = 0, prev;
	uint64_t *rt;
	int r;

	alloc_cluster(w);               /* align the tail, then give it back */
	w->tail -= w->cs;
	h = w->tail / w->cs;
	if (h < w->rc_cover)
		h = w->rc_cover;
	do {
		prev = nb + rtc;
		nb = (h + nb + rtc + rbe - 1) / rbe;
		rtc = (nb * 8 + w->cs - 1) / w->cs;
	} while (nb + rtc != prev);
	if ((r = rc_add(w, w->tail, (nb + rtc) * w->cs, 1)))
		return r;
	if (!(rt = calloc(rtc * w->cs / 8, 8)))
		return -ENOMEM;
	for (uint64_t b = 0; b < nb && !r; b++) {
		rt[b] = alloc_cluster(w);
		for (uint64_t i = 0; i < rbe; i++) {
			uint64_t k = b * rbe + i;
			uint16_t v = k < w->rc_n ? w->rc[k] : 0;
			w->tmp[2 * i] = v >> 8;
			w->tmp[2 * i + 1] = v & 0xff;
		}
		r = wr(ctx, w, w->tmp, w->cs, rt[b]);
	}
	if (!r)
		r = write_table(ctx, w, rt, rtc * w->cs / 8, 0, rt_off);
	*rt_clusters = (uint32_t)rtc;
	free(rt);
	return r;
}

int lb_imgw_finish(struct lb_ctx *ctx, struct lb_imgw *w, struct lb_meta *m)
{
	uint64_t ck_off = 0, l1_off = 0, rt_off = 0;
	uint32_t rtc = 0;
	int r;

	if ((r = flush_group(ctx, w)))
		goto out;
	m->data_end = w->tail;  /* lb_imgw_reopen appends from here */
	if ((r = write_small_table(ctx, w, w->ckdir, 2ull * w->l1_size, 0,
				     w->ckd_resv, &ck_off)))
		goto out;
	m->cksum_dir_offset = ck_off;
	m->cksum_dir_entries = w->l1_size;
	m->cksum_algo = LB_CKSUM_XXH3_64;
	{
		/* hash of the directory as stored (big-endian pairs) */
		uint64_t n = 2ull * w->l1_size;
		uint8_t *d = malloc(n * 8);
		if (!d) { r = -ENOMEM; goto out; }
		put_be_table(d, w->ckdir, n);
		m->cksum_dir_hash = lb_xxh3(d, n * 8);
		free(d);
	}
	if ((r = write_small_table(ctx, w, w->l1, w->l1_size, 1, w->l1_resv,
				     &l1_off)))
		goto out;
	if ((r = write_refcounts(ctx, w, &rt_off, &rtc)))
		goto out;
	m->version = LB_META_VERSION;
	m->flags |= LB_META_COMPLETE;
	m->split_size = w->io.split;
	m->file_size = w->tail;
	m->pieces = w->io.split ? (uint32_t)((w->tail - 1) / w->io.split + 1) : 1;
	m->stored_clusters = w->stored;
	m->zero_clusters = w->nclusters - w->stored;
	if (!(r = write_header(ctx, w, m, l1_off, rt_off, rtc)) &&
	    !(r = flush_stage(ctx, w)))
		r = lb_pieces_commit(ctx, &w->io, w->tail);
out:
	writer_free(w);
	return r;
}

/* ---- Checkpoints (rescue): a valid qcow2 on disk while writing goes on --
 *
 * lb_imgw_checkpoint writes the checksum directory, L1, refcounts and
 * EXTRA (the rescue map) after everything written so far, syncs, then
 * rewrites the header (incomplete) to point at them and syncs again.  So
 * the file on disk is always the last checkpoint: what comes after it
 * (new data, new copies of L2 tables) is unreferenced space, and the
 * tables the header points at are never written again (copy on write in
 * flush_group through w->frozen).  The old checkpoint's tables become
 * unreferenced space too: refcount 0, which qemu-img check accepts. */

static int sync_file(struct lb_ctx *ctx, struct lb_imgw *w)
{
	int r = flush_stage(ctx, w);

	if (!r && fdatasync(w->io.fd[0]) < 0) {
		lb_imsg(ctx, "%s.part: sync failed: %s", w->io.base,
			strerror(errno));
		r = -LB_ETARGET;
	}
	return r;
}

static int ckdir_out(struct lb_ctx *ctx, struct lb_imgw *w, struct lb_meta *m)
{
	uint64_t n = 2ull * w->l1_size, off = 0;
	uint8_t *d = malloc(n * 8);
	int r;

	if (!d)
		return -ENOMEM;
	put_be_table(d, w->ckdir, n);
	m->cksum_dir_hash = lb_xxh3(d, n * 8);
	free(d);
	if ((r = write_table(ctx, w, w->ckdir, n, 0, &off)))
		return r;
	m->cksum_dir_offset = off;
	m->cksum_dir_entries = w->l1_size;
	m->cksum_algo = LB_CKSUM_XXH3_64;
	return 0;
}

/* Clusters the tables and map of a checkpoint need, when the refcounts
 * must cover COVER host clusters besides themselves. */
static uint64_t area_need(struct lb_imgw *w, uint64_t cover, size_t extra_len,
			  uint64_t *rcl)
{
	uint64_t per = w->cs / 8, rbe = w->cs / 2, nb = 0, rtc = 0, prev;
	uint64_t fixed = (2ull * w->l1_size + per - 1) / per +
			 (w->l1_size + per - 1) / per +
			 (extra_len + w->cs - 1) / w->cs;

	do {
		prev = nb + rtc;
		nb = (cover + nb + rtc + rbe - 1) / rbe;
		rtc = (nb * 8 + w->cs - 1) / w->cs;
	} while (nb + rtc != prev);
	*rcl = nb + rtc;
	return fixed + nb + rtc;
}

/* Picks the area for this checkpoint (the one the header does not point
 * at), growing it at the tail when it is too small; moves the tail there
 * and returns the real tail to go back to. */
static uint64_t area_enter(struct lb_imgw *w, size_t extra_len)
{
	int k = w->area_cur;
	uint64_t end = (w->tail + w->cs - 1) & ~(w->cs - 1), rcl;
	uint64_t need = area_need(w, end / w->cs + 4, extra_len, &rcl);

	if (w->area_len[k] < need * w->cs) {
		/* a new area at the tail, with room to grow */
		need = area_need(w, end / w->cs + 2 * need + 8, extra_len, &rcl);
		w->area_off[k] = end;
		w->area_len[k] = (need + 2) * w->cs;
	}
	end = w->tail;
	if (w->area_off[k] + w->area_len[k] > end)
		end = w->area_off[k] + w->area_len[k];
	w->rc_cover = (end + w->cs - 1) / w->cs;
	w->tail = w->area_off[k];
	return end;
}

int lb_imgw_checkpoint(struct lb_ctx *ctx, struct lb_imgw *w, struct lb_meta *m,
		       const void *extra, size_t extra_len)
{
	uint64_t l1_off = 0, rt_off = 0, rc_a, rc_z, l1_len, x, real, end;
	uint32_t rtc = 0;
	int r;

	if (w->io.split) {
		lb_imsg(ctx, "image writer: a split image has no checkpoints");
		return -ENOTSUP;
	}
	if (!w->frozen && !(w->frozen = calloc(w->l1_size, 1)))
		return -ENOMEM;
	if ((r = flush_group(ctx, w)))
		return r;
	real = area_enter(w, extra_len);
	end = w->area_off[w->area_cur] + w->area_len[w->area_cur];
	if ((r = ckdir_out(ctx, w, m)) ||
	    (r = write_table(ctx, w, w->l1, w->l1_size, 1, &l1_off)))
		goto out;
	l1_len = w->tail - l1_off;
	rc_a = w->tail;
	if ((r = write_refcounts(ctx, w, &rt_off, &rtc)))
		goto out;
	rc_z = w->tail;
	x = w->tail;
	if (x + extra_len > end) {      /* area_need is exact: cannot happen */
		lb_imsg(ctx, "image writer: checkpoint area too small");
		r = -EIO;
		goto out;
	}
	if (extra_len && (r = wr(ctx, w, extra, extra_len, x)))
		goto out;
	w->tail = real;
	m->rescue_map_offset = extra_len ? x : 0;
	m->rescue_map_length = extra_len;
	m->version = LB_META_VERSION;
	m->flags &= ~LB_META_COMPLETE;
	m->pieces = 1;
	m->file_size = m->data_end = w->tail;
	m->stored_clusters = w->stored;
	m->zero_clusters = w->nclusters - w->stored;
	if ((r = sync_file(ctx, w)) ||
	    (r = write_header(ctx, w, m, l1_off, rt_off, rtc)) ||
	    (r = sync_file(ctx, w)))
		goto out;
	/* the header now points here: what the last one used is free */
	if ((r = rc_add(w, l1_off, l1_len, -1)) ||
	    (r = rc_add(w, rc_a, rc_z - rc_a, -1)))
		goto out;
	memset(w->frozen, 1, w->l1_size);
	if (w->nfre + w->npend > w->cfre) {
		uint64_t *v = realloc(w->fre, (w->nfre + w->npend) * sizeof *v);
		if (!v) {
			r = -ENOMEM;
			goto out;
		}
		w->fre = v;
		w->cfre = w->nfre + w->npend;
	}
	if (w->npend)
		memcpy(w->fre + w->nfre, w->pend, w->npend * sizeof *w->pend);
	w->nfre += w->npend;
	w->npend = 0;
	w->area_cur ^= 1;
	w->io.keep = 1;         /* from now on the .part holds the user's data */
out:
	w->rc_cover = 0;
	if (w->tail < real)
		w->tail = real;
	return r;
}

int lb_imgw_reopen_part(struct lb_ctx *ctx, const char *image,
			struct lb_meta *meta, struct lb_imgw **out)
{
	struct lb_imgr *r;
	struct lb_imgw *w = NULL;
	char part[4200];
	struct stat st;
	int e;

	lb_piece_name(part, sizeof part, image, 0, 1);
	if ((e = lb_imgr_open(ctx, part, 2, &r)) ||
	    (e = lb_imgr_check_tables(ctx, r, NULL, NULL)))
		return e;
	struct lb_imgw_opts o = { .cluster_bits = r->h.cluster_bits, .size = r->data_size,
				  .compress = r->h.compression_type ? LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB };
	if (!r->has_meta || r->io.split || r->meta.pieces > 1 ||
	    r->io.size < r->cs) {
		lb_imsg(ctx, "%s: not a checkpointed single-file Lifeboat image", part);
		e = -EBADMSG;
	} else if (!(w = calloc(1, sizeof *w)) || (e = writer_alloc(w, &o)) ||
		   (e = load_from(ctx, w, r)) ||
		   !(w->frozen = malloc(w->l1_size))) {
		e = e ? e : -ENOMEM;
	}
	if (!e) {
		/* append at the end of the file: a finished image's tables
		 * lie after data_end and its header points at them */
		*meta = r->meta;
		w->tail = w->st_off = r->io.size;
		memset(w->frozen, 1, w->l1_size);
		memset(&w->io, 0, sizeof w->io);
		snprintf(w->io.base, sizeof w->io.base, "%s", image);
		w->io.writing = w->io.keep = 1;
		w->io.fd[0] = open(part, O_RDWR | O_CLOEXEC);
		if (w->io.fd[0] < 0 || fstat(w->io.fd[0], &st) < 0) {
			lb_imsg(ctx, "cannot open %s: %s", part, strerror(errno));
			e = -errno;
		} else {
			w->io.n = 1;
			w->io.size = (uint64_t)st.st_size;
		}
	}
	lb_imgr_close(r);
	if (e && w)
		writer_free(w);
	if (!e)
		*out = w;
	return e;
}

int lb_imgw_get(struct lb_ctx *ctx, struct lb_imgw *w, uint64_t idx,
		struct lb_cluster_map *m, void *buf, size_t cap)
{
	uint64_t e;
	int r;

	memset(m, 0, sizeof *m);
	if (idx >= w->nclusters)
		return -EINVAL;
	if ((r = load_group(ctx, w, idx / w->l2e)))
		return r;
	e = w->l2[idx % w->l2e];
	if (!e)
		return 0;
	if (e & QCOW2_OFLAG_COMPRESSED) {
		m->kind = LB_CL_COMPRESSED;
		qcow2_compressed_range(w->cb, e, &m->off, &m->len);
		if (m->off + m->len > w->tail)  /* the sector range may end past it */
			m->len = w->tail - m->off;
	} else {
		m->kind = LB_CL_RAW;
		m->off = e & QCOW2_OFFSET_MASK;
		m->len = w->cs;
	}
	m->xxh = w->ck[idx % w->l2e];
	m->has_xxh = 1;
	if (m->len > cap)
		return -EINVAL;
	if ((r = flush_stage(ctx, w)))
		return r;
	return lb_pieces_pread(ctx, &w->io, buf, m->len, m->off);
}
