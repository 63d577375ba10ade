/*
 * safety_part.h — a restore or clone into a NEW regular file writes
 * TARGET.part and renames it at the end (brief rule 3, trial 2 F13): a job
 * killed on the way (kill -9, power loss) leaves only TARGET.part, never a
 * full-size TARGET that looks finished.  Existing files and devices are
 * written in place.  Used by restore.c and clone.c.
 */
#ifndef LB_SAFETY_PART_H
#define LB_SAFETY_PART_H

#include <stddef.h>
#include "lifeboat.h"

/* Names TARGET.part into PART[N] and makes it ready to be created: a
 * leftover regular file of that name (an interrupted job) is removed once
 * lb_check_target passes on it (it is not IMAGE, the file being read, nor
 * backing a loop device in use); one that is not a regular file (a device
 * node, a folder) is refused (-LB_EREFUSED, exit 3, ctx->msg says so).
 * 0, 1 when TARGET exists after all (a test-only "fault:FILE" name of an
 * existing FILE: write it in place), or -errno. */
int lb_part_prepare(struct lb_ctx *ctx, const char *target,
		    const char *image, char *part, size_t n);

/* After the job succeeded and closed PART: gives it the name TARGET, never
 * over a TARGET that appeared meanwhile (-EEXIST then, PART is kept), and
 * fsyncs the folder.  0 or -errno with ctx->msg naming both. */
int lb_part_commit(struct lb_ctx *ctx, const char *part, const char *target);

#endif
