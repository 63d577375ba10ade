/*
 * qcow2.c — parse, validate and build the qcow2 header (qemu
 * docs/interop/qcow2.txt, sections "Header", "Header extensions" and
 * "Compressed Clusters Descriptor").
 *
 * Everything here works on buffers: the reader hands in the first cluster
 * of an image and the total file size, and gets back either a header it may
 * trust (every offset aligned and inside the file, every size bounded) or
 * -EBADMSG/-ENOTSUP and a message naming the field and its byte offset.
 * Nothing read from the file is used before it has been checked here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "qcow2.h"

#define FAIL(err, ...) do { snprintf(msg, msgsz, __VA_ARGS__); return (err); } while (0)

uint64_t qcow2_compressed_entry(uint32_t cluster_bits, uint64_t off,
				uint64_t len)
{
	uint64_t nsec = (off + len - 1) / QCOW2_SECTOR - off / QCOW2_SECTOR;

	return QCOW2_OFLAG_COMPRESSED | off |
	       nsec << qcow2_csize_shift(cluster_bits);
}

void qcow2_compressed_range(uint32_t cluster_bits, uint64_t entry,
			    uint64_t *off, uint64_t *len)
{
	unsigned shift = qcow2_csize_shift(cluster_bits);
	uint64_t nsec = ((entry >> shift) & qcow2_csize_mask(cluster_bits)) + 1;

	*off = entry & (((uint64_t)1 << shift) - 1);
	*len = nsec * QCOW2_SECTOR - (*off & (QCOW2_SECTOR - 1));
}

/* Bytes 0-71: the fields common to versions 2 and 3. */
static void read_v2_fields(const uint8_t *b, struct qcow2_header *h)
{
	memset(h, 0, sizeof *h);
	h->version = lb_be32(b + 4);
	h->backing_file_offset = lb_be64(b + 8);
	h->cluster_bits = lb_be32(b + 20);
	h->size = lb_be64(b + 24);
	h->crypt_method = lb_be32(b + 32);
	h->l1_size = lb_be32(b + 36);
	h->l1_table_offset = lb_be64(b + 40);
	h->refcount_table_offset = lb_be64(b + 48);
	h->refcount_table_clusters = lb_be32(b + 56);
	h->nb_snapshots = lb_be32(b + 60);
	h->snapshots_offset = lb_be64(b + 64);
	h->refcount_order = 4;
	h->header_length = 72;
}

/* Bytes 72-104 and the compression type byte of a version 3 header. */
static int read_v3_fields(const uint8_t *b, size_t len, struct qcow2_header *h,
			  char *msg, size_t msgsz)
{
	if (len < QCOW2_HDR_V3_LEN)
		FAIL(-EBADMSG, "qcow2 header: file too short (%zu bytes) for a "
		     "version 3 header", len);
	h->incompatible = lb_be64(b + 72);
	h->compatible = lb_be64(b + 80);
	h->autoclear = lb_be64(b + 88);
	h->refcount_order = lb_be32(b + 96);
	h->header_length = lb_be32(b + 100);
	if (h->header_length < QCOW2_HDR_V3_LEN || h->header_length % 8 ||
	    h->header_length > len || h->header_length > (1u << h->cluster_bits))
		FAIL(-EBADMSG, "qcow2 header: header_length %" PRIu32
		     " at byte 100 is invalid", h->header_length);
	if (h->refcount_order > 6)
		FAIL(-EBADMSG, "qcow2 header: refcount_order %" PRIu32
		     " at byte 96 is above 6", h->refcount_order);
	if (h->header_length > 104)
		h->compression_type = b[104];
	return 0;
}

/* Features we cannot read are -ENOEXEC ("not an image we can read",
 * exit 6), like a damaged header: the image is unusable either way. */
static int check_features(const struct qcow2_header *h, char *msg, size_t msgsz)
{
	uint64_t known = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_COMPRESS;

	if (h->incompatible & QCOW2_INCOMPAT_CORRUPT)
		FAIL(-EBADMSG, "qcow2 header: the corrupt bit is set "
		     "(incompatible_features at byte 72)");
	if (h->incompatible & ~known)
		FAIL(-ENOEXEC, "qcow2 header: unsupported incompatible features "
		     "0x%" PRIx64 " at byte 72 (external data file, extended L2 "
		     "or unknown)", h->incompatible & ~known);
	if (!!(h->incompatible & QCOW2_INCOMPAT_COMPRESS) !=
	    (h->compression_type != 0))
		FAIL(-EBADMSG, "qcow2 header: compression_type %u at byte 104 "
		     "disagrees with incompatible feature bit 3",
		     h->compression_type);
	if (h->compression_type > QCOW2_COMPRESS_ZSTD)
		FAIL(-ENOEXEC, "qcow2 header: unknown compression_type %u at "
		     "byte 104", h->compression_type);
	if (h->crypt_method)
		FAIL(-ENOEXEC, "qcow2 header: encrypted images (crypt_method "
		     "%" PRIu32 " at byte 32) are not supported", h->crypt_method);
	if (h->backing_file_offset)
		FAIL(-ENOEXEC, "qcow2 header: images with a backing file (byte 8) "
		     "are not supported");
	return 0;
}

/* A table of BYTES bytes at OFF must be cluster aligned, outside cluster 0
 * and inside the file. */
static int check_table(const char *what, int field, uint64_t off,
		       uint64_t bytes, uint64_t cs, uint64_t file_size,
		       char *msg, size_t msgsz)
{
	if (off % cs || off < cs || off > file_size || bytes > file_size - off)
		FAIL(-EBADMSG, "qcow2 header: %s offset %" PRIu64 " (field at "
		     "byte %d, %" PRIu64 " bytes) is unaligned, in the header "
		     "cluster or past the end of the file (%" PRIu64 " bytes)",
		     what, off, field, bytes, file_size);
	return 0;
}

int qcow2_check_tables(const struct qcow2_header *h, uint64_t file_size,
		       char *msg, size_t msgsz)
{
	uint64_t cs = (uint64_t)1 << h->cluster_bits;
	uint64_t per_l1 = cs * qcow2_l2_entries(h->cluster_bits);
	uint64_t need = h->size / per_l1 + (h->size % per_l1 != 0);
	uint64_t rt = (uint64_t)h->refcount_table_clusters * cs;
	int r;

	if (h->size > ((uint64_t)1 << 56))
		FAIL(-EBADMSG, "qcow2 header: virtual size %" PRIu64 " at byte 24 "
		     "is beyond 64 PiB", h->size);
	if (h->l1_size < need || (uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		FAIL(-EBADMSG, "qcow2 header: l1_size %" PRIu32 " at byte 36 does "
		     "not fit virtual size %" PRIu64 " (needs %" PRIu64 ", at most "
		     "%u)", h->l1_size, h->size, need, QCOW2_MAX_L1_BYTES / 8);
	if (h->l1_size && (r = check_table("L1 table", 40, h->l1_table_offset,
			   (uint64_t)h->l1_size * 8, cs, file_size, msg, msgsz)))
		return r;
	if (rt > QCOW2_MAX_RT_BYTES)
		FAIL(-EBADMSG, "qcow2 header: refcount_table_clusters %" PRIu32
		     " at byte 56 is too large", h->refcount_table_clusters);
	return check_table("refcount table", 48, h->refcount_table_offset, rt,
			   cs, file_size, msg, msgsz);
}

/* Walks the header extensions from header_length to the end of cluster 0
 * (bounded: each step advances at least 8 bytes). */
static int read_extensions(const uint8_t *b, size_t len, struct qcow2_header *h,
			   char *msg, size_t msgsz)
{
	size_t end = len < ((size_t)1 << h->cluster_bits) ? len :
		     (size_t)1 << h->cluster_bits;
	size_t pos = h->header_length;

	while (pos + 8 <= end) {
		uint32_t type = lb_be32(b + pos), elen = lb_be32(b + pos + 4);

		if (type == QCOW2_EXT_END)
			return 0;
		if (elen > end - pos - 8)
			FAIL(-EBADMSG, "qcow2 header extension 0x%08" PRIx32 " at "
			     "byte %zu: length %" PRIu32 " runs past the header "
			     "cluster", type, pos, elen);
		if (type == QCOW2_EXT_LIFEBOAT) {
			if (h->lb_ext_offset)
				FAIL(-EBADMSG, "qcow2 header: second Lifeboat "
				     "extension at byte %zu", pos);
			h->lb_ext_offset = (uint32_t)pos + 8;
			h->lb_ext_len = elen;
		} else if (type == QCOW2_EXT_LBPT) {
			h->pt_ext_offset = (uint32_t)pos + 8;
			h->pt_ext_len = elen;
		}
		pos += 8 + (((size_t)elen + 7) & ~(size_t)7);
	}
	return 0;
}

int qcow2_parse_header(const uint8_t *b, size_t len, uint64_t file_size,
		       struct qcow2_header *h, char *msg, size_t msgsz)
{
	int r;

	if (len < 72 || file_size < 72)
		FAIL(-EBADMSG, "not a qcow2 image: only %" PRIu64 " bytes",
		     file_size < len ? file_size : (uint64_t)len);
	if (lb_be32(b) != QCOW2_MAGIC)
		FAIL(-EBADMSG, "not a qcow2 image: magic 0x%08" PRIx32 " at byte 0",
		     lb_be32(b));
	read_v2_fields(b, h);
	if (h->version != 2 && h->version != 3)
		FAIL(-ENOTSUP, "qcow2 header: version %" PRIu32 " at byte 4 is not "
		     "2 or 3", h->version);
	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    h->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		FAIL(-EBADMSG, "qcow2 header: cluster_bits %" PRIu32 " at byte 20 "
		     "is outside 9..21", h->cluster_bits);
	if (h->version == 3 && (r = read_v3_fields(b, len, h, msg, msgsz)))
		return r;
	if ((r = check_features(h, msg, msgsz)))
		return r;
	return read_extensions(b, len, h, msg, msgsz);
}

void qcow2_build_header(const struct qcow2_header *h, uint8_t *b)
{
	memset(b, 0, QCOW2_HDR_LEN);
	lb_put_be32(b, QCOW2_MAGIC);
	lb_put_be32(b + 4, 3);
	lb_put_be32(b + 20, h->cluster_bits);
	lb_put_be64(b + 24, h->size);
	lb_put_be32(b + 36, h->l1_size);
	lb_put_be64(b + 40, h->l1_table_offset);
	lb_put_be64(b + 48, h->refcount_table_offset);
	lb_put_be32(b + 56, h->refcount_table_clusters);
	lb_put_be64(b + 72, h->compression_type ? QCOW2_INCOMPAT_COMPRESS : 0);
	lb_put_be32(b + 96, 4);
	lb_put_be32(b + 100, QCOW2_HDR_LEN);
	b[104] = h->compression_type;
}
