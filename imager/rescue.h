/*
 * rescue.h — rescuing a failing disk into a Lifeboat image (issue 6).
 *
 * lb_rescue reads the source like GNU ddrescue (copy with growing skips,
 * trim, scrape, retry; see rescue.c for the state machine) and writes what
 * it reads straight into the qcow2 image, as IMAGE.part (marked
 * incomplete) until the end (rescue_store.c).  Every few seconds and at
 * each phase change it checkpoints: the image on disk becomes a valid
 * qcow2 holding everything read so far plus the map (a GNU ddrescue
 * mapfile in the file, named by the Lifeboat header extension).  A crash
 * leaves the last checkpoint; `--resume` reopens IMAGE.part and goes on
 * without reading again what the map calls finished.  A copy of the map
 * is kept beside the image as IMAGE.rescue-map while the rescue runs (for
 * ddrescueview; the image's own copy is the one trusted).  At the end the
 * image is finished, renamed to IMAGE and the copy removed.  Shared by
 * the CLI (cli_rescue.c) and the TUI (tui/flow_rescue.c).
 */
#ifndef LB_RESCUE_H
#define LB_RESCUE_H

#include <stdint.h>
#include "lifeboat.h"
#include "rescue_map.h"

struct lb_rescue_stats {
	uint64_t size;          /* bytes of the source */
	uint64_t finished, bad, nontried, nontrimmed, nonscraped;  /* bytes */
	size_t bad_areas;       /* blocks with status '-' */
	uint64_t reads, failed_reads, slow_reads;   /* since this run began */
	double last_good;       /* CLOCK_MONOTONIC seconds of the last good read */
	double started;         /* CLOCK_MONOTONIC seconds when this run began */
	enum lb_phase phase;
	int pass;
	uint64_t pos;           /* byte being read */
	int direct;             /* reads bypass the page cache (O_DIRECT) */
	uint32_t sector;        /* logical sector size used, bytes */
};

struct lb_rescue_opts {
	struct lb_span source;
	const char *image;
	int resume;             /* continue IMAGE.part (or a finished IMAGE) */
	const char *import_map; /* start from this ddrescue mapfile, or NULL */
	int retries;            /* retry passes over bad sectors (default 1) */
	int reverse;            /* retry passes run backwards */
	unsigned slow_ms;       /* copy pass 1: a read slower than this is
				 * skipped past like an error; 0: default
				 * (1000), UINT32_MAX: never */
	int no_data_first;      /* do not rescue used blocks first */
	int keep_timeouts;      /* leave sysfs timeouts alone */
	unsigned checkpoint_ms; /* 0: 3000 */
	unsigned read_timeout_ms;       /* a read not answered in this time
					 * means the device stopped answering
					 * (-ENODEV); 0: 60000 */
	enum lb_compress compress;
	/* Live view for a UI (optional): the engine updates *stats and may
	 * read-only share *map while ctx->progress/region run (same thread). */
	struct lb_rescue_stats *stats;
	const struct lb_rmap **live_map;
	/* Added by partition tables, additive (C013): the table data first
	 * plans by on a disk whose GPT and MBR disagree (lb_table_choice). */
	enum lb_table_choice table;
};

/* Rescues O->source into O->image.  Returns 0 when every phase ran (bad
 * sectors are not an error: lb_rescue_stats.bad says how many bytes),
 * -ECANCELED when cancelled (IMAGE.part stays for --resume), -ENODEV
 * when the source stopped answering (ctx->msg says at which byte; the map
 * is saved), -LB_EREFUSED (exit 3) when IMAGE or IMAGE.part exists
 * and neither resume nor import was asked, -ENOENT when resume was asked
 * and there is nothing to resume, or another negative errno. */
int lb_rescue(struct lb_ctx *ctx, const struct lb_rescue_opts *o);

/* Reads the rescue map stored in IMAGE (a finished rescue) into M.
 * Returns 0, -ENOENT when IMAGE holds no rescue map, or a negative errno
 * (-EBADMSG for a damaged map) with ctx->msg saying why. */
int lb_rescue_map_from_image(struct lb_ctx *ctx, const char *image,
			     struct lb_rmap *m);
/* The same, and when TEXT is not NULL the stored mapfile text with its
 * comments (NUL-terminated, malloc'd; lines "# bad file: ..." list the
 * files that touch bad sectors). */
int lb_rescue_map_load_text(struct lb_ctx *ctx, const char *image,
			    struct lb_rmap *m, char **text);

/* One file (or filesystem structure) that holds a bad byte. */
struct lb_bad_file {
	uint32_t part;          /* partition number, 0: whole disk */
	char fstype[16];
	char path[512];         /* "/home/a/b.txt", or "(inode 12)" */
	uint64_t bad_bytes;     /* bytes of it that were not rescued */
};

/* Lists the files of every ext2/3/4 filesystem in the raw disk DATA (a
 * sparse raw copy the rescue makes at its end, or any raw image) whose blocks touch a byte that M
 * does not call finished.  *out is malloc'd (free it); returns the count
 * or a negative errno.  Filesystems that cannot be read are skipped, with
 * a line through ctx->log. */
int lb_rescue_bad_files(struct lb_ctx *ctx, const char *data,
			const struct lb_rmap *m, struct lb_bad_file **out);

/* sysfs_timeout.c: lowers the SCSI command timeout and error-handling
 * timeout of the disk holding block device PATH for the rescue
 * (/sys/block/X/device/timeout and eh_timeout, seconds) and restores them.
 * Not a block device, or no such files (NVMe, virtio): nothing to do.
 * STATE (may be NULL), e.g. IMAGE.rescue-sysfs: before lowering, the
 * values found are written there (temporary name, fsync, rename); when it
 * already names the same folder (an earlier run was killed with the values
 * lowered), its values are taken as the originals instead of the lowered
 * ones now in sysfs.  Restoring removes STATE. */
struct lb_sysfs_saved {
	char dir[256];          /* /sys/block/X/device, "" when nothing saved */
	int timeout, eh_timeout;        /* the values found; -1: none */
	char state[4200];       /* the state file, "" for none */
};
int lb_sysfs_lower_timeouts(struct lb_ctx *ctx, const char *path,
			    int timeout_s, int eh_s, const char *state,
			    struct lb_sysfs_saved *s);
int lb_sysfs_restore_timeouts(struct lb_ctx *ctx, struct lb_sysfs_saved *s);
/* The same on the device folder DIR itself (for tests: any folder with
 * "timeout" and "eh_timeout" files). */
int lb_sysfs_lower_in(struct lb_ctx *ctx, const char *dir, int timeout_s,
		      int eh_s, const char *state, struct lb_sysfs_saved *s);

#endif
