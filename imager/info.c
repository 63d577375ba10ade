/*
 * info.c — lb_image_info: what an image is, from its header, tables and
 * Lifeboat metadata, without decompressing data.  An incomplete image (a
 * backup that did not finish) is described as such rather than refused.
 * A rescue image (one with a rescue map, rescue_image.c) also gets what
 * its map says: bytes finished, unreadable and not tried yet; an
 * unfinished one (IMAGE.part of a stopped rescue) has its tables counted
 * from its last checkpoint, and its SHA-256 is called not made yet.
 */
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "image.h"
#include "probe.h"
#include "rescue.h"

static void from_meta(const struct lb_meta *m, struct lb_image_info *out)
{
	out->has_lifeboat_meta = 1;
	out->complete = !!(m->flags & LB_META_COMPLETE);
	memcpy(out->source_model, m->model, sizeof out->source_model);
	memcpy(out->source_serial, m->serial, sizeof out->source_serial);
	memcpy(out->source_path, m->source_path, sizeof out->source_path);
	out->source_path[sizeof out->source_path - 1] = 0;
	out->source_size = m->source_size;
	out->logical_sector = m->logical_sector;
	out->physical_sector = m->physical_sector;
	out->created = m->created;
	memcpy(out->tool_version, m->tool_version, sizeof out->tool_version);
	lb_hex(m->sha256, 32, out->sha256);
	out->pieces = m->pieces ? (int)m->pieces : 1;
	out->bad_bytes = m->bad_bytes;
}

/* The rescue map's counts (lb_image_info's rescue fields); an image
 * without a readable map is left as it is. */
static void rescue_counts(struct lb_ctx *ctx, const char *image,
			  struct lb_image_info *out)
{
	char keep[sizeof ctx->msg];
	struct lb_rmap m;

	memcpy(keep, ctx->msg, sizeof keep);
	if (lb_rescue_map_from_image(ctx, image, &m) == 0) {
		out->rescue = 1;
		out->rescue_finished = lb_rmap_bytes(&m, LB_RM_FINISHED);
		out->rescue_bad = lb_rmap_bytes(&m, LB_RM_BAD);
		out->rescue_untried = m.size - out->rescue_finished -
				      out->rescue_bad;
		out->rescue_areas = m.n - lb_rmap_count(&m, LB_RM_FINISHED);
		lb_rmap_free(&m);
	}
	memcpy(ctx->msg, keep, sizeof keep);
}

/* An unfinished rescue: its tables as of the last checkpoint (a stopped
 * backup has none worth counting). */
static void count_checkpoint(struct lb_ctx *ctx, const char *image,
			     struct lb_image_info *out)
{
	char keep[sizeof ctx->msg];
	struct lb_imgr *r;

	memcpy(keep, ctx->msg, sizeof keep);
	if (lb_imgr_open(ctx, image, 2, &r) == 0) {
		if (lb_imgr_check_tables(ctx, r, &out->stored_clusters,
					 &out->zero_clusters))
			out->stored_clusters = out->zero_clusters = 0;
		lb_imgr_close(r);
	}
	memcpy(ctx->msg, keep, sizeof keep);
}

int lb_image_info(struct lb_ctx *ctx, const char *image,
		  struct lb_image_info *out)
{
	struct lb_imgr *r;
	int e;

	memset(out, 0, sizeof *out);
	ctx->msg[0] = 0;
	if ((e = lb_imgr_open(ctx, image, 1, &r)))
		return e;
	out->virtual_size = r->data_size ? r->data_size : r->h.size;
	out->file_size = r->io.size;
	out->cluster_size = 1u << r->h.cluster_bits;
	out->compress = r->h.compression_type == QCOW2_COMPRESS_ZSTD ?
			LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB;
	out->complete = 1;
	out->pieces = 1;
	out->source_size = out->virtual_size;
	if (r->has_meta)
		from_meta(&r->meta, out);
	if (out->pieces > 1 && r->io.n == 1 && !r->io.split) {
		out->joined_pieces = out->pieces;   /* read as one file */
		out->pieces = 1;
	}
	if (r->pt_ext && lb_part_modes_decode(r->pt_ext, r->pt_ext_len, out->parts,
					      LB_MAX_PART_MODES, &out->nparts,
					      ctx->msg, sizeof ctx->msg))
		out->nparts = 0;        /* unreadable records: info goes on */
	out->table = lb_part_modes_choice(r->pt_ext, r->pt_ext_len);  /* C013 */
	if (out->complete)
		e = lb_imgr_check_tables(ctx, r, &out->stored_clusters,
					 &out->zero_clusters);
	int rescue = r->has_meta && r->meta.rescue_map_length;
	lb_imgr_close(r);
	out->sha256_pending = out->has_lifeboat_meta && !out->complete;
	if (!e && rescue) {
		rescue_counts(ctx, image, out);
		if (out->rescue && !out->complete)
			count_checkpoint(ctx, image, out);
	}
	return e;
}

enum lb_sha_kind lb_image_sha_kind(const struct lb_image_info *info)
{
	if (info->sha256_pending)
		return LB_SHA_PENDING;
	if (info->rescue)
		return LB_SHA_UNREADABLE_AS_ZEROS;
	for (uint32_t k = 0; k < info->nparts && k < LB_MAX_PART_MODES; k++)
		if (!info->parts[k].raw)
			return LB_SHA_FREE_AS_ZEROS;
	return LB_SHA_SOURCE;
}
