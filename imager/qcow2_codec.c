/*
 * qcow2_codec.c — per-cluster zstd and raw-deflate coding (qcow2_codec.h).
 * The qcow2 spec fixes only the formats; the zlib parameters (raw deflate,
 * windowBits -12, memLevel 9) are the ones qemu uses, so qemu and older
 * readers that inflate with a 4 KiB window accept our clusters.
 */
#include <errno.h>
#include <string.h>

#include "qcow2_codec.h"

int lb_codec_init(struct lb_codec *c, enum lb_compress type, int level)
{
	memset(c, 0, sizeof *c);
	c->type = type;
	c->level = level ? level : type == LB_COMPRESS_ZSTD ? 3 : 6;
	return 0;
}

void lb_codec_free(struct lb_codec *c)
{
	ZSTD_freeCCtx(c->zc);
	ZSTD_freeDCtx(c->zd);
	if (c->def_ok)
		deflateEnd(&c->def);
	if (c->inf_ok)
		inflateEnd(&c->inf);
	memset(c, 0, sizeof *c);
}

static size_t zstd_compress(struct lb_codec *c, const void *in, size_t n,
			    void *out, size_t cap)
{
	size_t r;

	if (!c->zc && !(c->zc = ZSTD_createCCtx()))
		return 0;
	r = ZSTD_compressCCtx(c->zc, out, cap, in, n, c->level);
	return ZSTD_isError(r) ? 0 : r;
}

static size_t zlib_compress(struct lb_codec *c, const void *in, size_t n,
			    void *out, size_t cap)
{
	int r;

	if (!c->def_ok) {
		if (deflateInit2(&c->def, c->level, Z_DEFLATED, -12, 9,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return 0;
		c->def_ok = 1;
	} else if (deflateReset(&c->def) != Z_OK) {
		return 0;
	}
	c->def.next_in = (Bytef *)in;
	c->def.avail_in = (uInt)n;
	c->def.next_out = out;
	c->def.avail_out = (uInt)cap;
	r = deflate(&c->def, Z_FINISH);
	return r == Z_STREAM_END ? cap - c->def.avail_out : 0;
}

size_t lb_codec_compress(struct lb_codec *c, const void *in, size_t n,
			 void *out, size_t cap)
{
	return c->type == LB_COMPRESS_ZSTD ? zstd_compress(c, in, n, out, cap)
					   : zlib_compress(c, in, n, out, cap);
}

static int zstd_decompress(struct lb_codec *c, const void *in, size_t n,
			   void *out, size_t outlen)
{
	size_t fsz, r;

	if (!c->zd && !(c->zd = ZSTD_createDCtx()))
		return -ENOMEM;
	fsz = ZSTD_findFrameCompressedSize(in, n);
	if (ZSTD_isError(fsz))
		return -EBADMSG;
	r = ZSTD_decompressDCtx(c->zd, out, outlen, in, fsz);
	return ZSTD_isError(r) || r != outlen ? -EBADMSG : 0;
}

static int zlib_decompress(struct lb_codec *c, const void *in, size_t n,
			   void *out, size_t outlen)
{
	int r;

	if (!c->inf_ok) {
		if (inflateInit2(&c->inf, -15) != Z_OK)
			return -ENOMEM;
		c->inf_ok = 1;
	} else if (inflateReset(&c->inf) != Z_OK) {
		return -ENOMEM;
	}
	c->inf.next_in = (Bytef *)in;
	c->inf.avail_in = (uInt)n;
	c->inf.next_out = out;
	c->inf.avail_out = (uInt)outlen;
	r = inflate(&c->inf, Z_FINISH);
	/* Z_BUF_ERROR: output full before the end marker, as qemu accepts. */
	if ((r != Z_STREAM_END && r != Z_BUF_ERROR) || c->inf.avail_out)
		return -EBADMSG;
	return 0;
}

int lb_codec_decompress(struct lb_codec *c, const void *in, size_t n,
			void *out, size_t outlen)
{
	return c->type == LB_COMPRESS_ZSTD ? zstd_decompress(c, in, n, out, outlen)
					   : zlib_decompress(c, in, n, out, outlen);
}
