/*
 * flow_clone.c — "Clone a disk": source, then a target that is not the
 * source, not the medium, not mounted and large enough (others stay listed
 * with the reason), the typed confirmation, then lb_clone() with read-back
 * verification.
 */
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

static const char *why_source(const struct lb_device *d, void *u,
			      char *buf, size_t n)
{
	return d->size ? NULL : "is empty (0 bytes)";
}

/* The clone's own refusal checks (lb_clone with check_only: partition fit
 * and the table's and NTFS/FAT/exFAT volumes' sector size against the
 * target's, cases C025, C026), so a disk the clone would refuse is marked
 * before anyone types its name (trial 2 F11).  Nothing is written. */
static const char *why_fit(const struct lb_device *d,
			   const struct lb_device *src, char *buf, size_t n)
{
	struct lb_ctx ctx = { 0 };
	struct lb_clone_opts o = { .source = { src->path, 0, 0 },
		.target = { d->path, 0, 0 }, .check_only = 1 };

	if (lb_clone(&ctx, &o) != -LB_EREFUSED)
		return NULL;    /* other errors: the clone itself says */
	if (d->logical_sector && src->logical_sector &&
	    d->logical_sector != src->logical_sector)
		snprintf(buf, n, "has %u-byte sectors\n(the source disk uses "
			 "%u-byte sectors)", d->logical_sector,
			 src->logical_sector);
	else
		snprintf(buf, n, "%s", ctx.msg);
	return buf;
}

static const char *why_target(const struct lb_device *d, void *u,
			      char *buf, size_t n)
{
	const struct lb_device *src = u;

	if (!strcmp(d->path, src->path))
		return "is the source disk";
	const char *why = tui_target_refusal(d, src->size, NULL, buf, n);
	return why ? why : why_fit(d, src, buf, n);
}

static void result(const struct tui_job *j, const struct lb_device *s,
		   const struct lb_device *t)
{
	char l[5][700], tm[32];
	const char *lines[5];
	int n = 0;

	char lab[400];
	snprintf(l[n++], 700, "From: %s", tui_dev_label(lab, sizeof lab, s));
	snprintf(l[n++], 700, "To:   %s", tui_dev_label(lab, sizeof lab, t));
	if (j->rc >= 0) {
		snprintf(l[n++], 700, "The copy was read back and matches the "
			 "source (in %s).", tui_duration(tm, sizeof tm,
							 j->seconds));
		snprintf(l[n++], 700, "What next: power off (O) and keep only "
			 "one of the two disks connected when you start the "
			 "computer; two identical disks confuse the system.");
	} else {
		snprintf(l[n++], 700, "%s", j->msg);
		snprintf(l[n++], 700, "The source was only read. %s",
			 j->last.written ? "The target was partly written and "
			 "does NOT hold a usable copy." :
			 "Nothing was written to the target.");
	}
	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	char head[300];
	snprintf(head, sizeof head, j->rc >= 0 ? "Clone finished: the target "
		 "matches the source." : "The clone did NOT finish. %s",
		 tui_err_words(j->rc));
	tui_result(j->rc >= 0, "Clone result", head, lines, n);
}

void tui_flow_clone(struct tui_disks *d)
{
	static struct tui_job j;
	char action[300];
	int s = tui_pick_disk(d, "Clone: which disk is the source?",
			      "Choose the disk to copy from. It is only read.",
			      why_source, NULL);

	if (s < 0)
		return;
	const struct lb_device *src = &d->dev[s];
	int t = tui_pick_target(d, "Clone: which disk should be overwritten?",
			      "Choose the disk to copy onto. Everything on it "
			      "will be replaced. Nothing is chosen yet: move "
			      "to a disk with the arrow keys.", why_target,
			      (void *)src);
	if (t < 0)
		return;
	const struct lb_device *dst = &d->dev[t];
	char lab[400];
	snprintf(action, sizeof action, "Lifeboat will copy the disk %s onto "
		 "this disk:", tui_dev_label(lab, sizeof lab, src));
	if (!tui_confirm_erase(dst, action, 0))
		return;
	memset(&j, 0, sizeof j);
	j.kind = TJ_CLONE;
	snprintf(j.title, sizeof j.title, "Cloning %s onto %s", src->path,
		 dst->path);
	j.o.clone = (struct lb_clone_opts){ .source = { src->path, 0, 0 },
		.target = { dst->path, 0, 0 }, .confirmed = 1,
		.verify_after = 1 };
	j.map_size = src->size;
	tui_job_run(&j);
	result(&j, src, dst);
}
