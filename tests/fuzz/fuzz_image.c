/*
 * fuzz_image.c — libFuzzer target for the image reader.
 *
 * Each input is taken as a whole qcow2 file (through a memfd, so the
 * reader's real file path is used): open it, check every table, then map,
 * read and decode every cluster and compare checksums, as verify does.
 * Any crash, out-of-bounds access, leak or hang is a bug; errors are the
 * expected outcome for most inputs.  tests/fuzz/t_image_reader.sh builds
 * it with clang -fsanitize=fuzzer,address, replays tests/fuzz/corpus and
 * fuzzes for a bounded time.
 *
 * Built with -DMKSEED instead, it is a small program that writes seed
 * images with the Lifeboat writer (1 KiB clusters so they stay small).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "checksum.h"
#include "image.h"
#include "qcow2_codec.h"

static void decode_all(struct lb_ctx *ctx, struct lb_imgr *r)
{
	struct lb_codec c;
	uint8_t *in = malloc(2 * r->cs + 1024), *out = malloc(r->cs);
	struct lb_cluster_map m;

	lb_codec_init(&c, r->h.compression_type ? LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB, 0);
	for (uint64_t i = 0; in && out && i < r->nclusters && i < 4096; i++) {
		if (lb_imgr_map(ctx, r, i, &m) || m.kind == LB_CL_ZERO || m.len > 2 * r->cs + 1024)
			continue;
		if (lb_pieces_pread(ctx, &r->io, in, m.len, m.off))
			continue;
		if (m.kind == LB_CL_COMPRESSED && lb_codec_decompress(&c, in, m.len, out, r->cs))
			continue;
		if (m.has_xxh && lb_xxh3(m.kind == LB_CL_RAW ? in : out, r->cs) != m.xxh)
			continue;
	}
	lb_codec_free(&c);
	free(in);
	free(out);
}

#ifndef MKSEED
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_ctx ctx = { 0 };
	struct lb_imgr *r;
	char path[64];
	int fd = memfd_create("img", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (lb_imgr_open(&ctx, path, 1, &r) == 0) {
			if (r->l1 && lb_imgr_check_tables(&ctx, r, NULL, NULL) == 0)
				decode_all(&ctx, r);
			lb_imgr_close(r);
		}
	}
	close(fd);
	return 0;
}
#else
/* mkseed DIR: writes a few small Lifeboat images into DIR. */
int main(int argc, char **argv)
{
	static uint8_t raw[1024], pk[1024];
	struct lb_ctx ctx = { 0 };
	char path[512];

	if (argc < 2)
		return 2;
	for (int t = 0; t < 2; t++) {
		struct lb_imgw_opts o = { .cluster_bits = 10, .size = 40 * 1024,
					  .compress = t ? LB_COMPRESS_ZLIB : LB_COMPRESS_ZSTD };
		struct lb_codec c;
		struct lb_imgw *w;
		struct lb_meta m = { 0 };

		snprintf(path, sizeof path, "%s/lifeboat-%s.qcow2", argv[1], t ? "zlib" : "zstd");
		lb_codec_init(&c, o.compress, 0);
		if (lb_imgw_create(&ctx, path, &o, &w))
			return 1;
		for (uint64_t i = 0; i < 40; i += 3) {
			for (int k = 0; k < 1024; k++)
				raw[k] = (uint8_t)(i < 30 ? "seed "[k % 5] + i : rand());
			size_t n = lb_codec_compress(&c, raw, 1024, pk, 1023);
			lb_imgw_put(&ctx, w, i, n ? LB_CL_COMPRESSED : LB_CL_RAW,
				    n ? pk : raw, n ? n : 1024, lb_xxh3(raw, 1024));
		}
		if (lb_imgw_finish(&ctx, w, &m))
			return 1;
		lb_codec_free(&c);
	}
	return 0;
}
#endif
