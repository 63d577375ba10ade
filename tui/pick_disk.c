/*
 * pick_disk.c — choosing a disk: a list of every disk with its partitions
 * beneath it, where a disk that may not be used stays visible, dim, with
 * the reason in words ("holds the image being restored", "is mounted",
 * "too small").  Nothing is preselected for a destructive action: the
 * cursor starts on the first disk that may be chosen, and choosing still
 * leads to the typed confirmation in confirm.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "tui_int.h"

/* Kernel name of the whole disk behind device number DEV, via sysfs:
 * /sys/dev/block/M:m -> .../block/sda/sda1 (a partition) or .../sda. */
static int disk_of_devnum(dev_t dev, char *name, size_t n)
{
	char link[64], real[PATH_MAX], *base, *slash;

	snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	if (!realpath(link, real))
		return -errno;
	base = strrchr(real, '/');
	if (!base)
		return -ENOENT;
	*base++ = '\0';
	slash = strrchr(real, '/');
	/* A partition's parent directory is its disk; a disk's is "block"
	 * or a virtual/controller path. */
	if (slash && strcmp(slash + 1, "block") != 0) {
		char part[PATH_MAX];
		snprintf(part, sizeof part, "%s/%s/partition", real, base);
		if (access(part, F_OK) == 0)
			base = slash + 1;
	}
	snprintf(name, n, "%s", base);
	return 0;
}

/* 1 when device number DEV lives on disk D, following loop devices to
 * what backs them (a partition mounted through a loop device at an offset
 * still lives on its disk; case C034).  DEPTH bounds the chain. */
static int devnum_on(const struct lb_device *d, dev_t dev, int depth)
{
	char disk[64], link[128], back[PATH_MAX];
	struct stat st;
	FILE *f;

	if (depth > 4 || disk_of_devnum(dev, disk, sizeof disk) != 0)
		return 0;
	if (!strcmp(disk, d->name))
		return 1;
	snprintf(link, sizeof link, "/sys/block/%s/loop/backing_file", disk);
	if (!(f = fopen(link, "r")))
		return 0;
	if (!fgets(back, sizeof back, f))
		back[0] = '\0';
	fclose(f);
	back[strcspn(back, "\n")] = '\0';
	if (!back[0] || stat(back, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode) && !strcmp(d->transport, "file") &&
	    !strcmp(d->path + (strncmp(d->path, "fault:", 6) ? 0 : 6), back))
		return 1;
	return devnum_on(d, S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev,
			 depth + 1);
}

int tui_disk_holds(const struct lb_device *d, const char *path)
{
	struct stat st;

	if (!path || stat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode) && !strcmp(d->transport, "file") &&
	    !strcmp(d->path + (strncmp(d->path, "fault:", 6) ? 0 : 6), path))
		return 1;
	return devnum_on(d, S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev, 0);
}

/* Where the whole disk D itself is mounted (a filesystem without a
 * partition table), from /proc/self/mountinfo; "" when not found. */
static const char *disk_mountpoint(const struct lb_device *d, char *buf,
				   size_t n)
{
	struct stat st;
	char line[4096], mnt[4096];
	unsigned ma, mi;
	FILE *f;

	buf[0] = '\0';
	if (stat(d->path, &st) != 0 || !S_ISBLK(st.st_mode) ||
	    !(f = fopen("/proc/self/mountinfo", "r")))
		return buf;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &ma, &mi, mnt) == 3
		    && ma == major(st.st_rdev) && mi == minor(st.st_rdev)) {
			snprintf(buf, n, "%s", mnt);
			break;
		}
	fclose(f);
	return buf;
}

static const char *mounted_where(const struct lb_device *d, char *buf,
				 size_t n)
{
	const char *ours = tui_mounted_by_us(d);

	for (size_t i = 0; i < d->nparts; i++)
		if (d->parts[i].mountpoint[0])
			return d->parts[i].mountpoint;
	if (ours)
		return ours;
	return d->in_use ? disk_mountpoint(d, buf, n) : NULL;
}

const char *tui_target_refusal(const struct lb_device *d, uint64_t need,
			       const char *image, char *buf, size_t n)
{
	char a[32], b[32], where[512];
	const char *mnt = mounted_where(d, where, sizeof where);

	if (d->is_lifeboat_medium)
		return "holds the Lifeboat medium that is running now";
	if (image && tui_disk_holds(d, image))
		return "holds the image being restored";
	if (mnt) {
		/* The row after "  ^ cannot be used: this disk " has 48
		 * columns at 80: the advice goes when the path needs them. */
		if (!*mnt)
			snprintf(buf, n, "is in use (mounted, swap, RAID or LVM)");
		else if (strlen(mnt) <= 16)
			snprintf(buf, n, "is in use (mounted at %s) - unmount it "
				 "first", mnt);
		else
			snprintf(buf, n, "is in use (mounted at %s)", mnt);
		return buf;
	}
	if (d->read_only)
		return "is read-only";
	if (need && d->size < need) {
		snprintf(buf, n, "is too small: %s, needs %s",
			 tui_size(a, sizeof a, d->size),
			 tui_size(b, sizeof b, need));
		return buf;
	}
	struct lb_ctx ctx = { 0 };
	int rc = lb_check_target(&ctx, d->path, need, image);
	if (rc < 0) {
		snprintf(buf, n, "%s", ctx.msg[0] ? ctx.msg : strerror(-rc));
		return buf;
	}
	return NULL;
}

/* Adds the rows for disk I; returns the menu index of its disk row. */
static int add_rows(struct tui_disks *d, int i, const char *why,
		    char **rows, int *en, int *map, int *n)
{
	char buf[300];
	int at = *n;

	tui_disk_row(&d->dev[i], buf, sizeof buf);
	rows[*n] = strdup(buf);
	en[*n] = why == NULL;
	map[(*n)++] = i;
	if (why) {
		/* A reason with a line break goes on two rows (80 columns). */
		const char *nl = strchr(why, '\n');
		snprintf(buf, sizeof buf, "  ^ cannot be used: this disk %.*s",
			 nl ? (int)(nl - why) : (int)strlen(why), why);
		rows[*n] = strdup(buf);
		en[*n] = 0;
		map[(*n)++] = -1;
		if (nl) {
			snprintf(buf, sizeof buf, "    %s", nl + 1);
			rows[*n] = strdup(buf);
			en[*n] = 0;
			map[(*n)++] = -1;
		}
	}
	for (size_t p = 0; p < d->dev[i].nparts; p++) {
		tui_part_row(&d->dev[i].parts[p], buf, sizeof buf);
		rows[*n] = strdup(buf);
		en[*n] = 0;
		map[(*n)++] = -1;
	}
	return at;
}

static int pick(struct tui_disks *d, const char *title, const char *intro,
		tui_why_fn why, void *u, int no_default)
{
	int cap = 1, n = 0, r, ok = 0;

	for (int i = 0; i < d->n; i++)
		cap += 3 + (int)d->dev[i].nparts;
	char **rows = calloc((size_t)cap, sizeof *rows);
	int *en = calloc((size_t)cap, sizeof *en);
	int *map = calloc((size_t)cap, sizeof *map);
	if (!rows || !en || !map)
		goto out;
	for (int i = 0; i < d->n; i++) {
		char buf[300];
		const char *w = why ? why(&d->dev[i], u, buf, sizeof buf) : NULL;
		add_rows(d, i, w, rows, en, map, &n);
		ok += w == NULL;
	}
	if (!d->n) {
		tui_message(title, d->msg);
		goto out;
	}
	if (!ok)
		intro = "None of these disks can be used for this; each one "
			"says why. Press Esc to go back.";
	struct tui_menu m = { .title = title, .intro = intro, .rows = rows,
			      .enabled = en, .n = n, .sel = 0,
			      .no_default = no_default,
			      .footer = no_default ? "Up/Down choose a disk  "
			      "Enter go on  Esc back" : NULL };
	r = tui_menu_run(&m);
	r = r >= 0 ? map[r] : -1;
	tui_rows_free(rows, n);
	free(en);
	free(map);
	return r;
out:
	tui_rows_free(rows, n);
	free(en);
	free(map);
	return -1;
}

int tui_pick_disk(struct tui_disks *d, const char *title, const char *intro,
		  tui_why_fn why, void *u)
{
	return pick(d, title, intro, why, u, 0);
}

int tui_pick_target(struct tui_disks *d, const char *title,
		    const char *intro, tui_why_fn why, void *u)
{
	return pick(d, title, intro, why, u, 1);
}

int tui_pick_partition(const struct lb_device *d, uint64_t need)
{
	char *rows[256], buf[300], sz[32], title[160];
	int en[256], n = d->nparts < 256 ? (int)d->nparts : 256, r;

	for (int i = 0; i < n; i++) {
		tui_part_row(&d->parts[i], buf, sizeof buf);
		en[i] = d->parts[i].size >= need && !d->parts[i].mountpoint[0];
		if (!en[i]) {
			size_t l = strlen(buf);
			snprintf(buf + l, sizeof buf - l, "  %s",
				 d->parts[i].mountpoint[0] ? "(mounted)" :
				 "(too small)");
		}
		rows[i] = strdup(buf);
	}
	snprintf(title, sizeof title, "Which partition of %s?", d->name);
	snprintf(buf, sizeof buf, "The image needs %s. Nothing is chosen yet: "
		 "move to a partition with the arrow keys.",
		 tui_size(sz, sizeof sz, need));
	struct tui_menu m = { .title = title, .intro = buf, .rows = rows,
			      .enabled = en, .n = n, .no_default = 1 };
	r = tui_menu_run(&m);
	for (int i = 0; i < n; i++)
		free(rows[i]);
	return r;
}
