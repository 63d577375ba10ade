/*
 * place.c — where images go (backup) or come from (restore, verify).  The
 * person picks a partition on another drive, which Lifeboat mounts under
 * /mnt/lifeboat/<name> (read-write for a backup, read-only otherwise), or
 * an already mounted one, or a folder ($LIFEBOAT_IMAGE_DIR is offered
 * first when set; "Browse" starts at /).  The mounts Lifeboat made are
 * undone when the TUI ends (tui_unmount_all), so they never leave a disk
 * "busy" for a later job.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tui_int.h"

#define MAX_MOUNTS 16
static char mounted[MAX_MOUNTS][128];          /* where */
static char mounted_disk[MAX_MOUNTS][128];     /* the disk it lives on */

static const char *const mountable[] = {
	"ext2", "ext3", "ext4", "vfat", "exfat", "ntfs", "xfs", "btrfs", NULL
};

static int can_mount(const char *fstype)
{
	for (int i = 0; mountable[i]; i++)
		if (!strcmp(fstype, mountable[i]))
			return 1;
	return 0;
}

/* Runs mount(8) (ntfs-3g and other helpers, or a partition that has no
 * device node, mounted from its disk through a loop device at its offset
 * when OPTS says so).  Returns mount's exit status. */
static int run_mount(const char *dev, const char *dir, const char *fs,
		     const char *opts)
{
	pid_t pid = fork();
	int st = -1;

	if (pid == 0) {
		int null = open("/dev/null", 1);
		dup2(null, 1);
		dup2(null, 2);
		execlp("mount", "mount", "-t", fs, "-o", opts, dev, dir,
		       (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Says why a mount failed and what to try: the kernel's reason (mount(2)'s
 * errno), and for a partition that had no /dev node that the kernel has
 * not re-read the disk's table since it was written (trial finding 7). */
static void mount_failed(char *err, size_t en, const struct lb_partition *p,
			 const char *dev, const char *dir, int why, int no_node)
{
	const char *hint =
		why == ENODEV ? "This system has no driver for that "
		"filesystem." :
		why == EBUSY ? "It is in use: mounted elsewhere or open." :
		why == EROFS || why == EACCES ? "The drive is write-protected; "
		"choose another drive, or a folder." :
		"The filesystem may be damaged or not what it seems: check it "
		"on another computer, or choose another drive.";

	snprintf(err, en, "Cannot mount %s (%s, via %s) on %s: %s. %s%s",
		 p->name, p->fstype, dev, dir, why ? strerror(why) :
		 "mount failed", hint, no_node ? " The kernel has not re-read "
		 "this disk's partition table since it was written (no /dev "
		 "node for it): U (Update the disk list) or a reboot may "
		 "help." : "");
}

static int do_mount(const struct lb_device *d, const struct lb_partition *p,
		    int write, char *dir, size_t n, char *err, size_t en)
{
	char dev[128], opts[128];
	const char *fs = !strcmp(p->fstype, "ntfs") ? "ntfs3" : p->fstype;
	struct stat st;
	int r, loop_fd = -1, why = 0, no_node = 0;

	snprintf(dir, n, "/mnt/lifeboat/%s", p->name);
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (!strcmp(mounted[i], dir))
			return 0;       /* mounted earlier in this session */
	mkdir("/mnt", 0755);
	mkdir("/mnt/lifeboat", 0755);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, en, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(dev, sizeof dev, "/dev/%s", p->name);
	snprintf(opts, sizeof opts, "%s", write ? "rw" : "ro");
	if (stat(dev, &st) != 0) {
		no_node = 1;
		/* No node (the kernel has not read this table): a loop device
		 * over the partition's bytes.  Not BusyBox's -o loop,offset=,
		 * which hands sizelimit= to the filesystem (EINVAL). */
		struct lb_ctx ctx = { 0 };
		loop_fd = lb_loop_attach(&ctx, d->path, p->start, p->size,
					 !write, dev, sizeof dev);
		if (loop_fd < 0) {
			snprintf(err, en, "cannot mount partition %s: /dev/%s "
				 "does not exist and no loop device could be set "
				 "up over its bytes (%s). The kernel has not "
				 "re-read this disk's partition table since it "
				 "was written: choose U (Update the disk list), "
				 "or reboot.", p->name, p->name, ctx.msg);
			return -1;
		}
	}
	r = mount(dev, dir, fs, write ? 0 : MS_RDONLY, NULL);
	if (r != 0) {
		why = errno;
		r = run_mount(dev, dir, p->fstype, opts);
	}
	if (loop_fd >= 0)
		close(loop_fd);         /* the mount holds the device now */
	if (r != 0) {
		mount_failed(err, en, p, dev, dir, why, no_node);
		return -1;
	}
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (!mounted[i][0]) {
			snprintf(mounted[i], sizeof mounted[i], "%s", dir);
			snprintf(mounted_disk[i], sizeof mounted_disk[i], "%s",
				 d->path);
			break;
		}
	tui_log("mounted %s %s (%s) on %s %s", dev, opts, p->fstype, dir,
		write ? "read-write" : "read-only");
	return 0;
}

void tui_unmount_all(void)
{
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (mounted[i][0]) {
			if (umount2(mounted[i], 0) != 0)
				tui_log("could not unmount %s: %s", mounted[i],
					strerror(errno));
			else
				rmdir(mounted[i]);
			mounted[i][0] = '\0';
			mounted_disk[i][0] = '\0';
		}
}

const char *tui_mounted_by_us(const struct lb_device *d)
{
	for (int i = 0; i < MAX_MOUNTS; i++)
		if (mounted[i][0] && !strcmp(mounted_disk[i], d->path))
			return mounted[i];
	return NULL;
}

struct choice {
	const struct lb_device *dev;
	const struct lb_partition *part;
	int kind;
};
enum { CH_ENV, CH_PART, CH_BROWSE };

static void part_choice_row(const struct lb_device *d,
			    const struct lb_partition *p, int write,
			    char *buf, size_t n, int *ok)
{
	char sz[32];

	*ok = 1;
	snprintf(buf, n, "%-10.10s %9s %-5.5s %-14.14s on %-12.12s %s",
		 p->name, tui_size(sz, sizeof sz, p->size), p->fstype,
		 p->label[0] ? p->label : "(no label)", d->name,
		 p->mountpoint[0] ? "(mounted)" : "");
}

/* Builds the rows; returns the count. */
static int build(struct tui_disks *d, int write, const struct lb_device *skip,
		 char **rows, int *en, struct choice *ch, int cap)
{
	const char *env = getenv("LIFEBOAT_IMAGE_DIR");
	char buf[300];
	int n = 0;

	if (env && *env) {
		snprintf(buf, sizeof buf, "Folder %s", env);
		rows[n] = strdup(buf);
		en[n] = 1;
		ch[n++] = (struct choice){ NULL, NULL, CH_ENV };
	}
	for (int i = 0; i < d->n && n < cap - 1; i++) {
		const struct lb_device *dv = &d->dev[i];
		if ((skip && !strcmp(dv->path, skip->path)) ||
		    (write && dv->is_lifeboat_medium))
			continue;
		for (size_t p = 0; p < dv->nparts && n < cap - 1; p++) {
			if (!can_mount(dv->parts[p].fstype))
				continue;
			part_choice_row(dv, &dv->parts[p], write, buf,
					sizeof buf, &en[n]);
			rows[n] = strdup(buf);
			ch[n++] = (struct choice){ dv, &dv->parts[p], CH_PART };
		}
	}
	rows[n] = strdup("Browse the folders of this computer...");
	en[n] = 1;
	ch[n++] = (struct choice){ NULL, NULL, CH_BROWSE };
	return n;
}

/* The folder last chosen in the browser in this session (trial 2 F11):
 * the next browse below the same root starts there, not at its top. */
static char last_dir[4096];

/* DIR becomes the remembered folder when it lies below ROOT and is still
 * a folder. */
static void start_at_last(const char *root, char *dir, size_t n)
{
	size_t l = strlen(root);
	struct stat st;

	if (!last_dir[0] || strncmp(last_dir, root, l) ||
	    (last_dir[l] != '/' && last_dir[l] && root[l - 1] != '/') ||
	    stat(last_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(dir, n, "%s", last_dir);
}

static int use_choice(const struct choice *c, int write, char *dir,
		      size_t n)
{
	char err[768];
	const char *env = getenv("LIFEBOAT_IMAGE_DIR");

	if (c->kind == CH_ENV)
		snprintf(dir, n, "%s", env);
	else if (c->kind == CH_BROWSE)
		snprintf(dir, n, "/");
	else if (c->part->mountpoint[0])
		snprintf(dir, n, "%s", c->part->mountpoint);
	else if (do_mount(c->dev, c->part, write, dir, n, err,
			  sizeof err) != 0) {
		tui_log("%s", err);
		tui_message("Could not open that drive", err);
		return -1;
	}
	char root[4096];
	snprintf(root, sizeof root, "%s", dir);
	start_at_last(root, dir, n);
	if (tui_browse(root, write, dir, n) != 0)
		return -1;
	snprintf(last_dir, sizeof last_dir, "%s", dir);
	return 0;
}

int tui_pick_place(struct tui_disks *d, int write,
		   const struct lb_device *skip, char *dir, size_t n)
{
	int cap = 3;

	for (int i = 0; i < d->n; i++)
		cap += (int)d->dev[i].nparts;
	char **rows = calloc((size_t)cap, sizeof *rows);
	int *en = calloc((size_t)cap, sizeof *en);
	struct choice *ch = calloc((size_t)cap, sizeof *ch);
	int r = -1, nrows = 0;

	if (rows && en && ch) {
		nrows = build(d, write, skip, rows, en, ch, cap);
		struct tui_menu m = {
			.title = write ? "Where should the image go?" :
				 "Where are the images?",
			.intro = write ? "Choose a partition on another drive "
				 "(it is mounted read-write under /mnt/lifeboat)"
				 " or a folder." : "Choose the drive or folder "
				 "that holds the images (mounted read-only).",
			.rows = rows, .enabled = en, .n = nrows };
		int parts = 0;
		for (int i = 0; i < nrows; i++)
			parts += ch[i].kind == CH_PART;
		if (!parts)
			m.intro = write ? "No other drive has a partition with a "
				  "filesystem Lifeboat can mount (ext2/3/4, FAT, "
				  "exFAT, NTFS, XFS, btrfs). Plug one in and choose "
				  "U on the home screen, or choose a folder." :
				  "No drive has a partition with a filesystem "
				  "Lifeboat can mount. Choose a folder.";
		do {
			r = tui_menu_run(&m);
		} while (r >= 0 && use_choice(&ch[r], write, dir, n) != 0);
	}
	tui_rows_free(rows, nrows);
	free(en);
	free(ch);
	return r >= 0 ? 0 : -1;
}
