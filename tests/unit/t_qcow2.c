/*
 * t_qcow2.c — unit tests of the qcow2 format code: header validation of
 * hostile headers, compressed descriptors, the codecs, and the image
 * writer/reader round trip with clusters stored out of order and replaced.
 * When qemu-img is installed, it referees the written image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checksum.h"
#include "image.h"
#include "qcow2_codec.h"
#include "unit.h"

static uint8_t hdr[65536];

static void good_header(uint64_t file_size)
{
	struct qcow2_header h = {
		.cluster_bits = 16, .size = 1 << 20, .l1_size = 1,
		.l1_table_offset = 65536, .refcount_table_offset = 131072,
		.refcount_table_clusters = 1,
	};
	memset(hdr, 0, sizeof hdr);
	qcow2_build_header(&h, hdr);
	(void)file_size;
}

static int parse(uint64_t file_size, char *msg)
{
	struct qcow2_header h;
	int r = qcow2_parse_header(hdr, sizeof hdr, file_size, &h, msg, 512);
	return r ? r : qcow2_check_tables(&h, file_size, msg, 512);
}

static void test_headers(void)
{
	char msg[512];

	good_header(0);
	CHECK("header: a valid header parses", parse(4 * 65536, msg) == 0);
	hdr[0] = 'X';
	CHECK("header: bad magic is -EBADMSG naming byte 0",
	      parse(4 * 65536, msg) == -EBADMSG && strstr(msg, "byte 0"));
	good_header(0);
	lb_put_be32(hdr + 20, 40);
	CHECK("header: cluster_bits 40 refused naming byte 20",
	      parse(4 * 65536, msg) == -EBADMSG && strstr(msg, "byte 20"));
	good_header(0);
	lb_put_be64(hdr + 40, 1ull << 40);
	CHECK("header: L1 past end of file refused naming byte 40",
	      parse(4 * 65536, msg) == -EBADMSG && strstr(msg, "byte 40"));
	good_header(0);
	lb_put_be64(hdr + 40, 65536 + 8);
	CHECK("header: unaligned L1 refused", parse(4 * 65536, msg) == -EBADMSG);
	good_header(0);
	lb_put_be64(hdr + 24, 1ull << 40);      /* needs more L1 entries */
	CHECK("header: l1_size too small for size refused naming byte 36",
	      parse(4 * 65536, msg) == -EBADMSG && strstr(msg, "byte 36"));
	good_header(0);
	lb_put_be32(hdr + QCOW2_HDR_LEN, 0x12345678);
	lb_put_be32(hdr + QCOW2_HDR_LEN + 4, 0xfffffff0);
	CHECK("header: extension longer than the cluster refused",
	      parse(4 * 65536, msg) == -EBADMSG && strstr(msg, "extension"));
	good_header(0);
	lb_put_be64(hdr + 72, 1ull << 10);
	CHECK("header: unknown incompatible feature refused as unreadable (exit 6)",
	      parse(4 * 65536, msg) == -ENOEXEC && strstr(msg, "byte 72"));
	good_header(0);
	CHECK("header: file shorter than the header refused",
	      qcow2_parse_header(hdr, 50, 50, &(struct qcow2_header){0}, msg, 512) == -EBADMSG);
}

static void test_descriptors(void)
{
	int ok = 1;
	for (uint32_t cb = 16; cb <= 21; cb++)
		for (uint64_t off = 65536; off < 65536 + 3000; off += 511)
			for (uint64_t len = 1; len < (1u << cb); len = len * 3 + 7) {
				uint64_t e = qcow2_compressed_entry(cb, off, len), o, l;
				qcow2_compressed_range(cb, e, &o, &l);
				ok &= o == off && l >= len && l < len + 512 &&
				      (o + l) % 512 == 0 && (e & QCOW2_OFLAG_COMPRESSED);
			}
	CHECK("descriptor: offset and sector count round-trip for 64K..2M clusters", ok);
}

static void fill(uint8_t *b, size_t n, unsigned seed, int random)
{
	for (size_t i = 0; i < n; i++)
		b[i] = random ? (uint8_t)((seed = seed * 1103515245 + 12345) >> 16)
			      : (uint8_t)("lifeboat "[i % 9] + seed);
}

static void test_codecs(void)
{
	static uint8_t in[1 << 16], out[1 << 16], back[1 << 16];
	for (int t = 0; t < 2; t++) {
		struct lb_codec c;
		lb_codec_init(&c, t ? LB_COMPRESS_ZLIB : LB_COMPRESS_ZSTD, 0);
		fill(in, sizeof in, 3, 0);
		size_t n = lb_codec_compress(&c, in, sizeof in, out, sizeof in - 1);
		memset(out + n, 0xee, 600);     /* trailing bytes of "the next cluster" */
		int r = lb_codec_decompress(&c, out, n + 600, back, sizeof back);
		CHECK(t ? "codec: zlib round trip with trailing bytes"
			: "codec: zstd round trip with trailing bytes",
		      n > 0 && n < 4096 && r == 0 && !memcmp(in, back, sizeof in));
		fill(in, sizeof in, 5, 1);
		CHECK(t ? "codec: zlib reports random data as incompressible"
			: "codec: zstd reports random data as incompressible",
		      lb_codec_compress(&c, in, sizeof in, out, sizeof in - 1) == 0);
		out[0] ^= 0xff; out[1] ^= 0xff;
		CHECK(t ? "codec: corrupt zlib data is -EBADMSG"
			: "codec: corrupt zstd data is -EBADMSG",
		      lb_codec_decompress(&c, out, 100, back, sizeof back) == -EBADMSG);
		lb_codec_free(&c);
	}
}

/* Writes clusters 7, 2, 5000 (another L2 group), 2 again (replaced) and a
 * raw one, then reads them back. */
static void test_writer_reader(const char *dir)
{
	enum { CS = 65536 };
	static uint8_t data[4][CS], pk[CS], back[CS];
	struct lb_ctx ctx = { 0 };
	struct lb_imgw_opts o = { .cluster_bits = 16, .size = 6000ull * CS + 1000 };
	struct lb_codec c;
	struct lb_imgw *w;
	char path[256];
	uint64_t order[] = { 7, 2, 5000, 2 };
	int ok = 1;

	snprintf(path, sizeof path, "%s/u.qcow2", dir);
	lb_codec_init(&c, LB_COMPRESS_ZSTD, 0);
	CHECK("writer: create", lb_imgw_create(&ctx, path, &o, &w) == 0);
	for (int i = 0; i < 4; i++) {
		fill(data[i], CS, (unsigned)i, 0);
		size_t n = lb_codec_compress(&c, data[i], CS, pk, CS - 1);
		ok &= lb_imgw_put(&ctx, w, order[i], LB_CL_COMPRESSED, pk, n,
				  lb_xxh3(data[i], CS)) == 0;
	}
	fill(data[0], CS, 9, 1);
	ok &= lb_imgw_put(&ctx, w, 6000, LB_CL_RAW, data[0], CS, lb_xxh3(data[0], CS)) == 0;
	CHECK("writer: clusters in any order, one replaced, one raw", ok);
	struct lb_meta m = { 0 };
	CHECK("writer: finish renames IMAGE.part", lb_imgw_finish(&ctx, w, &m) == 0 &&
	      access(path, F_OK) == 0);

	struct lb_imgr *r;
	struct lb_cluster_map cm;
	uint64_t stored = 0, zero = 0;
	CHECK("reader: opens and checks every table",
	      lb_imgr_open(&ctx, path, 0, &r) == 0 &&
	      lb_imgr_check_tables(&ctx, r, &stored, &zero) == 0);
	CHECK("reader: 4 stored clusters, the rest zero", stored == 4 && zero == 6001 - 4);
	ok = lb_imgr_map(&ctx, r, 2, &cm) == 0 && cm.kind == LB_CL_COMPRESSED;
	uint8_t *buf = malloc(cm.len);
	ok &= buf && lb_pieces_pread(&ctx, &r->io, buf, cm.len, cm.off) == 0 &&
	      lb_codec_decompress(&c, buf, cm.len, back, CS) == 0 &&
	      !memcmp(back, data[3], CS) && cm.has_xxh && cm.xxh == lb_xxh3(back, CS);
	free(buf);
	CHECK("reader: replaced cluster 2 holds the second version and its checksum", ok);
	ok = lb_imgr_map(&ctx, r, 6000, &cm) == 0 && cm.kind == LB_CL_RAW &&
	     lb_pieces_pread(&ctx, &r->io, back, CS, cm.off) == 0 && !memcmp(back, data[0], CS);
	CHECK("reader: raw cluster reads back", ok);
	CHECK("reader: untouched cluster is zero",
	      lb_imgr_map(&ctx, r, 3, &cm) == 0 && cm.kind == LB_CL_ZERO);
	lb_imgr_close(r);
	lb_codec_free(&c);
	if (system("command -v qemu-img >/dev/null 2>&1") != 0) {
		printf("SKIP writer: qemu-img check — qemu-img not installed\n");
		return;
	}
	char cmd[600];
	snprintf(cmd, sizeof cmd, "qemu-img check %s >/dev/null 2>&1", path);
	CHECK("writer: qemu-img check finds no errors or leaks after replacing a cluster",
	      system(cmd) == 0);
}

/* Reopens the image of test_writer_reader, replaces cluster 7, adds 100. */
static void test_reopen(const char *dir)
{
	enum { CS = 65536 };
	static uint8_t a[CS], b[CS], pk[CS], back[CS];
	struct lb_ctx ctx = { 0 };
	struct lb_codec c;
	struct lb_imgw *w;
	struct lb_imgr *r;
	struct lb_meta m;
	struct lb_cluster_map cm;
	char path[256], cmd[600];
	uint64_t stored = 0, zero = 0;
	int ok;

	snprintf(path, sizeof path, "%s/u.qcow2", dir);
	lb_codec_init(&c, LB_COMPRESS_ZSTD, 0);
	CHECK("reopen: a complete image reopens", lb_imgw_reopen(&ctx, path, &m, &w) == 0);
	CHECK("reopen: IMAGE became IMAGE.part while open", access(path, F_OK) != 0);
	fill(a, CS, 42, 0);
	fill(b, CS, 43, 0);
	size_t n = lb_codec_compress(&c, a, CS, pk, CS - 1);
	ok = lb_imgw_put(&ctx, w, 7, LB_CL_COMPRESSED, pk, n, lb_xxh3(a, CS)) == 0;
	n = lb_codec_compress(&c, b, CS, pk, CS - 1);
	ok &= lb_imgw_put(&ctx, w, 100, LB_CL_COMPRESSED, pk, n, lb_xxh3(b, CS)) == 0;
	CHECK("reopen: more clusters stored and finished",
	      ok && lb_imgw_finish(&ctx, w, &m) == 0 && access(path, F_OK) == 0);
	ok = lb_imgr_open(&ctx, path, 0, &r) == 0 &&
	     lb_imgr_check_tables(&ctx, r, &stored, &zero) == 0 && stored == 5;
	CHECK("reopen: 5 stored clusters after one replaced and one added", ok);
	uint8_t *buf = malloc(2 * CS);
	ok = ok && lb_imgr_map(&ctx, r, 7, &cm) == 0 &&
	     lb_pieces_pread(&ctx, &r->io, buf, cm.len, cm.off) == 0 &&
	     lb_codec_decompress(&c, buf, cm.len, back, CS) == 0 && !memcmp(back, a, CS) &&
	     lb_imgr_map(&ctx, r, 5000, &cm) == 0 && cm.kind == LB_CL_COMPRESSED;
	CHECK("reopen: new data read back, old clusters kept", ok);
	free(buf);
	lb_imgr_close(r);
	lb_codec_free(&c);
	if (system("command -v qemu-img >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof cmd, "qemu-img check %s >/dev/null 2>&1", path);
		CHECK("reopen: qemu-img check finds no errors or leaks", system(cmd) == 0);
	}
}

static void test_incomplete(const char *dir)
{
	struct lb_ctx ctx = { 0 };
	struct lb_imgw_opts o = { .cluster_bits = 16, .size = 1 << 20 };
	struct lb_imgw *w;
	struct lb_imgr *r = NULL;
	char path[256], part[300];

	snprintf(path, sizeof path, "%s/inc.qcow2", dir);
	snprintf(part, sizeof part, "%s.part", path);
	lb_imgw_create(&ctx, path, &o, &w);
	CHECK("incomplete: IMAGE.part refused, message says incomplete",
	      lb_imgr_open(&ctx, part, 0, &r) == -EBADMSG && strstr(ctx.msg, "incomplete"));
	CHECK("incomplete: IMAGE missing while only IMAGE.part exists is named",
	      lb_imgr_open(&ctx, path, 0, &r) == -EBADMSG && strstr(ctx.msg, "incomplete"));
	lb_imgw_abort(w);
	CHECK("incomplete: abort removes IMAGE.part", access(part, F_OK) != 0);
}

int main(void)
{
	char dir[] = "/tmp/t_qcow2.XXXXXX";
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	test_headers();
	test_descriptors();
	test_codecs();
	test_writer_reader(dir);
	test_reopen(dir);
	test_incomplete(dir);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd)) {}
	UNIT_EXIT();
}
