/*
 * flow_backup.c — "Back up a disk" and "Back up a partition": choose the
 * source, where the image goes, its name (proposed from the source's model
 * and today's date), then run lb_backup() behind the progress screen and
 * say in plain words what came of it.  Warns before starting when the
 * image may not fit or must be split because the destination is FAT, and
 * asks which table to trust when the disk's GPT and MBR disagree (C013).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "tui_int.h"


static const char *why_source(const struct lb_device *d, void *u,
			      char *buf, size_t n)
{
	int partition = *(int *)u;

	if (d->size == 0)
		return "is empty (0 bytes)";
	if (partition && d->nparts == 0)
		return "has no partitions that Lifeboat recognises";
	return NULL;
}

static int pick_part(const struct lb_device *d)
{
	char *rows[256], buf[300];
	int n = d->nparts < 256 ? (int)d->nparts : 256;

	for (int i = 0; i < n; i++) {
		tui_part_row(&d->parts[i], buf, sizeof buf);
		rows[i] = strdup(buf);
	}
	char lab[400];
	snprintf(buf, sizeof buf, "Partitions on %s:",
		 tui_dev_label(lab, sizeof lab, d));
	struct tui_menu m = { .title = "Back up a partition: which one?",
			      .intro = buf, .rows = rows, .n = n };
	int r = tui_menu_run(&m);
	for (int i = 0; i < n; i++)
		free(rows[i]);
	return r;
}

void tui_propose_name(const struct tui_src *s, const char *kind, char *buf,
		      size_t n)
{
	char model[80], date[16];
	time_t now = time(NULL);
	struct tm tm;

	const char *m = s->dev->model[0] && strcmp(s->dev->transport, "file")
			? s->dev->model : s->dev->name;
	char *dot;

	if (strrchr(m, '/'))            /* a loop device's backing file */
		m = strrchr(m, '/') + 1;
	tui_safe_name(model, sizeof model, m);
	if (m != s->dev->model && (dot = strrchr(model, '.')) && dot != model)
		*dot = '\0';           /* "disk.img" -> "disk" */
	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y-%m-%d", &tm);
	snprintf(buf, n, "%s%s%s%s-%s.qcow2", model[0] ? model : "disk",
		 s->part ? "-" : "", s->part ? s->part->name : "", kind, date);
}

/* The warnings shown above the file name; returns rows used. */
static int warnings(int y, const struct tui_src *s, const char *dir)
{
	char fs[64], a[32], b[32], msg[600];
	uint64_t fr = 0, tot = 0;
	int fat = 0, used = 0;

	if (tui_fs_space(dir, &fr, &tot, fs, sizeof fs, &fat) != 0)
		return 0;
	tui_put(y + used++, 2, TC_NORMAL, "Filesystem: %s, %s free", fs,
		tui_size(a, sizeof a, fr));
	if (fr < s->size) {
		snprintf(msg, sizeof msg, "WARNING: only %s free for a source of "
			 "%s. Compressed images are usually smaller, but this "
			 "may not fit. If the drive fills up, the backup stops "
			 "and no complete-looking image is left.",
			 tui_size(a, sizeof a, fr), tui_size(b, sizeof b,
							      s->size));
		used += tui_wrap(y + used, 2, COLS - 4, TC_WARN, msg);
	}
	if (fat && s->size > 0xFFFFFFFFull)
		used += tui_wrap(y + used, 2, COLS - 4, TC_WARN, "This drive "
				 "uses FAT, whose files cannot reach 4 GiB: the "
				 "image will be split into numbered pieces.");
	return used;
}

int tui_ask_name(const char *title, const struct tui_src *s, const char *dir,
		 char *name, size_t n)
{
	char sz[32];

	for (;;) {
		int y = 2;
		tui_frame(title, "Enter start   Esc back");
		tui_put(y++, 2, TC_NORMAL, "Source: %s%s%s  %s  %s",
			s->dev->path, s->part ? " partition " : "",
			s->part ? s->part->name : "",
			tui_size(sz, sizeof sz, s->size), s->dev->model);
		tui_put(y++, 2, TC_NORMAL, "Folder: %s", dir);
		y += warnings(y, s, dir) + 1;
		tui_put(y++, 2, TC_NORMAL, "File name of the image:");
		int r = tui_input(y, 4, COLS - 8, name, n);
		if (r == TUI_RESIZED)
			continue;
		if (!r)
			return -1;
		if (name[0] && !strchr(name, '/'))
			return 0;
		tui_message("File name", "Please type a file name (no /).");
	}
}

/* Result lines after a finished backup; returns the count. */
static int ok_lines(const struct tui_job *j, const char *image,
		    char l[][700])
{
	char a[32], b[32], t[32];
	struct lb_image_info info = { 0 };
	struct lb_ctx ctx = { 0 };
	int n = 0, have = lb_image_info(&ctx, image, &info) >= 0;

	snprintf(l[n++], 700, "Image:    %s", image);
	snprintf(l[n++], 700, "Size:     %s in the image for %s of disk, in %s%s",
		 have ? tui_size(a, sizeof a, info.file_size) : "?",
		 tui_size(b, sizeof b, j->map_size),
		 tui_duration(t, sizeof t, j->seconds),
		 have && info.pieces > 1 ? " (split into pieces)" : "");
	snprintf(l[n++], 700, "SHA-256:  %s", have && info.sha256[0] ?
		 info.sha256 : "(not recorded)");
	if (have && info.sha256[0])     /* what it is of, as the engine says */
		snprintf(l[n++], 700, "          (%s)", tui_sha_kind(&info));
	l[n++][0] = '\0';
	snprintf(l[n++], 700, "What next: keep the drive with the image safe. "
		 "V (Verify an image) checks it again at any time; R (Restore "
		 "an image) puts it back on a disk.");
	return n;
}

/* Result lines after a failed or cancelled backup: what is left where. */
static int fail_lines(const struct tui_job *j, const char *image,
		      char l[][700])
{
	char part[4200];
	struct stat st;
	int n = 0;

	snprintf(l[n++], 700, "%s", j->msg[0] ? j->msg : tui_err_words(j->rc));
	snprintf(l[n++], 700, "The source disk was only read, never written.");
	snprintf(l[n++], 700, "%s", stat(image, &st) == 0 ? "An image with this "
		 "name was already there before; it is not the result of this "
		 "job." : "No image was saved under this name.");
	snprintf(part, sizeof part, "%s.part", image);
	if (stat(part, &st) == 0)
		snprintf(l[n++], 700, "The unfinished file %s is marked "
			 "incomplete and is not a usable image; you may delete "
			 "it.", part);
	snprintf(l[n++], 700, "What next: %s", j->cancelled ? "start the "
		 "backup again when you are ready." : "read the log (L); if "
		 "the destination is full, choose a drive with more free "
		 "space.");
	return n;
}

static void result(const struct tui_job *j, const char *image)
{
	char l[8][700], head[300];
	const char *lines[8];
	int n = j->rc >= 0 ? ok_lines(j, image, l) : fail_lines(j, image, l);

	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	snprintf(head, sizeof head, j->rc >= 0 ? "Backup finished: the image is "
		 "complete." : "The backup did NOT finish. %s",
		 tui_err_words(j->rc));
	tui_result(j->rc >= 0, "Backup result", head, lines, n);
}

/* The engine refused before writing because the worst case may not fit
 * (it then suggests its --no-space-check option, which the TUI offers as a
 * question instead). */
static int space_refused(const struct tui_job *j)
{
	return j->rc == -ENOSPC && !j->o.backup.no_space_check &&
	       j->last.written == 0 && strstr(j->msg, "no-space-check");
}

/* Case C013: the engine says the disk's valid GPT and its MBR disagree
 * (lb_table_conflict).  The person chooses which table the backup trusts,
 * or the whole disk raw (what happens without a choice).  Returns 0 with
 * *TABLE set, or -1 on Esc. */
static int pick_table(const struct lb_span *src, enum lb_table_choice *table,
		      int partition)
{
	char gpt[200], mbr[200], r0[300], r1[300], *rows[3];
	char r2[] = "Whole disk raw: every sector (slower, larger image)";
	struct lb_ctx ctx = { 0 };
	static const enum lb_table_choice pick[3] = {
		LB_TABLE_GPT, LB_TABLE_MBR, LB_TABLE_AUTO };

	*table = LB_TABLE_AUTO;
	if (lb_table_conflict(&ctx, src, gpt, mbr, sizeof gpt) != 1)
		return 0;       /* no conflict (or unreadable: the job says) */
	snprintf(r0, sizeof r0, "GPT: %s", gpt);
	snprintf(r1, sizeof r1, "MBR: %s", mbr);
	rows[0] = r0;
	rows[1] = r1;
	rows[2] = r2;
	struct tui_menu m = { .title = "Back up: the disk's two partition "
			      "tables disagree", .intro = "This disk has a valid "
			      "GPT and an older MBR that lists other partitions. "
			      "Nothing is written to the disk either way; both "
			      "tables are saved in the image. Which table "
			      "describes the data to save?", .rows = rows, .n = 3 };
	if (partition) {        /* trial 2 F3: no raw row for a partition */
		m.intro = "This disk has a valid GPT and an older MBR that "
			  "lists other partitions, so \"partition 1\" means "
			  "two different places. Nothing is written to the "
			  "disk. Which table's partitions should be listed?";
		m.title = "Back up a partition: the disk's two tables "
			  "disagree";
		m.n = 2;
	}
	int r = tui_menu_run(&m);
	if (r < 0)
		return -1;
	*table = pick[r];
	tui_log("backup%s: the disk's GPT and MBR disagree; chosen: %s",
		partition ? " (a partition)" : "",
		r == 0 ? "GPT" : r == 1 ? "MBR" : "whole disk raw");
	return 0;
}

/* A kernel partition of DEV over the same bytes as P (its node, its
 * filesystem), else a name saying which table P is from ("loop0-gpt1"). */
static void name_part(const struct lb_device *dev, struct lb_partition *p,
		      enum lb_table_choice t)
{
	uint32_t number = p->number;

	for (size_t k = 0; k < dev->nparts; k++)
		if (dev->parts[k].start == p->start &&
		    dev->parts[k].size == p->size) {
			*p = dev->parts[k];
			p->number = number;
			return;
		}
	snprintf(p->name, sizeof p->name, "%.40s-%s%u", dev->name,
		 t == LB_TABLE_GPT ? "gpt" : "mbr", number);
}

/* Case C013 for "Back up a partition" (trial 2 F3): the kernel's list of
 * DEV's partitions follows the MBR; after the person chose table T the
 * list is T's partitions (lb_table_partitions): *OUT is DEV with them.
 * Returns 0, or -1 after saying why when there are none to offer. */
static int chosen_parts(const struct lb_device *dev, enum lb_table_choice t,
			struct lb_device *out)
{
	static struct lb_partition parts[256];
	struct lb_ctx ctx = { 0 };
	int n = lb_table_partitions(&ctx, dev->path, t, parts, 256);

	if (n <= 0) {
		tui_message("No partitions to offer", n < 0 ? ctx.msg :
			    "The chosen table lists no partitions.");
		return -1;
	}
	for (int i = 0; i < n; i++)
		name_part(dev, &parts[i], t);
	*out = *dev;
	out->parts = parts;
	out->nparts = (size_t)n;
	return 0;
}

static int run(const struct tui_src *s, const char *dir, const char *name,
	       enum lb_table_choice table)
{
	static struct tui_job j;
	char image[4400];
	struct stat st;

	snprintf(image, sizeof image, "%s%s%s", dir,
		 dir[strlen(dir) - 1] == '/' ? "" : "/", name);
	memset(&j, 0, sizeof j);
	if (stat(image, &st) == 0) {
		if (!tui_ask("Replace?", "An image with this name already "
			     "exists in this folder. Replace it?"))
			return -1;
		j.o.backup.overwrite = 1;
	}
	j.kind = TJ_BACKUP;
	snprintf(j.title, sizeof j.title, "Backing up %s to %s", s->part ?
		 s->part->name : s->dev->path, image);
	j.o.backup.source = s->span;
	j.o.backup.image = image;
	j.o.backup.table = table;       /* C013 */
	j.map_size = s->size;
	tui_job_run(&j);
	if (space_refused(&j)) {
		char q[800];
		snprintf(q, sizeof q, "%.500s\n\nCompressed images are often much "
			 "smaller than the disk. Try anyway? If the drive fills "
			 "up, the backup stops and no incomplete image is kept.",
			 j.msg);
		if (tui_ask("The image may not fit", q)) {
			j.o.backup.no_space_check = 1;
			tui_log("backup retried without the space check");
			tui_job_run(&j);
		}
	}
	result(&j, image);
	return 0;
}

void tui_flow_backup(struct tui_disks *d, int partition)
{
	char dir[4096], name[256];
	struct tui_src s = { 0 };
	static struct lb_device alt;    /* s.dev under a C013 choice */
	enum lb_table_choice table = LB_TABLE_AUTO;
	int i = tui_pick_disk(d, partition ? "Back up a partition: which disk?"
			      : "Back up a disk: which one?", partition ?
			      "Choose the disk that holds the partition. It is "
			      "only read, never written." : "Choose the disk to "
			      "save into an image file. It is only read, never "
			      "written.", why_source, &partition);

	if (i < 0)
		return;
	s.dev = &d->dev[i];
	s.span = (struct lb_span){ s.dev->path, 0, 0 };
	s.size = s.dev->size;
	if (partition) {
		int p;
		if (pick_table(&s.span, &table, 1) != 0 ||
		    (table != LB_TABLE_AUTO &&
		     chosen_parts(s.dev, table, &alt) != 0))
			return;
		if (table != LB_TABLE_AUTO)
			s.dev = &alt;   /* the chosen table's partitions */
		p = pick_part(s.dev);
		if (p < 0)
			return;
		s.part = &s.dev->parts[p];
		s.span.offset = s.part->start;
		s.span.length = s.part->size;
		s.size = s.part->size;
	} else if (pick_table(&s.span, &table, 0) != 0) {
		return;
	}
	/* Esc on the name screen goes back one step, to the destination. */
	for (int named = -1; named != 0;) {
		/* the disk as the kernel lists it: all its mounts (C013) */
		if (tui_pick_image_dir(d, &d->dev[i], dir, sizeof dir) != 0)
			return;
		tui_propose_name(&s, "", name, sizeof name);
		while ((named = tui_ask_name("Back up: name the image", &s, dir,
					     name, sizeof name)) == 0 &&
		       run(&s, dir, name, table) != 0)
			;
	}
}

int tui_pick_image_dir(struct tui_disks *d, const struct lb_device *src,
		       char *dir, size_t n)
{
	for (;;) {
		if (tui_pick_place(d, 1, src, dir, n) != 0)
			return -1;
		if (!tui_disk_holds(src, dir))
			return 0;
		tui_message("Not there", "That folder is on the disk being read. "
			    "Choose a folder on another drive.");
	}
}
