/*
 * extmap.h — one API for "these byte ranges are used".
 *
 * Filesystem readers (fs_*.c) describe the blocks a filesystem uses, the
 * partition-table code (pt*.c) adds the table areas, and the backup writer
 * asks "is any byte of this cluster used?".  Everything is a sorted list of
 * non-overlapping extents in bytes.  Bitmaps (ext, NTFS, exFAT) enter through
 * lb_extmap_add_bitmap(), which turns runs of set bits into extents; the unit
 * test checks it against adding bit by bit (two representations, one answer).
 *
 * Use: lb_extmap_init, any number of lb_extmap_add*, lb_extmap_finish (sorts
 * and merges), then queries.  Queries on an unfinished map answer
 * conservatively ("used"), so a forgotten finish costs space, never data.
 */
#ifndef LB_EXTMAP_H
#define LB_EXTMAP_H

#include <stddef.h>
#include <stdint.h>

struct lb_extent {
	uint64_t off;           /* bytes */
	uint64_t len;           /* bytes, > 0 */
};

struct lb_extmap {
	struct lb_extent *v;
	size_t n, cap;
	int finished;           /* sorted and merged since the last add */
};

void lb_extmap_init(struct lb_extmap *m);
void lb_extmap_free(struct lb_extmap *m);

/* Marks [off, off+len) bytes used.  len 0 is a no-op.  Returns 0 or -ENOMEM,
 * -EOVERFLOW when off+len wraps. */
int lb_extmap_add(struct lb_extmap *m, uint64_t off, uint64_t len);

/* Marks used every UNIT-byte block i (0 <= i < NBITS) whose bit is set in
 * BITS (bit i is bit i%8 of byte i/8, least significant first, as ext2,
 * NTFS and exFAT store them); block i covers [base + i*unit, +unit). */
int lb_extmap_add_bitmap(struct lb_extmap *m, const uint8_t *bits,
			 uint64_t nbits, uint64_t base, uint64_t unit);

/* Adds every extent of SRC shifted by SHIFT bytes. */
int lb_extmap_add_map(struct lb_extmap *m, const struct lb_extmap *src,
		      uint64_t shift);

/* Sorts and merges overlapping or touching extents.  Returns 0. */
int lb_extmap_finish(struct lb_extmap *m);

/* 1 when any byte of [off, off+len) is used (or the map is unfinished),
 * 0 otherwise.  O(log n). */
int lb_extmap_overlaps(const struct lb_extmap *m, uint64_t off, uint64_t len);

/* Zeroes the bytes of BUF (which holds [off, off+len) of the source)
 * that the map does not mark used, so that unused parts of a partly used
 * cluster (deleted data next to live data) are not stored.  A map that is
 * not finished is left alone (everything counts as used). */
void lb_extmap_mask(const struct lb_extmap *m, uint8_t *buf, uint64_t off,
		    uint64_t len);

/* Total used bytes (after finish; before, the sum may count overlaps). */
uint64_t lb_extmap_bytes(const struct lb_extmap *m);

/* Clips the map to [0, limit) bytes. */
void lb_extmap_clip(struct lb_extmap *m, uint64_t limit);

#endif
