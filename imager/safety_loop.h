/*
 * safety_loop.h — loop devices that share a backing file (trial 2 F7):
 * two loop devices over the same file, at overlapping offsets, are two
 * names for the same bytes; a write through one changes a filesystem
 * mounted through the other.  Used by safety.c (lb_check_target,
 * lb_check_source).  Reads sysfs only: /sys/block/loopN/loop/backing_file,
 * loop/offset and size (512-byte units, already cut by loop/sizelimit).
 */
#ifndef LB_SAFETY_LOOP_H
#define LB_SAFETY_LOOP_H

#include <stdint.h>
#include <sys/stat.h>

#define LB_LOOP_PEERS_MAX 64

/* For loop device NAME ("loop3"): stats its backing file into *FST and
 * sets [*LO, *HI) to the bytes of that file it covers.  0, or -ENOENT when
 * NAME is not a bound loop device or its backing file is gone. */
int lb_loop_file_range(const char *name, struct stat *fst, uint64_t *lo,
		       uint64_t *hi);

/* Names (into NAMES, at most MAX) every loop device but SELF (NULL: none
 * skipped) whose backing file is FST (same st_dev and st_ino) and whose
 * bytes of that file overlap [LO, HI).  Returns the count (0 when none). */
int lb_loop_peers(const struct stat *fst, uint64_t lo, uint64_t hi,
		  const char *self, char (*names)[64], int max);

#endif
