/*
 * flow_restore.c — "Restore an image": where the images are (mounted
 * read-only), which image, which disk to overwrite (every disk listed;
 * the running medium, the disk holding the image, mounted and too-small
 * disks say why they cannot be chosen), the typed confirmation, then
 * lb_restore() with read-back verification and the result in words.  A
 * rescue image's unreadable bytes (zeros in it) are named before the name
 * is typed and again on the result.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "tui_int.h"

struct want {
	const char *image;
	uint64_t need;
	const struct lb_image_info *info;
};

/* The restore's own refusal checks (lb_restore with check_only: table
 * and partition fit, the table's and NTFS/FAT/exFAT volumes' sector size
 * against the disk's, cases C025, C026) for the image onto D, once the
 * plain rules passed: such a disk is marked before anyone types its name
 * (trial 2 F11).  Nothing is opened for writing. */
static const char *why_fit(const struct lb_device *d, const struct want *w,
			   char *buf, size_t n)
{
	struct lb_ctx ctx = { 0 };
	struct lb_restore_opts o = { .image = w->image,
		.target = { d->path, 0, 0 }, .check_only = 1 };
	uint32_t img = w->info->logical_sector ? w->info->logical_sector : 512;
	int table = 0;

	if (lb_restore(&ctx, &o) != -LB_EREFUSED)
		return NULL;    /* other errors: the restore itself says */
	for (uint32_t i = 0; i < w->info->nparts && i < LB_MAX_PART_MODES; i++)
		table |= w->info->parts[i].number != 0;
	if (d->logical_sector && d->logical_sector != img)
		snprintf(buf, n, "has %u-byte sectors\n(the image's %s uses "
			 "%u-byte sectors)", d->logical_sector, table ?
			 "table" : "disk", img);
	else
		snprintf(buf, n, "%s", ctx.msg);
	return buf;
}

static const char *why_target(const struct lb_device *d, void *u,
			      char *buf, size_t n)
{
	const struct want *w = u;
	const char *why = tui_target_refusal(d, w->need, w->image, buf, n);

	return why ? why : why_fit(d, w, buf, n);
}

static void result(const struct tui_job *j, const struct lb_device *t,
		   const char *image, const struct lb_image_info *info)
{
	char l[9][1200], tm[32], bad[96];
	const char *lines[9];
	const char *g = j->o.restore.grow_note;     /* fs_grow.h */
	int n = 0, grew = g && g[0];    /* "" when no entry grew */
	const char *z = tui_sha_zeros(info);    /* what the hash has as 0s */

	snprintf(l[n++], 700, "Image:  %s", image);
	char lab[400];
	snprintf(l[n++], 700, "Onto:   %s", tui_dev_label(lab, sizeof lab, t));
	if (j->rc >= 0 && grew) {   /* changed after the read-back: F11 */
		snprintf(l[n++], 700, "The disk was read back and matched the "
			 "image (in %s). After that comparison the last "
			 "partition was grown (the line below says how), so the "
			 "disk no longer equals the image byte for byte.",
			 tui_duration(tm, sizeof tm, j->seconds));
		if (z)
			snprintf(l[n++], 700, "SHA-256 as compared before "
				 "growing (%s as zeros):", z);
		else
			snprintf(l[n++], 700, "SHA-256 as compared before "
				 "growing:");
		snprintf(l[n++], 700, "        %s", info->sha256[0] ?
			 info->sha256 : "(not recorded)");
	} else if (j->rc >= 0) {
		snprintf(l[n++], 700, "The disk now holds what the image holds; "
			 "it was read back and compared (in %s).",
			 tui_duration(tm, sizeof tm, j->seconds));
		snprintf(l[n++], 700, "SHA-256 %s:", tui_sha_kind(info));
		snprintf(l[n++], 700, "        %s", info->sha256[0] ?
			 info->sha256 : "(not recorded)");
	}
	if (j->rc >= 0 && tui_rescue_bytes(info, bad, sizeof bad))
		snprintf(l[n++], 700, "Note: this image is a rescue: %s could "
			 "not be read by the rescue and are zeros on %s too.",
			 bad, t->name);
	if (j->rc >= 0) {
		if (grew)
			snprintf(l[n++], 1200, "%s.", strncmp(g, "warning: ", 9) ?
				 g : g + 9);
		snprintf(l[n++], 700, "What next: power off (O), remove the "
			 "Lifeboat medium, and start the computer (or check "
			 "the files on %s).", t->name);
	} else {
		snprintf(l[n++], 700, "%s", j->msg[0] ? j->msg : "");
		snprintf(l[n++], 700, "%s", j->cancelled || j->last.written ?
			 "The disk was partly written and does NOT hold a "
			 "usable copy now. The image itself was only read." :
			 "Nothing was written to the disk. The image was only "
			 "read.");
		snprintf(l[n++], 700, "What next: read the log (L), then restore "
			 "again, or choose another image or disk.");
	}
	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	char head[300];
	if (j->rc >= 0 && grew)
		snprintf(head, sizeof head, "Restore finished: the disk matched "
			 "the image before growing.");
	else
		snprintf(head, sizeof head, j->rc >= 0 ? "Restore finished: the "
			 "disk matches the image." : "The restore did NOT "
			 "finish. %s", tui_err_words(j->rc));
	tui_result(j->rc >= 0, "Restore result", head, lines, n);
}

/* On a disk larger than the image's whose last partition holds ext2/3/4
 * or NTFS (as the image recorded it): asks whether to grow that partition
 * and its filesystem (restore --grow-last; fs_grow.h).  Other disks are
 * not asked: no other filesystem would use the space. */
static int offer_grow(const struct lb_device *t,
		      const struct lb_image_info *info)
{
	const struct lb_part_mode *last = NULL;
	char q[600], a[32], b[32];

	for (uint32_t i = 0; i < info->nparts && i < LB_MAX_PART_MODES; i++) {
		const struct lb_part_mode *p = &info->parts[i];
		if (p->number && (!last || p->start + p->size >
					   last->start + last->size))
			last = p;
	}
	if (!last || t->size <= info->virtual_size ||
	    (strncmp(last->fstype, "ext", 3) && strcmp(last->fstype, "ntfs")))
		return 0;
	snprintf(q, sizeof q, "%s (%s) is larger than the disk in the image "
		 "(%s).\n\nGrow the last partition (%s) and its filesystem "
		 "to the end of %s? The filesystem is checked first and grown "
		 "with its own tool (%s).", t->name,
		 tui_size(a, sizeof a, t->size), tui_size(b, sizeof b,
		 info->virtual_size), last->fstype, t->name,
		 strcmp(last->fstype, "ntfs") ? "e2fsck, resize2fs" :
		 "ntfsresize");
	return tui_ask("Use the whole disk?", q);
}

/* Confirms and restores IMAGE into SPAN; T describes what is erased (the
 * disk, or for a partition a stand-in named after the partition). */
static void run(const struct lb_device *t, struct lb_span span,
		const char *image, const struct lb_image_info *info,
		const char *onto, int partition)
{
	static struct tui_job j;
	char action[1600], date[16] = "?", sz[32], bad[96], rescue[300];
	time_t c = (time_t)info->created;
	struct tm tm;

	if (info->created > 0 && gmtime_r(&c, &tm))
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	if (!tui_rescue_bytes(info, bad, sizeof bad))
		rescue[0] = 0;
	else    /* said before the name is typed (trial 2 F14) */
		snprintf(rescue, sizeof rescue, "This image is a rescue: %s "
			 "could not be read and will be zeros on %s.\n", bad,
			 t->name);
	snprintf(action, sizeof action, "Lifeboat will write the image\n"
		 "    %s\n    (made %s from a %s disk, model %s)\n%s%s",
		 image, date, tui_size(sz, sizeof sz, info->virtual_size),
		 info->source_model[0] ? info->source_model : "unknown",
		 rescue, onto);
	int grow = !partition && offer_grow(t, info);
	if (!tui_confirm_erase(t, action, partition))
		return;
	memset(&j, 0, sizeof j);
	j.kind = TJ_RESTORE;
	snprintf(j.title, sizeof j.title, "Restoring %s onto %s", image,
		 t->name);
	static char note[1200];
	note[0] = 0;
	j.o.restore = (struct lb_restore_opts){ .image = image,
		.target = span, .confirmed = 1, .verify_after = 1,
		.grow_last = grow, .grow_note = note,
		.grow_note_len = sizeof note };
	j.map_size = info->virtual_size;
	tui_job_run(&j);
	result(&j, t, image, info);
}

static void onto_disk(struct tui_disks *d, const char *image,
		      const struct lb_image_info *info)
{
	struct want w = { image, info->virtual_size, info };
	struct lb_ctx ctx = { 0 };

	/* The engine says how small a disk may be (every partition fits). */
	if (lb_image_min_target(&ctx, image, &w.need) < 0) {
		w.need = info->virtual_size;
		tui_log("%s: %s", image, ctx.msg);
	}
	int i = tui_pick_target(d, "Restore: which disk should be overwritten?",
			      "Choose the disk to overwrite with the image. "
			      "Everything on it will be replaced. Nothing is "
			      "chosen yet: move to a disk with the arrow keys.",
			      why_target, &w);

	if (i >= 0)
		run(&d->dev[i], (struct lb_span){ d->dev[i].path, 0, 0 }, image,
		    info, "onto this disk:", 0);
}

static const char *why_part_disk(const struct lb_device *d, void *u,
				 char *buf, size_t n)
{
	const struct want *w = u;
	const char *why = tui_target_refusal(d, 0, w->image, buf, n);
	struct lb_span whole = { d->path, 0, 0 };
	struct lb_ctx ctx = { 0 };
	char g[200], m[200];

	if (why)
		return why;
	/* C013 (trial 2 F3): the kernel's partitions follow the MBR, the GPT
	 * lists others; writing "partition N" would be a guess. */
	if (lb_table_conflict(&ctx, &whole, g, m, sizeof g) == 1)
		return "has a GPT and an MBR that disagree: which partition is "
		       "meant is ambiguous (lifeboat restore --partition N "
		       "--table gpt|mbr chooses)";
	for (size_t p = 0; p < d->nparts; p++)
		if (d->parts[p].size >= w->need)
			return NULL;
	return "has no partition large enough for the image";
}

/* Restores into one partition (by offset inside its disk): the partition
 * table and the other partitions stay as they are. */
static void onto_partition(struct tui_disks *d, const char *image,
			   const struct lb_image_info *info)
{
	struct want w = { image, info->virtual_size, info };
	int i = tui_pick_target(d, "Restore into a partition: which disk?",
				"Choose the disk that holds the partition to "
				"overwrite. Nothing is chosen yet: move to a "
				"disk with the arrow keys.", why_part_disk, &w);
	if (i < 0)
		return;
	const struct lb_device *dk = &d->dev[i];
	int p = tui_pick_partition(dk, w.need);
	if (p < 0)
		return;
	const struct lb_partition *pt = &dk->parts[p];
	struct lb_device stand = *dk;
	char onto[400];

	snprintf(stand.name, sizeof stand.name, "%s", pt->name);
	snprintf(stand.path, sizeof stand.path, "partition %u of %s",
		 pt->number, dk->path);
	stand.size = pt->size;
	stand.nparts = 1;
	stand.parts = (struct lb_partition *)pt;
	snprintf(onto, sizeof onto, "into partition %u of %s.\nThe partition "
		 "table and the other partitions are not touched.", pt->number,
		 dk->path);
	run(&stand, (struct lb_span){ dk->path, pt->start, pt->size }, image,
	    info, onto, 1);
}

void tui_flow_restore(struct tui_disks *d)
{
	char dir[4096], image[4400];
	struct lb_image_info info;

	if (tui_pick_place(d, 0, NULL, dir, sizeof dir) != 0)
		return;
	for (;;) {
		if (tui_pick_image(dir, "Restore: which image?", image,
				   sizeof image, &info) != 0)
			return;
		if (info.complete)
			break;
		tui_message("Incomplete image", "This image was never finished "
			    "(the backup stopped or was cancelled). It cannot be "
			    "restored. Choose another one.");
	}
	char *rows[] = { "Onto a whole disk (everything on it is replaced)",
			 "Into one partition of a disk (the rest stays)" };
	struct tui_menu m = { .title = "Restore: onto what?", .intro = "An "
			      "image of a whole disk goes onto a whole disk; an "
			      "image of one partition usually goes into a "
			      "partition.", .rows = rows, .n = 2 };
	int r = tui_menu_run(&m);
	if (r == 0)
		onto_disk(d, image, &info);
	else if (r == 1)
		onto_partition(d, image, &info);
}
