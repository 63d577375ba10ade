/*
 * image_reader.c — opens a qcow2 image (ours or another tool's) and maps
 * guest clusters to host bytes, trusting nothing it has not checked.
 *
 * Order of trust: the header and extensions (qcow2.c), then the Lifeboat
 * metadata (complete marker, split layout: every piece present and of the
 * right size), then the L1 table and the checksum directory (whose XXH3 is
 * in the extension), then each L2 table and checksum block as it is loaded
 * (each checksum block's XXH3 is in the directory).  Every offset is
 * checked to be aligned and inside the file before it is used, so a hostile
 * image yields -EBADMSG and a message naming the structure, its byte offset
 * and the guest cluster, never a read out of bounds.  Only one L2 group is
 * cached, so memory does not grow with the disk.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "image.h"

#define BAD(...) (lb_imsg(ctx, __VA_ARGS__), -EBADMSG)

static int read_header(struct lb_ctx *ctx, struct lb_imgr *r,
		       int allow_incomplete)
{
	size_t n = r->io.size < (2u << 20) ? (size_t)r->io.size : 2u << 20;
	uint8_t *b = malloc(n ? n : 1);
	int e;

	if (!b)
		return -ENOMEM;
	if (!(e = lb_pieces_pread(ctx, &r->io, b, n, 0)))
		e = qcow2_parse_header(b, n, r->io.size, &r->h, ctx->msg,
				       sizeof ctx->msg);
	if (!e && r->h.lb_ext_offset) {
		e = lb_meta_decode(b + r->h.lb_ext_offset, r->h.lb_ext_len,
				   &r->meta, ctx->msg, sizeof ctx->msg);
		r->has_meta = !e;
	}
	if (!e && r->h.pt_ext_offset && (r->pt_ext = malloc(r->h.pt_ext_len + 1))) {
		memcpy(r->pt_ext, b + r->h.pt_ext_offset, r->h.pt_ext_len);
		r->pt_ext_len = r->h.pt_ext_len;
	}
	free(b);
	if (e)
		return e;
	if (r->has_meta && !(r->meta.flags & LB_META_COMPLETE) &&
	    !allow_incomplete && r->meta.rescue_map_length)
		return BAD("%s is incomplete: an unfinished rescue (go on with "
			   "`lifeboat rescue SOURCE IMAGE --resume`)", r->io.base);
	if (r->has_meta && !(r->meta.flags & LB_META_COMPLETE) &&
	    !allow_incomplete)
		return BAD("%s is incomplete: the backup that wrote it did not "
			   "finish (no complete marker)", r->io.base);
	return 0;
}

static int open_pieces(struct lb_ctx *ctx, struct lb_imgr *r)
{
	struct lb_meta *m = &r->meta;

	if (!r->has_meta || !(m->flags & LB_META_COMPLETE))
		return 0;
	if (m->pieces > 1 || m->split_size)
		return lb_pieces_open_split(ctx, &r->io, m->pieces,
					    m->split_size, m->file_size);
	if (m->file_size != r->io.size)
		return BAD("%s is %" PRIu64 " bytes but was written as %" PRIu64
			   " bytes: truncated or damaged", r->io.base,
			   r->io.size, m->file_size);
	return 0;
}

/* A cluster-sized table at OFF (from WHAT at byte AT) must lie in the file. */
static int table_ok(struct lb_ctx *ctx, struct lb_imgr *r, const char *what,
		    uint64_t at, uint64_t off)
{
	if (off % r->cs || off < r->cs || off > r->io.size ||
	    r->cs > r->io.size - off)
		return BAD("%s: %s offset %" PRIu64 " (entry at byte %" PRIu64
			   ") is unaligned or outside the image (%" PRIu64
			   " bytes)", r->io.base, what, off, at, r->io.size);
	return 0;
}

static int load_l1(struct lb_ctx *ctx, struct lb_imgr *r)
{
	uint64_t n = r->h.l1_size;
	uint8_t *b = malloc(n * 8 + 1);
	int e;

	if (!b || !(r->l1 = calloc(n + 1, 8)))
		return free(b), -ENOMEM;
	e = lb_pieces_pread(ctx, &r->io, b, n * 8, r->h.l1_table_offset);
	for (uint64_t i = 0; i < n && !e; i++) {
		uint64_t v = lb_be64(b + 8 * i), at = r->h.l1_table_offset + 8 * i;
		if (v & QCOW2_L1_RESERVED)
			e = BAD("%s: L1 entry %" PRIu64 " at byte %" PRIu64 " has "
				"reserved bits set (0x%016" PRIx64 ")", r->io.base,
				i, at, v);
		else if ((v & QCOW2_OFFSET_MASK) &&
			 !(e = table_ok(ctx, r, "L2 table", at, v & QCOW2_OFFSET_MASK)))
			r->l1[i] = v & QCOW2_OFFSET_MASK;
	}
	free(b);
	return e;
}

static int load_ckdir(struct lb_ctx *ctx, struct lb_imgr *r)
{
	struct lb_meta *m = &r->meta;
	uint64_t n = 2ull * r->h.l1_size;
	uint8_t *b;
	int e;

	if (!r->has_meta)
		return 0;
	if (m->cksum_algo != LB_CKSUM_XXH3_64 || m->cksum_dir_entries != r->h.l1_size ||
	    table_ok(ctx, r, "checksum directory", 0, m->cksum_dir_offset) ||
	    n * 8 > r->io.size - m->cksum_dir_offset)
		return BAD("%s: Lifeboat checksum directory (offset %" PRIu64 ", %"
			   PRIu32 " entries, algorithm %" PRIu32 ") is invalid",
			   r->io.base, m->cksum_dir_offset, m->cksum_dir_entries,
			   m->cksum_algo);
	if (!(b = malloc(n * 8 + 1)) || !(r->ckdir = calloc(n + 1, 8)))
		return free(b), -ENOMEM;
	e = lb_pieces_pread(ctx, &r->io, b, n * 8, m->cksum_dir_offset);
	if (!e && lb_xxh3(b, n * 8) != m->cksum_dir_hash)
		e = BAD("%s: Lifeboat checksum directory at byte %" PRIu64 " is "
			"corrupt (its XXH3 does not match the header)",
			r->io.base, m->cksum_dir_offset);
	for (uint64_t i = 0; i < n && !e; i++)
		r->ckdir[i] = lb_be64(b + 8 * i);
	for (uint64_t g = 0; g < r->h.l1_size && !e; g++)
		if (r->ckdir[2 * g])
			e = table_ok(ctx, r, "checksum block",
				     m->cksum_dir_offset + 16 * g, r->ckdir[2 * g]);
	free(b);
	return e;
}

int lb_imgr_open(struct lb_ctx *ctx, const char *image, int allow_incomplete,
		 struct lb_imgr **out)
{
	struct lb_imgr *r = calloc(1, sizeof *r);
	int e;

	if (!r)
		return -ENOMEM;
	if ((e = lb_pieces_open(ctx, &r->io, image))) {
		free(r);
		return e;
	}
	if ((e = read_header(ctx, r, allow_incomplete)))
		goto fail;
	if (r->has_meta && !(r->meta.flags & LB_META_COMPLETE) &&
	    allow_incomplete != 2) {
		*out = r;       /* incomplete, allowed: header facts only */
		return 0;
	}
	if ((e = open_pieces(ctx, r)) ||
	    (e = qcow2_check_tables(&r->h, r->io.size, ctx->msg, sizeof ctx->msg)))
		goto fail;
	r->cs = (uint64_t)1 << r->h.cluster_bits;
	r->l2e = qcow2_l2_entries(r->h.cluster_bits);
	r->nclusters = (r->h.size + r->cs - 1) / r->cs;
	r->data_size = r->h.size;
	if (r->has_meta && r->meta.source_size <= r->h.size &&
	    r->meta.source_size + QCOW2_SECTOR > r->h.size)
		r->data_size = r->meta.source_size;
	r->cur_group = UINT64_MAX;
	if ((e = load_l1(ctx, r)) || (e = load_ckdir(ctx, r)))
		goto fail;
	r->l2 = malloc(r->cs);
	r->ck = malloc(r->cs);
	r->tmp = malloc(r->cs);
	if (!r->l2 || !r->ck || !r->tmp) {
		e = -ENOMEM;
		goto fail;
	}
	*out = r;
	return 0;
fail:
	lb_imgr_close(r);
	return e;
}

void lb_imgr_close(struct lb_imgr *r)
{
	if (!r)
		return;
	lb_pieces_close(&r->io);
	free(r->l1); free(r->ckdir); free(r->l2); free(r->ck); free(r->tmp);
	free(r->pt_ext);
	free(r);
}

static int load_group(struct lb_ctx *ctx, struct lb_imgr *r, uint64_t g)
{
	int e;

	if (g == r->cur_group)
		return 0;
	r->cur_group = UINT64_MAX;
	memset(r->l2, 0, r->cs);
	memset(r->ck, 0, r->cs);
	if (r->l1[g]) {
		if ((e = lb_pieces_pread(ctx, &r->io, r->tmp, r->cs, r->l1[g])))
			return e;
		for (uint64_t i = 0; i < r->l2e; i++)
			r->l2[i] = lb_be64(r->tmp + 8 * i);
	}
	if (r->ckdir && r->ckdir[2 * g]) {
		if ((e = lb_pieces_pread(ctx, &r->io, r->tmp, r->cs, r->ckdir[2 * g])))
			return e;
		if (lb_xxh3(r->tmp, r->cs) != r->ckdir[2 * g + 1])
			return BAD("%s: checksum block at byte %" PRIu64 " (guest "
				   "clusters %" PRIu64 "..%" PRIu64 ") is corrupt",
				   r->io.base, r->ckdir[2 * g], g * r->l2e,
				   (g + 1) * r->l2e - 1);
		for (uint64_t i = 0; i < r->l2e; i++)
			r->ck[i] = lb_be64(r->tmp + 8 * i);
	}
	r->cur_group = g;
	return 0;
}

/* Decodes and checks L2 entry E of guest cluster IDX. */
static int decode(struct lb_ctx *ctx, struct lb_imgr *r, uint64_t idx,
		  uint64_t e, struct lb_cluster_map *m)
{
	uint64_t at = r->l1[idx / r->l2e] + 8 * (idx % r->l2e);

	memset(m, 0, sizeof *m);
	if (e & QCOW2_OFLAG_COMPRESSED) {
		qcow2_compressed_range(r->h.cluster_bits, e, &m->off, &m->len);
		if ((e & QCOW2_OFLAG_COPIED) || m->off < r->cs || m->off >= r->io.size)
			return BAD("%s: L2 entry at byte %" PRIu64 " (guest cluster %"
				   PRIu64 ", guest byte %" PRIu64 "): compressed "
				   "data at byte %" PRIu64 " is outside the image",
				   r->io.base, at, idx, idx * r->cs, m->off);
		if (m->len > r->io.size - m->off)
			m->len = r->io.size - m->off;
		m->kind = LB_CL_COMPRESSED;
		return 0;
	}
	m->off = e & QCOW2_OFFSET_MASK;
	if ((e & QCOW2_L2_STD_RESERVED) || (m->off && (m->off % r->cs ||
	    m->off < r->cs || m->off > r->io.size || r->cs > r->io.size - m->off)))
		return BAD("%s: L2 entry at byte %" PRIu64 " (guest cluster %" PRIu64
			   ", guest byte %" PRIu64 ") is invalid: 0x%016" PRIx64,
			   r->io.base, at, idx, idx * r->cs, e);
	m->kind = (e & QCOW2_OFLAG_ZERO) || !m->off ? LB_CL_ZERO : LB_CL_RAW;
	m->len = m->kind == LB_CL_RAW ? r->cs : 0;
	return 0;
}

int lb_imgr_map(struct lb_ctx *ctx, struct lb_imgr *r, uint64_t idx,
		struct lb_cluster_map *m)
{
	uint64_t g = idx / r->l2e, i = idx % r->l2e;
	int e;

	if (idx >= r->nclusters)
		return BAD("%s: guest cluster %" PRIu64 " is beyond the disk",
			   r->io.base, idx);
	if ((e = load_group(ctx, r, g)) || (e = decode(ctx, r, idx, r->l2[i], m)))
		return e;
	m->has_xxh = r->ckdir && r->ckdir[2 * g] && m->kind != LB_CL_ZERO;
	m->xxh = r->ck[i];
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Header cluster, L1, refcount table, checksum directory, L2 tables and
 * checksum blocks must not share a cluster. */
static int check_overlaps(struct lb_ctx *ctx, struct lb_imgr *r)
{
	uint64_t n = 0, cap = 2ull * r->h.l1_size + 4, *v = calloc(cap, 16);
	int e = 0;

	if (!v)
		return -ENOMEM;
#define RANGE(o, len) do { if ((len) != 0) { v[2 * n] = (o); v[2 * n + 1] = (o) + (len); n++; } } while (0)
	RANGE(0, r->cs);
	RANGE(r->h.l1_table_offset, r->h.l1_size * 8ull);
	RANGE(r->h.refcount_table_offset, (uint64_t)r->h.refcount_table_clusters * r->cs);
	if (r->ckdir)
		RANGE(r->meta.cksum_dir_offset, 16ull * r->h.l1_size);
	for (uint64_t g = 0; g < r->h.l1_size; g++) {
		if (r->l1[g])
			RANGE(r->l1[g], r->cs);
		if (r->ckdir && r->ckdir[2 * g])
			RANGE(r->ckdir[2 * g], r->cs);
	}
#undef RANGE
	qsort(v, n, 16, cmp_u64);
	for (uint64_t i = 1, end = v[1]; i < n && !e; i++) {
		if (v[2 * i] < end)
			e = BAD("%s: metadata structures overlap at byte %" PRIu64
				" (a table is referenced twice or collides with "
				"another)", r->io.base, v[2 * i]);
		if (v[2 * i + 1] > end)
			end = v[2 * i + 1];
	}
	free(v);
	return e;
}

int lb_imgr_check_tables(struct lb_ctx *ctx, struct lb_imgr *r,
			 uint64_t *stored, uint64_t *zero)
{
	struct lb_cluster_map m;
	uint64_t s = 0, z = 0;
	int e;

	if ((e = check_overlaps(ctx, r)))
		return e;
	for (uint64_t idx = 0; idx < r->nclusters; idx++) {
		if (!r->l1[idx / r->l2e] && !(r->ckdir && r->ckdir[2 * (idx / r->l2e)])) {
			uint64_t next = (idx / r->l2e + 1) * r->l2e;
			z += (next < r->nclusters ? next : r->nclusters) - idx;
			idx = next - 1;
			continue;
		}
		if ((e = lb_imgr_map(ctx, r, idx, &m)))
			return e;
		m.kind == LB_CL_ZERO ? z++ : s++;
	}
	if (stored)
		*stored = s;
	if (zero)
		*zero = z;
	return 0;
}
