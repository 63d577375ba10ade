/*
 * image.h — writing and reading Lifeboat's qcow2 images, one cluster at a
 * time.  The backup, restore and verify jobs (backup.c, restore.c,
 * verify.c) sit on top; so will rescue, which may store clusters in any
 * order and reopen an image to go on writing.
 *
 * Writer model (image_writer.c): the caller compresses (or not) each guest
 * cluster and hands it to lb_imgw_put with its index; clusters that read as
 * zero are simply not put (or put as LB_CL_ZERO) and stay unallocated.  The
 * writer packs compressed clusters end to end at byte granularity, keeps
 * the L2 table and checksum block of one L2 group (l2_entries clusters) in
 * memory and writes them back when another group is touched, so memory is
 * bounded whatever the disk size and order.  L1, refcounts and the header
 * are written by lb_imgw_finish from in-memory state.
 *
 * Reader model (image_reader.c): lb_imgr_open checks header, L1, Lifeboat
 * metadata and (lb_imgr_check_tables) every L2 table before anything is
 * trusted; lb_imgr_map then answers where a guest cluster lives.
 */
#ifndef LB_IMAGE_H
#define LB_IMAGE_H

#include <stdint.h>
#include "lifeboat.h"
#include "image_io.h"
#include "image_meta.h"
#include "qcow2.h"

/* Default cluster size (bytes); chosen by measurement, see
 * docs/image-format.md "Cluster size". */
#define LB_DEFAULT_CLUSTER (1u << 20)

enum lb_cluster_kind {
	LB_CL_ZERO = 0,         /* reads as zeros, not stored */
	LB_CL_RAW = 1,          /* stored uncompressed, cluster_size bytes */
	LB_CL_COMPRESSED = 2,   /* stored compressed */
};

/* ---- Writer ------------------------------------------------------------- */

struct lb_imgw_opts {
	uint32_t cluster_bits;  /* 10..21 (backup uses 16..21) */
	uint64_t size;          /* virtual size, bytes */
	enum lb_compress compress;
	uint64_t split_size;    /* bytes per piece, 0: one file */
	int overwrite;
};

struct lb_imgw;

/* Creates IMAGE.part (and later pieces) with a provisional header whose
 * Lifeboat extension says "incomplete".  Returns 0 or a negative errno. */
int lb_imgw_create(struct lb_ctx *ctx, const char *image,
		   const struct lb_imgw_opts *o, struct lb_imgw **out);

/* Stores guest cluster IDX (0-based; cluster i covers bytes
 * [i*cluster_size, (i+1)*cluster_size) of the virtual disk).  KIND says how
 * DATA (LEN bytes) is stored; XXH is lb_xxh3 of the uncompressed cluster
 * (cluster_size bytes, zero-padded at the end of the disk).  Any order;
 * storing an index again replaces it.  Returns 0 or a negative errno. */
int lb_imgw_put(struct lb_ctx *ctx, struct lb_imgw *w, uint64_t idx,
		enum lb_cluster_kind kind, const void *data, size_t len,
		uint64_t xxh);

/* Writes checksum directory, L1, refcounts and the final header (with META,
 * whose table, split and count fields the writer fills in, marked
 * complete), fsyncs, renames IMAGE.part to IMAGE.  Frees W either way. */
int lb_imgw_finish(struct lb_ctx *ctx, struct lb_imgw *w, struct lb_meta *meta);

/* Adds one more header extension of TYPE (LEN bytes, copied), written
 * after the Lifeboat extension: the partition-mode records (probe.h).
 * Returns 0, -ENOMEM, or -E2BIG when it would not fit in cluster 0. */
int lb_imgw_set_ext(struct lb_imgw *w, uint32_t type, const void *data,
		    size_t len);

/* Reopens a complete single-file Lifeboat image to store more clusters
 * (rescue passes, resume): checks it fully, rebuilds L1, checksum directory
 * and refcounts from its tables, renames it to IMAGE.part and marks it
 * incomplete; new data goes after the old data (LBOT data_end), the tables
 * are written again by lb_imgw_finish.  *META receives the old metadata
 * (pass it, updated, to lb_imgw_finish).  lb_imgw_abort then leaves
 * IMAGE.part in place (incomplete) instead of removing it. */
int lb_imgw_reopen(struct lb_ctx *ctx, const char *image, struct lb_meta *meta,
		   struct lb_imgw **out);

/* Checkpoint (rescue): writes the checksum directory, L1 and refcounts
 * after the data so far, then EXTRA_LEN bytes of EXTRA (the rescue map,
 * 512-byte aligned; named by META rescue_map_offset/length), syncs, and
 * rewrites the header (META, marked incomplete; data_end = file_size =
 * the end of EXTRA) to point at them, and syncs again.  IMAGE.part is
 * then a valid qcow2 (qemu-img check clean) holding exactly what was put
 * before the call, whatever happens later: tables it points at are never
 * written again (an L2 group changed later gets a new copy).  From the
 * first checkpoint on, lb_imgw_abort keeps IMAGE.part.  Single file only
 * (-ENOTSUP when split).  Each checkpoint leaves its tables and map as
 * unreferenced space (refcount 0) once the next one is written. */
int lb_imgw_checkpoint(struct lb_ctx *ctx, struct lb_imgw *w,
		       struct lb_meta *meta, const void *extra, size_t extra_len);

/* Reopens IMAGE.part as left by lb_imgw_checkpoint (a rescue killed or
 * stopped): checks it, rebuilds tables and refcounts from it, appends
 * after its data_end.  *META receives its metadata.  -EBADMSG for a file
 * that is not such a checkpoint. */
int lb_imgw_reopen_part(struct lb_ctx *ctx, const char *image,
			struct lb_meta *meta, struct lb_imgw **out);

/* Where guest cluster IDX is stored now (M; kind LB_CL_ZERO when not
 * stored) and its stored bytes (M->len, at most CAP) read into BUF, as
 * written so far (rescue reads a cluster back to add sectors to it). */
struct lb_cluster_map;
int lb_imgw_get(struct lb_ctx *ctx, struct lb_imgw *w, uint64_t idx,
		struct lb_cluster_map *m, void *buf, size_t cap);

/* Abandons the image: closes and removes every .part piece.  Frees W. */
void lb_imgw_abort(struct lb_imgw *w);

/* Bytes written to the image so far. */
uint64_t lb_imgw_bytes(const struct lb_imgw *w);

/* ---- Reader ------------------------------------------------------------- */

struct lb_cluster_map {
	enum lb_cluster_kind kind;
	uint64_t off;           /* host byte offset (RAW, COMPRESSED) */
	uint64_t len;           /* bytes to read: cluster_size or sector range */
	uint64_t xxh;           /* stored checksum, valid when has_xxh */
	int has_xxh;
};

struct lb_imgr {
	struct lb_pieces io;
	struct qcow2_header h;
	struct lb_meta meta;
	int has_meta;
	uint64_t cs;            /* cluster size, bytes */
	uint64_t nclusters;     /* guest clusters */
	uint64_t data_size;     /* bytes of the disk: the LBOT source_size when
				 * the header's size is it rounded up to 512 */
	uint64_t l2e;           /* entries per L2 table */
	uint64_t *l1;           /* host order, l1_size entries */
	uint64_t *ckdir;        /* 2 * l1_size: offset, hash (Lifeboat only) */
	uint64_t cur_group;     /* L2 group in the cache, or UINT64_MAX */
	uint64_t *l2, *ck;      /* cached L2 table and checksum block */
	uint8_t *tmp;           /* one cluster of scratch */
	uint8_t *pt_ext;        /* copy of the "LBPT" extension, or NULL */
	size_t pt_ext_len;
};

/* Opens IMAGE (or the first piece of a split set), validates the header,
 * extensions, Lifeboat metadata, split pieces and the L1 table.  Refuses an
 * incomplete image (-EBADMSG, "incomplete") unless ALLOW_INCOMPLETE; with 1
 * only its header is read, with 2 its tables too (a rescue checkpoint,
 * lb_imgw_checkpoint). */
int lb_imgr_open(struct lb_ctx *ctx, const char *image, int allow_incomplete,
		 struct lb_imgr **out);
void lb_imgr_close(struct lb_imgr *r);

/* Reads and checks every L2 table and checksum block (offsets aligned and
 * inside the file, reserved bits clear, compressed ranges inside the file,
 * no table overlapping another).  Counts stored and zero clusters. */
int lb_imgr_check_tables(struct lb_ctx *ctx, struct lb_imgr *r,
			 uint64_t *stored, uint64_t *zero);

/* Where guest cluster IDX lives.  Returns 0 or a negative errno. */
int lb_imgr_map(struct lb_ctx *ctx, struct lb_imgr *r, uint64_t idx,
		struct lb_cluster_map *m);

#endif
