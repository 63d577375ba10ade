/*
 * qcow2.h — the qcow2 version 3 on-disk format (qemu docs/interop/qcow2.txt),
 * declared with explicit widths and big-endian accessors.
 *
 * This header knows the bytes only: the header fields, the L1/L2 entry and
 * compressed-cluster descriptor bit layouts, refcount geometry.  The image
 * writer (image_writer.c) and reader (image_reader.c) use it; qcow2.c
 * parses and validates a header and its extensions from a buffer, so that
 * the fuzz target can drive it without any file.
 */
#ifndef LB_QCOW2_H
#define LB_QCOW2_H

#include <stddef.h>
#include <stdint.h>

#define QCOW2_MAGIC             0x514649fbu     /* "QFI\xfb" */
#define QCOW2_HDR_V3_LEN        104
#define QCOW2_HDR_LEN           112     /* ours: 104 + compression_type + pad */
#define QCOW2_MIN_CLUSTER_BITS  9
#define QCOW2_MAX_CLUSTER_BITS  21      /* qemu's limit: 2 MiB */
#define QCOW2_MAX_L1_BYTES      (32u << 20)     /* qemu's limit */
#define QCOW2_MAX_RT_BYTES      (8u << 20)      /* qemu's refcount table limit */

/* Incompatible feature bits (header bytes 72-79). */
#define QCOW2_INCOMPAT_DIRTY    (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT  (1ull << 1)
#define QCOW2_INCOMPAT_DATAFILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESS (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2    (1ull << 4)

#define QCOW2_COMPRESS_ZLIB     0
#define QCOW2_COMPRESS_ZSTD     1

/* Header extension types. */
#define QCOW2_EXT_END           0x00000000u
#define QCOW2_EXT_FEATURES      0x6803f857u
#define QCOW2_EXT_LIFEBOAT      0x4c424f54u     /* "LBOT": image_meta.h */
#define QCOW2_EXT_LBPT          0x4c425054u     /* "LBPT": probe.h partition modes */

/* L1/L2 entry bits (spec "Cluster mapping"). */
#define QCOW2_OFLAG_COPIED      (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED  (1ull << 62)
#define QCOW2_OFLAG_ZERO        (1ull << 0)
#define QCOW2_OFFSET_MASK       0x00fffffffffffe00ull   /* bits 9-55 */
#define QCOW2_L1_RESERVED       0x7f000000000001ffull   /* bits 0-8, 56-62 */
#define QCOW2_L2_STD_RESERVED   0x3f000000000001feull   /* bits 1-8, 56-61 */
#define QCOW2_SECTOR            512u    /* unit of compressed sizes */

static inline uint32_t lb_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}
static inline uint64_t lb_be64(const void *p)
{
	return (uint64_t)lb_be32(p) << 32 | lb_be32((const uint8_t *)p + 4);
}
static inline void lb_put_be32(void *p, uint32_t v)
{
	uint8_t *b = p;
	b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = v;
}
static inline void lb_put_be64(void *p, uint64_t v)
{
	lb_put_be32(p, (uint32_t)(v >> 32));
	lb_put_be32((uint8_t *)p + 4, (uint32_t)v);
}

/* The header fields we use (spec "Header"), host byte order. */
struct qcow2_header {
	uint32_t version;               /* 2 or 3 */
	uint32_t cluster_bits;
	uint64_t size;                  /* virtual disk, bytes */
	uint32_t crypt_method;
	uint32_t l1_size;               /* entries */
	uint64_t l1_table_offset;       /* bytes */
	uint64_t refcount_table_offset; /* bytes */
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t backing_file_offset;
	uint64_t incompatible, compatible, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
	/* Lifeboat extension, when present (offset inside cluster 0). */
	uint32_t lb_ext_offset, lb_ext_len;
	/* Lifeboat partition-mode records (probe.h), when present. */
	uint32_t pt_ext_offset, pt_ext_len;
};

/* Geometry derived from cluster_bits (spec "Cluster mapping"). */
static inline uint64_t qcow2_l2_entries(uint32_t cluster_bits)
{
	return (uint64_t)1 << (cluster_bits - 3);
}
/* Compressed descriptor: offset in bits 0..x-1, x = 62 - (cluster_bits-8);
 * "additional sectors" count in bits x..61. */
static inline unsigned qcow2_csize_shift(uint32_t cluster_bits)
{
	return 62 - (cluster_bits - 8);
}
static inline uint64_t qcow2_csize_mask(uint32_t cluster_bits)
{
	return ((uint64_t)1 << (cluster_bits - 8)) - 1;
}

/* Encodes a compressed cluster descriptor for LEN bytes at byte OFF
 * (spec "Compressed Clusters Descriptor"), including bit 62. */
uint64_t qcow2_compressed_entry(uint32_t cluster_bits, uint64_t off,
				uint64_t len);

/* Decodes a compressed L2 entry into the host byte offset and the byte
 * length of the sector range it names (to the end of its last 512-byte
 * sector, counted from OFF, as qemu reads and refcounts it). */
void qcow2_compressed_range(uint32_t cluster_bits, uint64_t entry,
			    uint64_t *off, uint64_t *len);

/* Parses and validates the header and header extensions in BUF (the first
 * LEN bytes of the image, at least the first cluster or the whole file if
 * shorter) against FILE_SIZE bytes: magic, version, cluster_bits, features,
 * extensions (not the tables: qcow2_check_tables).  Returns 0, or -EBADMSG / -ENOTSUP
 * with MSG naming the field and its byte offset. */
int qcow2_parse_header(const uint8_t *buf, size_t len, uint64_t file_size,
		       struct qcow2_header *h, char *msg, size_t msgsz);

/* Checks the L1 and refcount table fields of a parsed header against
 * FILE_SIZE bytes: aligned, outside cluster 0, inside the file, sizes within
 * qemu's limits.  Separate from parsing so that an incomplete image (whose
 * tables are not written yet) can be recognised first. */
int qcow2_check_tables(const struct qcow2_header *h, uint64_t file_size,
		       char *msg, size_t msgsz);

/* Writes a version 3 header for H into BUF (QCOW2_HDR_LEN bytes), without
 * extensions.  Sets the compression-type bit when compression_type != 0. */
void qcow2_build_header(const struct qcow2_header *h, uint8_t *buf);

#endif
