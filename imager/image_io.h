/*
 * image_io.h — the files behind one image: a single file or a split set.
 *
 * An image is addressed by byte offset as if it were one file.  When split,
 * piece i holds bytes [i*split, (i+1)*split) and is named IMAGE for i = 0
 * and IMAGE.001, IMAGE.002, ... after that, so `cat IMAGE IMAGE.0*` (or
 * `cat IMAGE*` in glob order) gives the whole qcow2 back.  While a backup
 * runs every piece carries a ".part" suffix (IMAGE.part, IMAGE.001.part);
 * lb_pieces_commit fsyncs them, renames the pieces from last to first (so
 * IMAGE itself appears last) and fsyncs the directory.
 */
#ifndef LB_IMAGE_IO_H
#define LB_IMAGE_IO_H

#include <stdint.h>
#include "lifeboat.h"

#define LB_MAX_PIECES 999
#define LB_FAT_MAX_FILE 4294967295ull   /* FAT32: 4 GiB - 1 byte */

struct lb_pieces {
	char base[4096];        /* final name of piece 0 */
	int n;                  /* pieces open */
	int fd[LB_MAX_PIECES];
	uint64_t split;         /* bytes per piece, 0: one file */
	uint64_t size;          /* bytes: total (reading), high mark (writing) */
	int writing;            /* pieces are IMAGE*.part */
	int keep;               /* do not remove the .part pieces on close */
};

/* Sets ctx->msg (printf format; long texts are cut at its size). */
void lb_imsg(struct lb_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Name of piece I (0-based) of BASE, with ".part" when PART. */
void lb_piece_name(char *out, size_t outsz, const char *base, int i, int part);

/* Creates IMAGE.part for writing (more pieces appear as writes reach them).
 * Refuses when IMAGE exists and !OVERWRITE (-EEXIST).  SPLIT 0: one file. */
int lb_pieces_create(struct lb_ctx *ctx, struct lb_pieces *p,
		     const char *image, uint64_t split, int overwrite);

/* Renames the single-file image IMAGE to IMAGE.part and opens it to be
 * written again (the writer's lb_imgw_reopen).  On close the .part is
 * kept, not removed: it holds the user's data. */
int lb_pieces_reopen(struct lb_ctx *ctx, struct lb_pieces *p, const char *image);

/* Opens IMAGE (piece 0) read-only; p->size is its size until
 * lb_pieces_open_split adds the other pieces. */
int lb_pieces_open(struct lb_ctx *ctx, struct lb_pieces *p, const char *image);

/* Opens pieces 1..N-1 of a split set whose pieces are SPLIT bytes (the
 * last one shorter) and TOTAL bytes together; each size is checked, so a
 * missing or truncated piece fails naming it (-EBADMSG). */
int lb_pieces_open_split(struct lb_ctx *ctx, struct lb_pieces *p,
			 uint32_t n, uint64_t split, uint64_t total);

/* Writes LEN bytes at image byte OFF (across pieces).  Errors name the piece
 * file, its byte offset and the cause; ENOSPC/EFBIG are kept, other write
 * errors become -LB_ETARGET. */
int lb_pieces_pwrite(struct lb_ctx *ctx, struct lb_pieces *p, const void *buf,
		     size_t len, uint64_t off);

/* Reads exactly LEN bytes at image byte OFF; reading past the end is
 * -EBADMSG ("truncated"), an I/O error -EIO, both naming file and offset. */
int lb_pieces_pread(struct lb_ctx *ctx, struct lb_pieces *p, void *buf,
		    size_t len, uint64_t off);

/* Sets the final size to SIZE bytes, fsyncs and renames every piece, then
 * fsyncs the directory.  Returns 0 or a negative errno. */
int lb_pieces_commit(struct lb_ctx *ctx, struct lb_pieces *p, uint64_t size);

/* Closes the pieces; when writing, removes every .part piece. */
void lb_pieces_close(struct lb_pieces *p);

/* Plans the destination of IMAGE: *split becomes 4 GiB - 1 when the
 * directory is on FAT and REQUESTED is 0 or larger, else REQUESTED.
 * Refuses (-ENOSPC, message with both numbers) when the free space is
 * below NEED bytes. */
int lb_dest_plan(struct lb_ctx *ctx, const char *image, uint64_t need,
		 uint64_t requested, uint64_t *split);

#endif
