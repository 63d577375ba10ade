/*
 * flow_restore.c — "Restore an image": where the images are (mounted
 * read-only), which image, which disk to overwrite (every disk listed;
 * the running medium, the disk holding the image, mounted and too-small
 * disks say why they cannot be chosen), the typed confirmation, then
 * lb_restore() with read-back verification and the result in words.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "tui_int.h"

struct want {
	const char *image;
	uint64_t need;
};

static const char *why_target(const struct lb_device *d, void *u,
			      char *buf, size_t n)
{
	const struct want *w = u;

	return tui_target_refusal(d, w->need, w->image, buf, n);
}

static void result(const struct tui_job *j, const struct lb_device *t,
		   const char *image, const struct lb_image_info *info)
{
	char l[7][700], tm[32];
	const char *lines[7];
	int n = 0;

	snprintf(l[n++], 700, "Image:  %s", image);
	snprintf(l[n++], 700, "Disk:   %s (%s)", t->path, t->model);
	if (j->rc >= 0) {
		snprintf(l[n++], 700, "The disk now holds what the image holds; "
			 "it was read back and compared (in %s).",
			 tui_duration(tm, sizeof tm, j->seconds));
		snprintf(l[n++], 700, "SHA-256 of the disk the image was made "
			 "from:");
		snprintf(l[n++], 700, "        %s", info->sha256[0] ?
			 info->sha256 : "(not recorded)");
		snprintf(l[n++], 700, "What next: power off (O), remove the "
			 "Lifeboat medium, and start the computer from %s.",
			 t->name);
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
	snprintf(head, sizeof head, j->rc >= 0 ? "Restore finished: the disk "
		 "matches the image." : "The restore did NOT finish. %s",
		 tui_err_words(j->rc));
	tui_result(j->rc >= 0, "Restore result", head, lines, n);
}

static void run(const struct lb_device *t, const char *image,
		const struct lb_image_info *info)
{
	static struct tui_job j;
	char action[1200], date[16] = "?", sz[32];
	time_t c = (time_t)info->created;
	struct tm tm;

	if (info->created > 0 && gmtime_r(&c, &tm))
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	snprintf(action, sizeof action, "Lifeboat will write the image\n"
		 "    %s\n    (made %s from a %s disk, model %s)\nonto this disk:",
		 image, date, tui_size(sz, sizeof sz, info->virtual_size),
		 info->source_model[0] ? info->source_model : "unknown");
	if (!tui_confirm_erase(t, action, NULL))
		return;
	memset(&j, 0, sizeof j);
	j.kind = TJ_RESTORE;
	snprintf(j.title, sizeof j.title, "Restoring %s onto %s", image,
		 t->path);
	j.o.restore = (struct lb_restore_opts){ .image = image,
		.target = { t->path, 0, 0 }, .confirmed = 1,
		.verify_after = 1 };
	j.map_size = info->virtual_size;
	tui_job_run(&j);
	result(&j, t, image, info);
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
	struct want w = { image, info.virtual_size };
	int i = tui_pick_target(d, "Restore: which disk should be overwritten?",
			      "Choose the disk to overwrite with the image. "
			      "Everything on it will be replaced. Nothing is "
			      "chosen yet: move to a disk with the arrow keys.",
			      why_target, &w);
	if (i >= 0)
		run(&d->dev[i], image, &info);
}
