/*
 * disks.c — the machine's disks as the screens show them.  The list comes
 * from lb_list_devices(); the TUI keeps its own deep copy so that it can
 * add entries.  LIFEBOAT_TUI_DEVICES (paths separated by spaces or commas)
 * narrows the list to those devices, in that order, and lets a regular
 * file stand in for a disk ("file-backed disk") — tests use it so that the
 * screen shows only their own loop devices and files.  A file named as
 * "fault:PATH" is passed to the engine as is, so that tests can slow or
 * fail its reads with the engine's test-only fault backend (dev_fault.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dev.h"
#include "tui_int.h"

static void copy_dev(struct lb_device *dst, const struct lb_device *src)
{
	*dst = *src;
	dst->parts = NULL;
	if (src->nparts && src->parts) {
		dst->parts = calloc(src->nparts, sizeof *dst->parts);
		if (dst->parts)
			memcpy(dst->parts, src->parts,
			       src->nparts * sizeof *dst->parts);
		else
			dst->nparts = 0;
	}
}

/* A regular file named in LIFEBOAT_TUI_DEVICES, shown as a disk. */
static int file_dev(struct lb_device *d, const char *path)
{
	struct stat st;
	const char *file = strncmp(path, "fault:", 6) ? path : path + 6;
	const char *base = strrchr(file, '/');

	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", base ? base + 1 : file);
	snprintf(d->path, sizeof d->path, "%s", path);
	snprintf(d->model, sizeof d->model, "disk image file");
	snprintf(d->transport, sizeof d->transport, "file");
	d->size = (uint64_t)st.st_size;
	d->logical_sector = d->physical_sector = 512;
	return 0;
}

static int add_wanted(struct tui_disks *d, struct lb_device *all, int n,
		      const char *want)
{
	char *list = strdup(want), *save = NULL;
	int out = 0;

	if (!list)
		return -ENOMEM;
	for (char *p = strtok_r(list, " ,", &save); p;
	     p = strtok_r(NULL, " ,", &save)) {
		int found = 0;
		for (int i = 0; i < n && !found; i++)
			if (!strcmp(all[i].path, p) || !strcmp(all[i].name, p)) {
				copy_dev(&d->dev[out++], &all[i]);
				found = 1;
			}
		if (!found && file_dev(&d->dev[out], p) == 0)
			out++;
		else if (!found)
			tui_log("LIFEBOAT_TUI_DEVICES: %s is not a disk or a file", p);
	}
	free(list);
	return out;
}

int tui_disks_load(struct tui_disks *d)
{
	struct lb_ctx ctx = { 0 };
	struct lb_device *all = NULL;
	const char *want = getenv("LIFEBOAT_TUI_DEVICES");
	int n = 0, slots;

	memset(d, 0, sizeof *d);
	if ((n = lb_list_devices(&ctx, &all)) < 0) {
		snprintf(d->msg, sizeof d->msg, "Could not list the disks: %.400s",
			 ctx.msg[0] ? ctx.msg : strerror(-n));
		tui_log("%s", d->msg);
		n = 0;
	}
	slots = n + (want ? (int)strlen(want) / 2 + 2 : 0) + 1;
	d->dev = calloc((size_t)slots, sizeof *d->dev);
	if (d->dev && want && *want)
		d->n = add_wanted(d, all, n, want);
	else if (d->dev)
		for (d->n = 0; d->n < n; d->n++)
			copy_dev(&d->dev[d->n], &all[d->n]);
	if (all)
		lb_free_devices(all, n);
	if (d->n == 0 && !d->msg[0])
		snprintf(d->msg, sizeof d->msg, "No disks were found.");
	return d->n;
}

/* 1 when disk D lists a partition that has no /dev node: the kernel has
 * not read the table that is on the disk now (e.g. after a clone). */
static int missing_nodes(const struct lb_device *d)
{
	char node[160];
	struct stat st;

	for (size_t p = 0; p < d->nparts; p++) {
		snprintf(node, sizeof node, "/dev/%s", d->parts[p].name);
		if (stat(node, &st) != 0)
			return 1;
	}
	return 0;
}

int tui_disks_reread(struct tui_disks *d, char *said, size_t n)
{
	int asked = 0;
	size_t o = 0;

	said[0] = '\0';
	for (int i = 0; i < d->n; i++) {
		const struct lb_device *dv = &d->dev[i];
		char buf[300];
		if (strncmp(dv->path, "/dev/", 5) || !missing_nodes(dv) ||
		    tui_target_refusal(dv, 0, NULL, buf, sizeof buf))
			continue;       /* a file, nodes there, or in use */
		struct lb_ctx ctx = { 0 };
		struct lb_dev *h = NULL;
		struct lb_span sp = { .path = dv->path };
		int r = lb_dev_open(&ctx, &sp, LB_DEV_WRITE, 0, &h);
		if (!r) {       /* writes nothing: fsync and BLKRRPART only */
			r = lb_dev_reread_table(&ctx, h);
			lb_dev_close(h);
		}
		tui_log("update: re-read the partition table of %s: %s",
			dv->path, r == 0 ? "done" : r > 0 ? "the kernel refused "
			"(a reboot will show the partitions)" : ctx.msg);
		o += (size_t)snprintf(said + o, o < n ? n - o : 0, "%s%s (%s)",
				      asked ? ", " : "", dv->name, r == 0 ?
				      "re-read" : "not re-read: reboot");
		if (o >= n)
			o = n - 1;
		asked++;
	}
	return asked;
}

void tui_disks_free(struct tui_disks *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->dev[i].parts);
	free(d->dev);
	memset(d, 0, sizeof *d);
}

static int any_mounted(const struct lb_device *d)
{
	for (size_t i = 0; i < d->nparts; i++)
		if (d->parts[i].mountpoint[0])
			return 1;
	return d->in_use;
}

/* The model, or for a loop device the end of its backing file's path,
 * which is the part that tells two of them apart. */
static const char *model_text(const struct lb_device *d, char *buf, size_t n)
{
	size_t l = strlen(d->model);

	if (!l)
		return "(no model)";
	if (l <= 24 || d->model[0] != '/')
		return d->model;
	snprintf(buf, n, "...%s", d->model + l - 21);
	return buf;
}

void tui_disk_row(const struct lb_device *d, char *buf, size_t n)
{
	char sz[32], model[32];

	/* The medium is always mounted read-only, and the notes column has
	 * room for about 23 characters at 80 columns: its one mark says it. */
	int medium = d->is_lifeboat_medium;

	snprintf(buf, n, "%-9s %9s  %-24.24s %-6.6s %s%s%s", d->name,
		 tui_size(sz, sizeof sz, d->size),
		 model_text(d, model, sizeof model), d->transport,
		 medium ? "LIFEBOAT MEDIUM" : "",
		 !medium && any_mounted(d) ? "MOUNTED " : "",
		 !medium && d->read_only ? "read-only" : "");
}

void tui_part_row(const struct lb_partition *p, char *buf, size_t n)
{
	char sz[32];

	snprintf(buf, n, "  %-12.12s %9s  %-6.6s %-18.18s %s%.30s", p->name,
		 tui_size(sz, sizeof sz, p->size),
		 p->fstype[0] ? p->fstype : "?",
		 p->label[0] ? p->label : "",
		 p->mountpoint[0] ? "mounted at " : "", p->mountpoint);
}

int tui_disk_table(const struct tui_disks *d, char ***rows)
{
	int cap = 0, n = 0;

	for (int i = 0; i < d->n; i++)
		cap += 1 + (int)d->dev[i].nparts;
	*rows = calloc((size_t)cap + 1, sizeof **rows);
	if (!*rows)
		return 0;
	for (int i = 0; i < d->n; i++) {
		char buf[256];
		tui_disk_row(&d->dev[i], buf, sizeof buf);
		(*rows)[n++] = strdup(buf);
		for (size_t p = 0; p < d->dev[i].nparts; p++) {
			tui_part_row(&d->dev[i].parts[p], buf, sizeof buf);
			(*rows)[n++] = strdup(buf);
		}
	}
	return n;
}

void tui_rows_free(char **rows, int n)
{
	for (int i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}
