/*
 * rescue_map.h — the rescue map: which byte ranges of a failing source are
 * finished, bad, not tried yet, not trimmed or not scraped.
 *
 * It is the same model as GNU ddrescue's mapfile (ddrescue manual,
 * "Mapfile structure"): a list of contiguous, non-overlapping blocks that
 * covers the whole source, each with one status character, plus a status
 * line (position being tried, phase character, pass number) so that a
 * resumed rescue knows where it was.  rescue.c changes it as reads succeed
 * or fail; rescue_map.c keeps it merged (no two neighbours share a status)
 * and reads and writes it as a ddrescue mapfile, which is also how it is
 * stored in the image at each checkpoint (rescue_store.c), so
 * `ddrescuelog` and ddrescueview read every copy of it.
 *
 * Positions and sizes are bytes of the source (of the span rescued: a
 * partition rescued by offset starts at 0).
 */
#ifndef LB_RESCUE_MAP_H
#define LB_RESCUE_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Block status characters (ddrescue manual, "Mapfile structure"). */
#define LB_RM_NONTRIED  '?'     /* not read yet */
#define LB_RM_NONTRIM   '*'     /* a read of it failed; edges not trimmed */
#define LB_RM_NONSCRAPE '/'     /* trimmed; inside not read sector by sector */
#define LB_RM_BAD       '-'     /* a bad sector (failed a one-sector read) */
#define LB_RM_FINISHED  '+'     /* read and stored */

/* Upper bound on blocks kept (each 24 bytes): a map that needs more is
 * refused when parsed, and lb_rmap_set fails with -E2BIG. */
#define LB_RM_MAX_BLOCKS (1u << 22)

struct lb_rblock {
	uint64_t pos, size;     /* bytes */
	char st;                /* one of LB_RM_* */
};

struct lb_rmap {
	uint64_t size;          /* bytes covered: [0, size) */
	size_t n, cap;
	struct lb_rblock *v;    /* sorted, contiguous, merged */
	/* status line: where the rescue was, in which phase and pass */
	uint64_t cur_pos;
	char cur_st;            /* '?', '*', '/', '-' or '+' (finished) */
	int pass;
};

/* Makes M one non-tried block of SIZE bytes.  Returns 0 or -ENOMEM. */
int lb_rmap_init(struct lb_rmap *m, uint64_t size);
void lb_rmap_free(struct lb_rmap *m);

/* Gives [POS, POS+LEN) (clipped to the map) status ST, splitting and
 * merging blocks.  Returns 0, -ENOMEM or -E2BIG. */
int lb_rmap_set(struct lb_rmap *m, uint64_t pos, uint64_t len, char st);

/* Index of the block holding byte POS (POS < m->size). */
size_t lb_rmap_find(const struct lb_rmap *m, uint64_t pos);

/* Status of byte POS. */
char lb_rmap_status(const struct lb_rmap *m, uint64_t pos);

/* Bytes with status ST. */
uint64_t lb_rmap_bytes(const struct lb_rmap *m, char st);

/* Bytes of [POS, POS+LEN) whose status is not finished ('+'); bytes past
 * the end of the map count as finished. */
uint64_t lb_rmap_unfinished(const struct lb_rmap *m, uint64_t pos,
			    uint64_t len);

/* Number of blocks with status ST (error areas for '-'). */
size_t lb_rmap_count(const struct lb_rmap *m, char st);

/* Writes M as a ddrescue mapfile: comment lines (COMMENT may be NULL,
 * each of its lines is prefixed with "# "), the status line, the blocks in
 * hexadecimal.  Returns 0 or -EIO. */
int lb_rmap_write(const struct lb_rmap *m, FILE *f, const char *comment);

/* Parses a ddrescue mapfile of LEN bytes into M (initialised here).  The
 * blocks must start at 0, be contiguous and have known status characters;
 * SIZE, when non-zero, must equal the end of the last block (a map from
 * another source is refused).  Block lines beyond LB_RM_MAX_BLOCKS are
 * refused.  Returns 0 or -EBADMSG with MSG naming the line and why. */
int lb_rmap_parse(const char *text, size_t len, uint64_t size,
		  struct lb_rmap *m, char *msg, size_t msgsz);

/* Reads and parses the mapfile PATH (at most 256 MiB).  Returns 0,
 * -errno (cannot read) or -EBADMSG, with MSG saying which. */
int lb_rmap_load(const char *path, uint64_t size, struct lb_rmap *m,
		 char *msg, size_t msgsz);

/* Writes M to PATH atomically: PATH.tmp, fsync, rename, fsync of the
 * folder, so that a crash leaves the old or the new map, never half of
 * one.  Returns 0 or -errno. */
int lb_rmap_save(const struct lb_rmap *m, const char *path,
		 const char *comment);

#endif
