/*
 * tui_int.h — private header shared by the screens in tui/.
 *
 * Layers, bottom up:
 *   widget.c, menu.c  drawing, colours, boxes, text input; the list widget
 *   fmt.c             sizes, rates, durations, file-name-safe text
 *   log.c             the log the engine reports (ring buffer + file)
 *   disks.c           the disk list from lb_list_devices() and its table
 *   pick_disk.c       choosing a disk; refusals in words; "holds the image"
 *   place.c, browse.c where images go / come from (mount, folders)
 *   images.c          *.qcow2 found in a folder, described by lb_image_info()
 *   job.c, progress.c a job on a worker thread and its progress screen
 *   confirm.c         the "type the device name to erase it" screen
 *   result.c          the plain-words result screen
 *   flow_*.c          one file per action on the home screen (backup and
 *                     partition backup, restore, clone, verify, rescue)
 *   system.c          shell, reboot, power off
 *   home.c, main.c    the home screen and tui_main()
 * Nothing here images a disk: every job is a call into imager/lifeboat.h
 * (and imager/rescue.h for the rescue).
 */
#ifndef LB_TUI_INT_H
#define LB_TUI_INT_H

#include <curses.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include "lifeboat.h"
#include "rescue.h"
#include "tui.h"

/* Text for the screen is cut to fit on purpose: snprintf truncation is
 * the intended behaviour throughout tui/, so GCC's warning about it is off. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* ---- widget.c: colours and drawing -------------------------------------- */

enum tui_color {
	TC_NORMAL, TC_TITLE, TC_SEL, TC_DANGER, TC_OK, TC_WARN, TC_DIM,
	TC_KEY, TC_MAP_COPIED, TC_MAP_UNUSED, TC_MAP_ZERO, TC_MAP_PENDING,
	TC_MAP_BAD, TC_COUNT
};

void tui_colors_init(void);
/* Popup borders in plain + - | instead of the line-drawing set (which a
 * serial console may print as "lqqk"). */
void tui_set_ascii(int on);
attr_t tui_attr(enum tui_color c);
/* Clears the screen, draws the title bar (row 0) and footer (last row). */
void tui_frame(const char *title, const char *footer);
/* Prints at (y, x), clipped to the screen width. */
void tui_put(int y, int x, enum tui_color c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Word-wraps TEXT into width W from (y, x); returns the rows used. */
int tui_wrap(int y, int x, int w, enum tui_color c, const char *text);
/* A centred box with TEXT; waits for a key. */
void tui_message(const char *title, const char *text);
/* A centred box asking QUESTION; returns 1 for yes (y/Enter on Yes). */
int tui_ask(const char *title, const char *question);
/* Line editor at (y, x), W columns.  Returns 1 on Enter, 0 on Esc, and
 * TUI_RESIZED when the window changed size (redraw, then call again). */
#define TUI_RESIZED 2
int tui_input(int y, int x, int w, char *buf, size_t size);
/* Reads a key; Esc is returned as 27.  KEY_RESIZE is passed through. */
int tui_key(void);
int tui_is_enter(int k);
/* SIGTERM and SIGHUP (a closed serial line) ask the screens to wind down:
 * every screen then acts as if Esc was pressed, a running job is
 * cancelled, and tui_main() unmounts what it mounted before exiting. */
void tui_catch_stop(void);
int tui_stopping(void);

/* A menu of preformatted rows.  Rows whose enabled[i] is 0 are shown dim
 * and cannot be chosen.  INTRO is wrapped above the list.  Returns the
 * chosen index, -1 on Esc, or -2 - key when KEYS (a string of letters)
 * contains the pressed key. */
struct tui_menu {
	const char *title, *intro, *footer, *keys;
	char **rows;
	const int *enabled;
	int n, sel;
	int no_default;         /* nothing highlighted until an arrow key */
};
int tui_menu_run(struct tui_menu *m);

/* ---- fmt.c -------------------------------------------------------------- */

char *tui_size(char *buf, size_t n, uint64_t bytes);   /* "4.0 GiB" */
char *tui_rate(char *buf, size_t n, double bytes_per_s);
/* "/dev/sda (MODEL)", or the path alone when no model is reported. */
char *tui_dev_label(char *buf, size_t n, const struct lb_device *d);
char *tui_duration(char *buf, size_t n, double seconds); /* "1:02:03" */
/* Copies S into BUF keeping only [A-Za-z0-9._-], spaces as '_'. */
void tui_safe_name(char *buf, size_t n, const char *s);

/* ---- log.c -------------------------------------------------------------- */

void tui_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tui_log_path(void);
void tui_log_screen(void);
void tui_log_close(void);

/* ---- disks.c ------------------------------------------------------------ */

struct tui_disks {
	struct lb_device *dev;
	int n;
	int engine_n;           /* first engine_n came from lb_list_devices */
	char msg[512];          /* why the list is empty or short */
};

int tui_disks_load(struct tui_disks *d);
void tui_disks_free(struct tui_disks *d);
/* "U": asks the kernel to re-read the partition table (the engine's
 * lb_dev_reread_table, BLKRRPART) of each disk whose partitions have no
 * /dev node and that is not in use.  Writes nothing.  Returns how many
 * were asked, with "NAME (re-read)..." in SAID for the screen. */
int tui_disks_reread(struct tui_disks *d, char *said, size_t n);
/* One table row: "loop3  64.0 MiB  QEMU HARDDISK  usb  LIFEBOAT MEDIUM". */
void tui_disk_row(const struct lb_device *d, char *buf, size_t n);
void tui_part_row(const struct lb_partition *p, char *buf, size_t n);
/* Rows for the home table: disks and their partitions. */
int tui_disk_table(const struct tui_disks *d, char ***rows);
void tui_rows_free(char **rows, int n);
/* 1 when the file or directory PATH lives on disk D. */
int tui_disk_holds(const struct lb_device *d, const char *path);
/* Why D cannot be written (restore/clone target), or NULL when it can. */
const char *tui_target_refusal(const struct lb_device *d, uint64_t need,
			       const char *image, char *buf, size_t n);
/* Lets the person choose a disk.  WHY(i) returns NULL when disk i may be
 * chosen, else the reason shown beside it.  Returns the index or -1. */
typedef const char *(*tui_why_fn)(const struct lb_device *d, void *u,
				  char *buf, size_t n);
int tui_pick_disk(struct tui_disks *d, const char *title, const char *intro,
		  tui_why_fn why, void *u);
/* The same for a disk that will be overwritten: no row is highlighted
 * until the person moves to one. */
int tui_pick_target(struct tui_disks *d, const char *title,
		    const char *intro, tui_why_fn why, void *u);
/* A partition of D at least NEED bytes large and not mounted; nothing
 * highlighted at first.  Returns its index in d->parts or -1. */
int tui_pick_partition(const struct lb_device *d, uint64_t need);

/* ---- place.c, browse.c -------------------------------------------------- */

/* Asks where images go (WRITE=1) or come from (WRITE=0): a partition on
 * another drive, mounted under /mnt/lifeboat/<name>, or a folder.  SKIP is
 * the source disk (never offered for a backup) or NULL.  Fills DIR. */
void tui_unmount_all(void);
/* Where Lifeboat itself mounted a partition of D, or NULL. */
const char *tui_mounted_by_us(const struct lb_device *d);
int tui_pick_place(struct tui_disks *d, int write,
		   const struct lb_device *skip, char *dir, size_t n);
/* Folder browser below ROOT starting in DIR; returns 0 with DIR chosen. */
int tui_browse(const char *root, int write, char *dir, size_t n);
/* Free and total bytes of the filesystem holding DIR, and its type name. */
int tui_fs_space(const char *dir, uint64_t *free_b, uint64_t *total,
		 char *fsname, size_t n, int *is_fat);

/* ---- images.c ----------------------------------------------------------- */

/* Lists the images in DIR and lets the person choose one.  Returns 0 with
 * PATH and INFO filled, -1 on Esc or when there is none. */
int tui_pick_image(const char *dir, const char *title, char *path, size_t n,
		   struct lb_image_info *info);

/* ---- job.c, progress.c, result.c, confirm.c ----------------------------- */

enum tui_job_kind { TJ_BACKUP, TJ_RESTORE, TJ_CLONE, TJ_VERIFY, TJ_RESCUE };

#define TUI_MAP_CELLS 456       /* 6 rows of 76 */

struct tui_job {
	enum tui_job_kind kind;
	char title[160];
	union {
		struct lb_backup_opts backup;
		struct lb_restore_opts restore;
		struct lb_clone_opts clone;
		struct lb_verify_opts verify;
		struct lb_rescue_opts rescue;
	} o;
	struct lb_rescue_stats rstats;  /* rescue: the engine's live counts */
	uint64_t map_size;      /* bytes the strip map covers */
	/* Filled by the run: */
	int rc;
	int cancelled;
	char msg[512];
	double seconds;
	struct lb_progress last;
};

/* What the progress screen draws: a copy taken under the job's lock. */
struct tui_snap {
	struct lb_progress p;
	int have_p, finished, cancelling;
	double elapsed;                 /* seconds */
	unsigned char map[TUI_MAP_CELLS];   /* enum lb_region_state */
	uint64_t cell_bytes;
	int is_rescue;
	struct lb_rescue_stats rs;      /* copied in the progress callback */
	double now;                     /* CLOCK_MONOTONIC seconds */
};
void tui_progress_draw(const struct tui_job *j, const struct tui_snap *s);

/* Runs J on a worker thread behind the progress screen.  Returns J->rc. */
int tui_job_run(struct tui_job *j);
/* Shows what will be erased on D (a disk, or with PARTITION set a
 * stand-in describing one partition) and asks for its name to be typed.
 * Returns 1 when the person typed it, 0 when they went back. */
int tui_confirm_erase(const struct lb_device *d, const char *action,
		      int partition);
/* The result screen: OK, a headline and lines of detail. */
void tui_result(int ok, const char *title, const char *headline,
		const char *const *lines, int n);
/* Words for an engine error code. */
const char *tui_err_words(int rc);
/* What an image's SHA-256 is of (the engine's lb_image_sha_kind, in
 * words as `lifeboat info`/`verify` say it): "of the rescued disk, unreadable bytes
 * as zeros", "of the restored disk, free space as zeros", "of the source
 * disk", or "not computed yet" for an unfinished image.  tui_sha_zeros:
 * just what it holds as zeros ("unreadable bytes" / "free space"), NULL
 * when it holds the source as read.  result.c. */
const char *tui_sha_kind(const struct lb_image_info *i);
const char *tui_sha_zeros(const struct lb_image_info *i);
/* For a rescue image with unreadable bytes: "N bytes (SIZE) in M areas"
 * into BUF and returns BUF; NULL otherwise.  result.c. */
const char *tui_rescue_bytes(const struct lb_image_info *i, char *buf,
			     size_t n);

/* ---- flows and system actions ------------------------------------------- */

/* A source being imaged: a disk, or one partition of it (by offset). */
struct tui_src {
	const struct lb_device *dev;
	const struct lb_partition *part;    /* NULL for the whole disk */
	struct lb_span span;
	uint64_t size;                      /* bytes */
};
/* flow_backup.c, shared with rescue: "MODEL[-PART]KIND-DATE.qcow2". */
void tui_propose_name(const struct tui_src *s, const char *kind, char *buf,
		      size_t n);
/* The "name the image" screen with its space and FAT warnings. */
int tui_ask_name(const char *title, const struct tui_src *s, const char *dir,
		 char *name, size_t n);
/* Where the image goes, never on the disk SRC. */
int tui_pick_image_dir(struct tui_disks *d, const struct lb_device *src,
		       char *dir, size_t n);

void tui_flow_backup(struct tui_disks *d, int partition);
void tui_flow_restore(struct tui_disks *d);
void tui_flow_clone(struct tui_disks *d);
void tui_flow_verify(struct tui_disks *d);
/* Verifies IMAGE alone behind the progress and result screens, and
 * remembers the outcome for tui_verified(). */
void tui_verify_image(const char *image, const struct lb_image_info *info);
/* 1: IMAGE verified in this session, 0: it failed, -1: not checked. */
int tui_verified(const char *image);
void tui_flow_rescue(struct tui_disks *d);
void tui_sys_shell(void);
void tui_sys_power(int reboot);
int tui_on_medium(void);
void tui_home(void);

#endif
