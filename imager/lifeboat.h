/*
 * lifeboat.h — the public API of the Lifeboat imaging engine.
 *
 * The engine backs up, restores, clones and verifies disks through qcow2
 * version 3 images (docs/image-format.md).  It has no UI and no global
 * state: every call takes an lb_ctx that carries the progress callback, the
 * cancel flag and the text of the last error (like zlib's strm->msg).
 *
 * Conventions for every function declared here:
 *   - sizes and offsets are uint64_t bytes unless a name says _sectors;
 *   - return 0 (or a count) on success and a negative errno on failure,
 *     with ctx->msg naming what failed, where (device, byte offset) and why;
 *   - the engine never prints and never exits: the CLI (imager/cli*.c) and
 *     the TUI (tui/) turn errors into words and exit codes (lb_exit_code()).
 */
#ifndef LIFEBOAT_H
#define LIFEBOAT_H

#include <stddef.h>
#include <stdint.h>

#define LB_VERSION "0.1.0"

/* ---- Job context, progress and errors ----------------------------------- */

enum lb_phase {
	LB_PHASE_PREPARE,   /* opening, checking targets, planning */
	LB_PHASE_COPY,      /* reading source and writing target/image */
	LB_PHASE_FINISH,    /* writing tables, fsync, rename */
	LB_PHASE_VERIFY,    /* reading back and comparing checksums */
	LB_PHASE_RESCUE_COPY, LB_PHASE_RESCUE_TRIM, LB_PHASE_RESCUE_SCRAPE,
	LB_PHASE_RESCUE_RETRY,
	LB_PHASE_DONE,
};

/* State of a disk region, for the strip map that the TUI draws. */
enum lb_region_state {
	LB_REGION_PENDING, LB_REGION_COPIED, LB_REGION_UNUSED, LB_REGION_ZERO,
	LB_REGION_BAD,
};

struct lb_progress {
	enum lb_phase phase;
	uint64_t done;          /* bytes of the source processed so far */
	uint64_t total;         /* bytes to process in this phase */
	uint64_t written;       /* bytes written to the image or target */
	double rate;            /* bytes/s over the last few seconds */
	double avg_rate;        /* bytes/s since the phase began */
	double eta;             /* seconds left, or -1 when unknown */
	uint64_t errors;        /* unreadable sectors or failed reads so far */
};

/* Called at most a few times per second from the job's thread.  Return
 * non-zero to ask the job to cancel (it then fails with -ECANCELED). */
typedef int (*lb_progress_fn)(const struct lb_progress *p, void *user);

/* Called when the state of a byte range changes (optional, may be NULL). */
typedef void (*lb_region_fn)(uint64_t offset, uint64_t length,
			     enum lb_region_state state, void *user);

/* Called for log lines the UI should keep (optional, may be NULL). */
typedef void (*lb_log_fn)(const char *line, void *user);

struct lb_ctx {
	lb_progress_fn progress;
	lb_region_fn region;
	lb_log_fn log;
	void *user;
	volatile int cancel;    /* set non-zero from any thread to cancel */
	char msg[512];          /* what went wrong, where and why */
};

/* Exit codes of the `lifeboat` command; documented in its --help. */
enum lb_exit {
	LB_EXIT_OK = 0,
	LB_EXIT_FAILURE = 1,    /* anything not listed below */
	LB_EXIT_USAGE = 2,      /* bad command line */
	LB_EXIT_REFUSED = 3,    /* a safety rule refused the job */
	LB_EXIT_SOURCE_IO = 4,  /* reading the source failed */
	LB_EXIT_TARGET_IO = 5,  /* writing the image or target failed, full */
	LB_EXIT_BAD_IMAGE = 6,  /* image corrupt, incomplete or not ours */
	LB_EXIT_MISMATCH = 7,   /* verify found a difference */
	LB_EXIT_CANCELLED = 8,  /* the person cancelled */
};

/* ---- Devices ------------------------------------------------------------ */

struct lb_partition {
	char name[64];          /* kernel name, e.g. "sda1", "nvme0n1p2" */
	uint32_t number;        /* partition number in the table */
	uint64_t start;         /* bytes from the start of the disk */
	uint64_t size;          /* bytes */
	char fstype[32];        /* "ext4", "vfat", "ntfs", "" when unknown */
	char label[64];
	char uuid[64];
	char mountpoint[256];   /* "" when not mounted */
	int has_node;           /* the kernel made /dev/<name> for it */
	int swap;               /* an active swap area */
	char holder[64];        /* first sysfs holder (dm-0, md0), or "" */
};

struct lb_device {
	char name[64];          /* kernel name, e.g. "sda" */
	char path[128];         /* "/dev/sda" */
	uint64_t size;          /* bytes */
	uint32_t logical_sector;   /* bytes */
	uint32_t physical_sector;  /* bytes */
	char model[64];
	char serial[64];
	char transport[16];     /* "sata", "nvme", "usb", "virtio", "mmc", ... */
	int rotational, removable, read_only;
	int is_lifeboat_medium; /* holds the medium Lifeboat booted from */
	int in_use;             /* mounted, swap, or holder (md, dm) */
	char pttype[8];         /* "gpt", "dos", "" */
	/* A filesystem directly on the whole disk (no partition table). */
	char fstype[32], label[64], uuid[64];
	char mountpoint[256];   /* where the disk itself is mounted, or "" */
	char holder[64];        /* first sysfs holder (dm-0, md0), or "" */
	int swap;               /* the disk itself is an active swap area */
	size_t nparts;
	struct lb_partition *parts;
};

/* Lists the block devices under /sys/block (loop devices only when they
 * are bound to a file, no ram/zram).  *out is malloc'd; free with
 * lb_free_devices().  Returns the count or a negative errno. */
int lb_list_devices(struct lb_ctx *ctx, struct lb_device **out);
void lb_free_devices(struct lb_device *devs, int n);

/* Finds partition NUMBER (as numbered in the partition table: 1-4 primary,
 * 5+ logical for MBR) of DISK (a block device or a disk image file) with
 * libblkid's partition prober and fills OUT with DISK, its byte offset and
 * byte length, so that it can be used without a kernel partition node.
 * Returns 0, -ENOENT (no such partition; ctx->msg lists the ones found) or
 * another negative errno. */
struct lb_span;
int lb_partition_span(struct lb_ctx *ctx, const char *disk, uint32_t number,
		      struct lb_span *out);

/* ---- Jobs --------------------------------------------------------------- */

enum lb_compress { LB_COMPRESS_ZSTD = 0, LB_COMPRESS_ZLIB = 1 };

/* Added by partition tables, additive (case C013): which table to trust
 * on a disk that carries a valid GPT and an unrelated MBR (real records,
 * no 0xEE).  AUTO images such a disk raw and says how to choose; GPT or
 * MBR images by that table's partitions, still storing sector 0, both GPT
 * areas and every byte outside the chosen table's partitions.  A choice
 * on a disk without that conflict changes nothing. */
enum lb_table_choice { LB_TABLE_AUTO = 0, LB_TABLE_GPT = 1, LB_TABLE_MBR = 2 };

/* A source or target: a whole disk, a regular file, or a byte range of one
 * (a partition addressed by its offset inside the disk, so that the kernel
 * need not have created a partition node). */
struct lb_extmap;

struct lb_span {
	const char *path;
	uint64_t offset;        /* bytes; 0 for the whole device or file */
	uint64_t length;        /* bytes; 0 for "to the end" */
};

struct lb_backup_opts {
	struct lb_span source;
	const char *image;      /* final path; written as IMAGE.part first */
	enum lb_compress compress;
	int level;              /* 0: the codec's default for this tool */
	uint32_t cluster_size;  /* bytes, power of two; 0: the default */
	uint64_t split_size;    /* bytes per piece; 0: automatic (FAT32) */
	int threads;            /* 0: one per online core */
	int overwrite;          /* replace an existing image */
	/* Added by the image engine (additive): */
	const struct lb_extmap *used;   /* byte ranges of the source that are
					 * in use (extmap.h); the rest reads as
					 * zeros and is neither read nor stored.
					 * NULL: every byte is used. */
	int64_t created;        /* creation time to record (seconds, UTC);
				 * 0: $SOURCE_DATE_EPOCH if set, else now */
	int no_space_check;     /* write even if free space < worst case */
	/* Added by partitions/used-blocks (probe.h), additive: */
	int raw;                /* --raw: no filesystem-aware map; every
				 * non-zero cluster is stored.  Without it
				 * and with used == NULL, lb_backup plans
				 * the used blocks itself (lb_plan_used). */
	enum lb_table_choice table;     /* C013: recorded in the image */
};

struct lb_restore_opts {
	const char *image;      /* first piece of a split set, or the file */
	struct lb_span target;
	int confirmed;          /* the person typed the name or gave --yes */
	int threads;
	int verify_after;       /* read back and compare after writing */
	/* Added by partition tables (pt.h), additive: */
	int grow_last;          /* grow the last partition's table entry to
				 * the end of a larger target (and its
				 * ext2/3/4 fs: grow_note below) */
	int new_ids;            /* new disk/partition GUIDs, MBR signature */
	/* Added by engineer G, additive: */
	int check_only;         /* run every refusal check (image tables,
				 * partition fit, lb_check_target for the
				 * bytes really needed) and return 0 without
				 * opening the target for writing; needs no
				 * confirmation.  UIs call this before asking
				 * for the device name. */
	/* Added by fs_grow.h (issue 5), additive: with grow_last, the
	 * ext2/3/4 filesystem of the grown partition is grown too, and one
	 * line saying what the entry and the filesystem became (or why the
	 * filesystem was not grown) goes to ctx->log and, when grow_note is
	 * set, into grow_note[grow_note_len] ("" when no entry grew). */
	char *grow_note;
	size_t grow_note_len;
};

struct lb_clone_opts {
	struct lb_span source;
	struct lb_span target;
	int confirmed;
	int threads;
	int verify_after;
	int force;              /* copy a source mounted read-write (C035) */
	/* Added by partition tables (pt.h), additive: */
	int grow_last;          /* grow the last partition's table entry */
	int new_ids;            /* give the clone new identifiers (C072) */
	int check_only;         /* as lb_restore_opts.check_only (engineer G) */
	enum lb_table_choice table;     /* C013: fit check and fix-up by it */
	char *grow_note;        /* as lb_restore_opts.grow_note (fs_grow.h) */
	size_t grow_note_len;
};

struct lb_verify_opts {
	const char *image;
	const char *against;    /* device or file to compare with, or NULL */
	int threads;
};

int lb_backup(struct lb_ctx *ctx, const struct lb_backup_opts *o);
int lb_restore(struct lb_ctx *ctx, const struct lb_restore_opts *o);
int lb_clone(struct lb_ctx *ctx, const struct lb_clone_opts *o);
int lb_verify(struct lb_ctx *ctx, const struct lb_verify_opts *o);

/* ---- Image facts -------------------------------------------------------- */

/* How one partition (or the whole disk) was imaged, recorded in the image
 * so that `info` can say it (probe.h builds them; the image keeps up to
 * LB_MAX_PART_MODES in its "LBPT" header extension, probe_modes.c). */
#define LB_MAX_PART_MODES 64
struct lb_part_mode {
	uint32_t number;        /* partition number; 0: whole disk */
	uint64_t start, size;   /* bytes */
	uint64_t used;          /* bytes the filesystem marks used (all if raw) */
	int raw;                /* 0: "used-blocks", 1: "raw" */
	char fstype[32];        /* libblkid's name, "" when unknown */
	char reason[192];       /* why this mode, in words */
};

struct lb_image_info {
	uint64_t virtual_size;      /* bytes of the source */
	uint64_t file_size;         /* bytes of all pieces together */
	uint32_t cluster_size;
	enum lb_compress compress;
	int complete;               /* written to the end and renamed */
	int pieces;                 /* 1, or the number of split pieces */
	/* Added for cat-joined split sets, additive: the number of pieces
	 * the backup wrote when they were joined into this one file (then
	 * pieces is 1); 0 otherwise. */
	int joined_pieces;
	int has_lifeboat_meta;      /* 0 for images made by other tools */
	char source_model[64], source_serial[64];
	uint64_t source_size;
	uint32_t logical_sector, physical_sector;
	int64_t created;            /* seconds since the epoch, UTC */
	char tool_version[32];
	char sha256[65];            /* hex SHA-256 of the disk as it restores:
				     * the source as read for raw images;
				     * free space as zeros for used-blocks */
	uint64_t stored_clusters, zero_clusters;
	uint64_t bad_bytes;         /* unreadable bytes (rescue), 0 otherwise */
	/* Added by partitions/used-blocks, additive: per-partition modes */
	uint32_t nparts;            /* 0 for images without the record */
	struct lb_part_mode parts[LB_MAX_PART_MODES];
	/* Added by the TUI (engineer K), additive: the source's path as the
	 * backup named it ("" when unknown), to tell images apart that have
	 * no model (files, loop devices, virtual disks). */
	char source_path[128];
	/* Added by partition tables, additive: the table the backup was told
	 * to trust on a disk whose GPT and MBR disagree (C013); AUTO when no
	 * choice decided anything. */
	enum lb_table_choice table;
	/* Added by rescue (issue 6, trial 2 F5/F6), additive: RESCUE is 1
	 * for an image that stores a rescue map; then the bytes its map
	 * calls finished, bad ('-': unreadable) and not tried to the end yet
	 * ('?', '*', '/'), and the areas (blocks) not finished.
	 * SHA256_PENDING: the image is unfinished, so sha256 was not
	 * computed yet (it is made at the end). */
	int rescue;
	uint64_t rescue_finished, rescue_bad, rescue_untried;
	uint64_t rescue_areas;
	int sha256_pending;
};

/* Added by partition tables, additive (C013): for a front-end that lets
 * the person choose lb_backup_opts.table before a backup.  Reads SOURCE's
 * tables (read-only); returns 1 when it carries a valid GPT and an MBR
 * with real records and no 0xEE record, and writes what each lists to
 * GPT and MBR (N bytes each, "#1 LBA 20480+16384, ..."); 0 when not; or
 * a negative errno with ctx->msg.  pt.c. */
int lb_table_conflict(struct lb_ctx *ctx, const struct lb_span *source,
		      char *gpt, char *mbr, size_t n);

/* Added by partition tables, additive (C013, trial 2 F3): lb_partition_span
 * that honours the table choice.  On a disk whose valid GPT and MBR
 * disagree, NUMBER numbers the partitions of TABLE (GPT or MBR); with
 * LB_TABLE_AUTO it returns -ENOTUNIQ and ctx->msg names both tables'
 * partition NUMBER and the --table flag (exit 2 in the CLI).  On any other
 * disk it is lb_partition_span (TABLE changes nothing).  -ENOENT when the
 * chosen table has no partition NUMBER.  Read-only.  pt_select.c. */
int lb_partition_span_table(struct lb_ctx *ctx, const char *disk,
			    uint32_t number, enum lb_table_choice table,
			    struct lb_span *out);
/* The data partitions (no extended container) of DISK's table read with
 * TABLE (as lb_pt_read_choice): number, start and size (bytes) in OUT[MAX],
 * other fields zero.  Returns the count or a negative errno.  For a
 * front-end listing the partitions of the table the person chose. */
int lb_table_partitions(struct lb_ctx *ctx, const char *disk,
			enum lb_table_choice table, struct lb_partition *out,
			size_t max);

/* Reads the header, tables and Lifeboat metadata of IMAGE (a file or the
 * first piece of a split set) without decompressing data.  Checks every
 * table against the file size first: a hostile image fails with -EINVAL
 * or -EBADMSG and ctx->msg says which field at which offset. */
int lb_image_info(struct lb_ctx *ctx, const char *image,
		  struct lb_image_info *out);

/* What an image's SHA-256 (lb_image_info.sha256) is of: the source disk
 * as read (raw images), the disk as it restores with free space as zeros
 * (any used-blocks partition), the rescued disk with unreadable bytes as
 * zeros (rescue images), or nothing yet (an unfinished image).  One rule
 * for the CLI and the screens.  info.c. */
enum lb_sha_kind {
	LB_SHA_PENDING, LB_SHA_SOURCE, LB_SHA_FREE_AS_ZEROS,
	LB_SHA_UNREADABLE_AS_ZEROS
};
enum lb_sha_kind lb_image_sha_kind(const struct lb_image_info *info);

/* Checks whether PATH may be written as a restore or clone target for
 * NEED bytes: not mounted, not in use, not the Lifeboat medium, not holding
 * IMAGE (may be NULL), large enough.  Returns 0 or a negative errno with
 * the reason in ctx->msg.  Does not open the target for writing.
 * NEED counts from the start of PATH (add a span's offset).  IMAGE is the
 * file or device being read: the image for restore, the source for clone;
 * a target that is it, or whose disk holds it (also through loop backing
 * files), is refused.  A regular-file or missing target is never too
 * small (it grows).  Refusals return -LB_EREFUSED (exit 3). */
int lb_check_target(struct lb_ctx *ctx, const char *path, uint64_t need,
		    const char *image);

/* The smallest whole-disk target, in bytes, that lb_restore() accepts for
 * IMAGE: the image's virtual size, or less when the image holds a
 * partition table whose partitions (and GPT backup) all end earlier — the
 * same rule as the restore's own fit check (pt.h lb_pt_restore_fit, case
 * C001).  A partition target needs the full virtual size.  Only reads the
 * image (tables and its first clusters).  Returns 0, or a negative errno
 * (-EINVAL/-EBADMSG for a damaged image) with ctx->msg.  fit.c. */
int lb_image_min_target(struct lb_ctx *ctx, const char *image,
			uint64_t *bytes);

/* Engine error codes beyond the errno range, returned negated like errno
 * values (-LB_EREFUSED ...) where an errno alone would not tell which exit
 * code fits, e.g. EIO while writing the target (exit 5) versus EIO while
 * reading the source (plain -EIO, exit 4).  strerror() does not know them;
 * ctx->msg always holds the words.  lb_strerror() names them. */
#define LB_ERR_BASE     4096
#define LB_EREFUSED     (LB_ERR_BASE + 3)   /* a safety rule refused: exit 3 */
#define LB_ESOURCE      (LB_ERR_BASE + 4)   /* reading the source failed: 4 */
#define LB_ETARGET      (LB_ERR_BASE + 5)   /* writing image/target failed: 5 */
#define LB_EBADIMAGE    (LB_ERR_BASE + 6)   /* image corrupt/incomplete: 6 */
#define LB_EMISMATCH    (LB_ERR_BASE + 7)   /* verify found a difference: 7 */

/* Checks whether PATH may be read as a backup or clone source: refuses
 * (-LB_EREFUSED, exit 3) a block device with a filesystem mounted
 * read-write on it or on one of its partitions, because the copy would be
 * inconsistent (case C035).  With FORCE it returns 1 instead and ctx->msg
 * holds the warning to show.  0 when there is nothing to say. */
int lb_check_source(struct lb_ctx *ctx, const char *path, int force);

/* Added by engineer G, additive: checks that writing IMAGE (and
 * IMAGE.part) for a backup or rescue of SOURCE never writes to the source:
 * refuses (-LB_EREFUSED, exit 3) an IMAGE that is the source file itself,
 * or that lies on a filesystem of the source block device (the disk or
 * any of its partitions; the partition only, for a partition node), also
 * through loop devices.  0 when it may be written. */
int lb_check_image_dest(struct lb_ctx *ctx, const char *source,
			const char *image);

/* Added by engineer L1, additive (rule 1): refuses (-LB_EREFUSED, exit 3,
 * ctx->msg naming both paths) when writing span B would touch a byte of
 * span A, which is being read: the same path or inode, a block device and
 * a partition or loop device over the same bytes, a loop device and its
 * backing file (sysfs loop/offset and loop/sizelimit, up to 8 hops).  Both
 * are resolved to (file or whole-disk identity, byte range); a span that
 * does not exist overlaps nothing.  0 when they are apart.  lb_check_target
 * and lb_check_image_dest call it for every file of the image. */
int lb_check_overlap(struct lb_ctx *ctx, const struct lb_span *a,
		     const struct lb_span *b);

/* Attaches a loop device to bytes [OFFSET, OFFSET+LENGTH) of PATH (a disk
 * or a file), read-only when READ_ONLY, and writes its path ("/dev/loop3")
 * to OUT.  For mounting a partition the kernel made no node for (a disk
 * whose new table it has not re-read).  The device is auto-clear: the
 * kernel detaches it at its last close.  Returns an open descriptor of
 * the loop device, which the caller closes once a mount holds the device
 * (closing it before detaches the device), or a negative errno with the
 * reason in ctx->msg.  LENGTH 0 means to the end. */
int lb_loop_attach(struct lb_ctx *ctx, const char *path, uint64_t offset,
		   uint64_t length, int read_only, char *out, size_t outlen);

/* Writes BYTES as a person reads it into BUF[N] and returns BUF: exact
 * bytes below 1 KiB, else three significant digits in binary units
 * ("8.00 MiB", "22.0 MiB", "100 MiB").  The one rule for sizes in the
 * CLI, the TUI and the engine's messages.  devices_sys.c. */
char *lb_human_size(uint64_t bytes, char *buf, size_t n);

/* Maps a negative errno or -LB_E* from a job to a process exit code (enum
 * lb_exit).  Plain errnos: ECANCELED 8; EBADMSG, EUCLEAN, ENOEXEC, EPROTO
 * 6; ENOSPC, EFBIG, EDQUOT, EROFS 5; EIO, ENXIO, ENODEV, ENOMEDIUM 4;
 * EBUSY 3; anything else 1. */
int lb_exit_code(int err);

/* Text for a negative errno or -LB_E* code (strerror for plain errnos). */
const char *lb_strerror(int err);

const char *lb_phase_name(enum lb_phase p);

/* text_escape.c: copies SRC (text read from a disk or an image) into DST
 * (CAP bytes, always NUL-terminated) with control bytes (C0, DEL, C1),
 * invalid UTF-8 and backslashes written as "\\xNN", so printing it cannot
 * drive a terminal.  Stops at a whole character when DST is full.
 * Returns the length written (bytes, without the NUL). */
size_t lb_text_escape(char *dst, size_t cap, const char *src);

#endif
