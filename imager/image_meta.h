/*
 * image_meta.h — Lifeboat's qcow2 header extension (type 0x4c424f54, "LBOT").
 *
 * Other qcow2 readers skip unknown header extensions, so this is where
 * Lifeboat keeps what qcow2 has no field for: where the image came from,
 * when and by which version it was made, the "complete" marker, the SHA-256
 * of the whole virtual disk, the location of the per-cluster checksum table
 * (XXH3-64 of each stored cluster's uncompressed bytes), the split layout,
 * and reserved room for the rescue map.  The byte layout (big-endian, like
 * qcow2) is in docs/image-format.md; image_meta.c encodes and decodes it.
 */
#ifndef LB_IMAGE_META_H
#define LB_IMAGE_META_H

#include <stddef.h>
#include <stdint.h>

#define LB_META_VERSION         1
#define LB_META_LEN             512     /* bytes of extension data */
#define LB_META_COMPLETE        (1u << 0)
#define LB_CKSUM_XXH3_64        1

struct lb_meta {
	uint32_t version;               /* LB_META_VERSION */
	uint32_t flags;                 /* LB_META_COMPLETE */
	int64_t created;                /* seconds since the epoch, UTC */
	uint64_t source_size;           /* bytes */
	uint32_t logical_sector, physical_sector;       /* bytes */
	char model[64], serial[64], tool_version[32];
	char source_path[128];
	uint8_t sha256[32];             /* of the virtual disk as stored */
	uint64_t cksum_dir_offset;      /* bytes; the checksum directory */
	uint32_t cksum_dir_entries;     /* = l1_size */
	uint32_t cksum_algo;            /* LB_CKSUM_XXH3_64 */
	uint64_t cksum_dir_hash;        /* XXH3-64 of the directory bytes */
	uint64_t split_size;            /* bytes per piece, 0 = one file */
	uint32_t pieces;                /* number of files, >= 1 */
	uint64_t file_size;             /* bytes of all pieces together */
	uint64_t stored_clusters, zero_clusters;
	uint64_t rescue_map_offset, rescue_map_length;  /* reserved, 0 */
	uint64_t bad_bytes;             /* reserved for rescue, 0 */
	uint64_t data_end;              /* bytes: end of data/tables area */
};

/* Encodes M into BUF (LB_META_LEN bytes). */
void lb_meta_encode(const struct lb_meta *m, uint8_t *buf);

/* Decodes LEN bytes of extension data.  Returns 0 or -EBADMSG with MSG
 * naming the field (too short, unknown version, strings not terminated). */
int lb_meta_decode(const uint8_t *buf, size_t len, struct lb_meta *m,
		   char *msg, size_t msgsz);

#endif
