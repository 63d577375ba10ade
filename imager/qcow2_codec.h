/*
 * qcow2_codec.h — compress and decompress one qcow2 cluster.
 *
 * zstd (compression_type 1): one zstd frame per cluster.  zlib
 * (compression_type 0): raw deflate (no zlib header) with a 4 KiB window
 * (windowBits -12), as qemu writes it, so that every qcow2 reader can
 * inflate it.  One lb_codec per thread; contexts are reused across clusters.
 */
#ifndef LB_QCOW2_CODEC_H
#define LB_QCOW2_CODEC_H

#include <stddef.h>
#include <zlib.h>
#include <zstd.h>
#include "lifeboat.h"

struct lb_codec {
	enum lb_compress type;
	int level;
	ZSTD_CCtx *zc;
	ZSTD_DCtx *zd;
	z_stream def, inf;
	int def_ok, inf_ok;
};

/* LEVEL 0 picks the default (zstd 3, zlib 6).  Returns 0 or -ENOMEM. */
int lb_codec_init(struct lb_codec *c, enum lb_compress type, int level);
void lb_codec_free(struct lb_codec *c);

/* Compresses N bytes into OUT (CAP bytes).  Returns the compressed length,
 * or 0 when it does not fit in CAP (store the cluster uncompressed). */
size_t lb_codec_compress(struct lb_codec *c, const void *in, size_t n,
			 void *out, size_t cap);

/* Decompresses from IN (up to N bytes: the descriptor's sector range, which
 * may hold trailing bytes of the next cluster) exactly OUTLEN bytes into
 * OUT.  Returns 0 or -EBADMSG when the data is corrupt or too short. */
int lb_codec_decompress(struct lb_codec *c, const void *in, size_t n,
			void *out, size_t outlen);

#endif
