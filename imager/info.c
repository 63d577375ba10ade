/*
 * info.c — lb_image_info: what an image is, from its header, tables and
 * Lifeboat metadata, without decompressing data.  An incomplete image (a
 * backup that did not finish) is described as such rather than refused.
 */
#include <errno.h>
#include <string.h>

#include "checksum.h"
#include "image.h"
#include "probe.h"

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
	lb_imgr_close(r);
	return e;
}
