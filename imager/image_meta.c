/*
 * image_meta.c — encode and decode the Lifeboat header extension
 * (image_meta.h; layout table in docs/image-format.md).  A table of
 * (offset, width) pairs keeps the layout in one place for both directions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "image_meta.h"
#include "qcow2.h"

/* Byte offsets inside the extension data. */
enum {
	M_VERSION = 0, M_FLAGS = 4, M_CREATED = 8, M_SRC_SIZE = 16,
	M_LSECT = 24, M_PSECT = 28, M_MODEL = 32, M_SERIAL = 96,
	M_TOOL = 160, M_SHA = 192, M_CK_OFF = 224, M_CK_N = 232,
	M_CK_ALGO = 236, M_CK_HASH = 240, M_SPLIT = 248, M_PIECES = 256,
	M_FILE_SIZE = 264, M_STORED = 272, M_ZERO = 280, M_RESCUE_OFF = 288,
	M_RESCUE_LEN = 296, M_BAD = 304, M_DATA_END = 312, M_PATH = 320,
	M_END = 448,
};

void lb_meta_encode(const struct lb_meta *m, uint8_t *b)
{
	memset(b, 0, LB_META_LEN);
	lb_put_be32(b + M_VERSION, m->version);
	lb_put_be32(b + M_FLAGS, m->flags);
	lb_put_be64(b + M_CREATED, (uint64_t)m->created);
	lb_put_be64(b + M_SRC_SIZE, m->source_size);
	lb_put_be32(b + M_LSECT, m->logical_sector);
	lb_put_be32(b + M_PSECT, m->physical_sector);
	memcpy(b + M_MODEL, m->model, sizeof m->model - 1);
	memcpy(b + M_SERIAL, m->serial, sizeof m->serial - 1);
	memcpy(b + M_TOOL, m->tool_version, sizeof m->tool_version - 1);
	memcpy(b + M_SHA, m->sha256, 32);
	lb_put_be64(b + M_CK_OFF, m->cksum_dir_offset);
	lb_put_be32(b + M_CK_N, m->cksum_dir_entries);
	lb_put_be32(b + M_CK_ALGO, m->cksum_algo);
	lb_put_be64(b + M_CK_HASH, m->cksum_dir_hash);
	lb_put_be64(b + M_SPLIT, m->split_size);
	lb_put_be32(b + M_PIECES, m->pieces);
	lb_put_be64(b + M_FILE_SIZE, m->file_size);
	lb_put_be64(b + M_STORED, m->stored_clusters);
	lb_put_be64(b + M_ZERO, m->zero_clusters);
	lb_put_be64(b + M_RESCUE_OFF, m->rescue_map_offset);
	lb_put_be64(b + M_RESCUE_LEN, m->rescue_map_length);
	lb_put_be64(b + M_BAD, m->bad_bytes);
	lb_put_be64(b + M_DATA_END, m->data_end);
	memcpy(b + M_PATH, m->source_path, sizeof m->source_path - 1);
}

/* Copies a NUL-padded string field, always terminating DST. */
static void get_str(char *dst, size_t dstsz, const uint8_t *src, size_t n)
{
	size_t k = n < dstsz - 1 ? n : dstsz - 1;

	memcpy(dst, src, k);
	dst[k] = 0;
	dst[strnlen(dst, k)] = 0;
}

int lb_meta_decode(const uint8_t *b, size_t len, struct lb_meta *m,
		   char *msg, size_t msgsz)
{
	memset(m, 0, sizeof *m);
	if (len < M_END) {
		snprintf(msg, msgsz, "Lifeboat extension: %zu bytes, need %d",
			 len, M_END);
		return -EBADMSG;
	}
	m->version = lb_be32(b + M_VERSION);
	if (m->version != LB_META_VERSION) {
		snprintf(msg, msgsz, "Lifeboat extension: unknown version %"
			 PRIu32, m->version);
		return -EBADMSG;
	}
	m->flags = lb_be32(b + M_FLAGS);
	m->created = (int64_t)lb_be64(b + M_CREATED);
	m->source_size = lb_be64(b + M_SRC_SIZE);
	m->logical_sector = lb_be32(b + M_LSECT);
	m->physical_sector = lb_be32(b + M_PSECT);
	get_str(m->model, sizeof m->model, b + M_MODEL, 64);
	get_str(m->serial, sizeof m->serial, b + M_SERIAL, 64);
	get_str(m->tool_version, sizeof m->tool_version, b + M_TOOL, 32);
	get_str(m->source_path, sizeof m->source_path, b + M_PATH, 128);
	memcpy(m->sha256, b + M_SHA, 32);
	m->cksum_dir_offset = lb_be64(b + M_CK_OFF);
	m->cksum_dir_entries = lb_be32(b + M_CK_N);
	m->cksum_algo = lb_be32(b + M_CK_ALGO);
	m->cksum_dir_hash = lb_be64(b + M_CK_HASH);
	m->split_size = lb_be64(b + M_SPLIT);
	m->pieces = lb_be32(b + M_PIECES);
	m->file_size = lb_be64(b + M_FILE_SIZE);
	m->stored_clusters = lb_be64(b + M_STORED);
	m->zero_clusters = lb_be64(b + M_ZERO);
	m->rescue_map_offset = lb_be64(b + M_RESCUE_OFF);
	m->rescue_map_length = lb_be64(b + M_RESCUE_LEN);
	m->bad_bytes = lb_be64(b + M_BAD);
	m->data_end = lb_be64(b + M_DATA_END);
	return 0;
}
