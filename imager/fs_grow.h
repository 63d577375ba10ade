/*
 * fs_grow.h — growing the filesystem of the last partition after
 * restore/clone --grow-last grew its table entry (issue 5).
 *
 * lb_fs_grow_prepare() notes the last partition of the written target
 * before the table fix-up (pt.h) grows it; lb_fs_grow_last() then reads
 * the table again and, when that partition's entry grew, grows an
 * ext2/3/4 filesystem inside it with e2fsprogs' own programs (never a
 * resizer of ours): `e2fsck -f -n` (read-only check), `e2fsck -f -p`
 * (records the check, which resize2fs requires) and `resize2fs` with no
 * size (the partition's size), each on a loop device over the partition's
 * bytes (lb_loop_attach: the target may be a file or a disk whose
 * partitions have no /dev node).  Any complaint of e2fsck or resize2fs
 * leaves the filesystem as it was.  NTFS is grown the same way with
 * ntfs-3g's ntfsresize (`-i` without --force first, which refuses a
 * volume scheduled for a check or hibernated, then a test run `-n`, then
 * the resize) when ntfsresize is found; FAT, exFAT and anything else are
 * never grown.  Either way one log line per partition says what the entry
 * and the filesystem became, and why the filesystem was not grown.  The
 * job itself still succeeds: the table is right and the data is intact.
 *
 * The programs are found on $PATH, then in /usr/sbin and /sbin (the ISO
 * has static builds at /usr/sbin, deps/build.sh).  Units: bytes.
 */
#ifndef LB_FS_GROW_H
#define LB_FS_GROW_H

#include <stddef.h>
#include <stdint.h>
#include "lifeboat.h"
#include "dev.h"

struct lb_fs_grow {
	uint32_t part;          /* number of the last partition; 0: none */
	uint64_t start, size;   /* its bytes before the fix-up */
	enum lb_table_choice choice;    /* how the table was read (C013) */
};

/* Reads DEV's table (as CHOICE says) and fills G with its last partition
 * (the one that ends last; MBR logical partitions and extended containers
 * are skipped, as the fix-up does not grow them).  G->part is 0 when
 * there is none.  Returns 0 or a negative errno (ctx->msg). */
int lb_fs_grow_prepare(struct lb_ctx *ctx, struct lb_dev *dev,
		       enum lb_table_choice choice, struct lb_fs_grow *g);

/* After the fix-up: when G's partition now ends later, grows its ext2/3/4
 * or NTFS filesystem to the entry's new size and logs one line saying so, or
 * saying why not ("warning: partition 2: entry grown from 1.00 GiB to
 * 2.00 GiB; its ntfs filesystem was not grown: ...").  NOTE[N] (may be
 * NULL) receives the same line, "" when the entry did not grow.  Returns
 * 1 when the filesystem was grown, 0 otherwise; never fails the job. */
int lb_fs_grow_last(struct lb_ctx *ctx, struct lb_dev *dev,
		    const struct lb_fs_grow *g, char *note, size_t n);

/* Runs PROG (an absolute path) with ARGV (argv[0] included, NULL-ended),
 * stdin /dev/null and stdout+stderr captured: the last N-1 bytes go to
 * OUT, newlines as "; ".  Waits at most LIMIT seconds; KILLABLE lets
 * ctx->cancel stop it.  Returns the exit status (0-255), 128+signal,
 * -ETIMEDOUT, -ECANCELED or a negative errno from fork/pipe. */
int lb_run_prog(struct lb_ctx *ctx, const char *prog, char *const argv[],
		unsigned limit, int killable, char *out, size_t n);

#endif
