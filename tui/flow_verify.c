/*
 * flow_verify.c — "Verify an image": where the images are (read-only),
 * which image, then lb_verify() reads every cluster and checks the
 * checksums recorded at backup time; on request it also compares the
 * image with a disk (after a restore or clone, or against the original).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

/* Images checked in this session and whether they verified. */
#define MAX_CHECKED 64
static struct { char path[4400]; int ok; } checked[MAX_CHECKED];
static int nchecked;

int tui_verified(const char *path)
{
	for (int i = nchecked - 1; i >= 0; i--)
		if (!strcmp(checked[i].path, path))
			return checked[i].ok;
	return -1;
}

static void remember(const char *path, int ok)
{
	int i = nchecked < MAX_CHECKED ? nchecked++ : MAX_CHECKED - 1;

	snprintf(checked[i].path, sizeof checked[i].path, "%s", path);
	checked[i].ok = ok;
}

/* A rescue image holds what its rescue could not read as zeros: said
 * before anything else, and the engine's words about differences inside
 * those areas when compared with a disk (trial 2 F5, F14). */
static void result(const struct tui_job *j, const char *image,
		   const struct lb_image_info *info)
{
	char l[8][700], tm[32], bad[96];
	const char *lines[8];
	int n = 0;

	snprintf(l[n++], 700, "Image:    %s", image);
	if (tui_rescue_bytes(info, bad, sizeof bad))
		snprintf(l[n++], 700, "This image is a rescue: %s could not be "
			 "read and are zeros in it.", bad);
	if (j->o.verify.against)
		snprintf(l[n++], 700, "Compared with the disk %s: %s",
			 j->o.verify.against, j->rc < 0 ? "see below" :
			 j->msg[0] ? j->msg : "the same");
	if (j->rc >= 0) {
		snprintf(l[n++], 700, "SHA-256:  %s", info->sha256[0] ?
			 info->sha256 : "(not recorded)");
		if (info->sha256[0])    /* what it is of, as the engine says */
			snprintf(l[n++], 700, "          (%s)",
				 tui_sha_kind(info));
		snprintf(l[n++], 700, "Every part of the image was read and its "
			 "checksums match (in %s).", tui_duration(tm, sizeof tm,
								  j->seconds));
		snprintf(l[n++], 700, "What next: the image can be restored "
			 "with R (Restore an image).");
	} else {
		snprintf(l[n++], 700, "%s", j->msg);
		snprintf(l[n++], 700, "What next: do not rely on this image. "
			 "Make a new backup if the source disk still works.");
	}
	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	char head[300];
	snprintf(head, sizeof head, j->rc >= 0 ? "The image is intact." :
		 "The image did NOT verify. %s", tui_err_words(j->rc));
	tui_result(j->rc >= 0, "Verify result", head, lines, n);
}

static const char *why_against(const struct lb_device *d, void *u,
			       char *buf, size_t n)
{
	const char *image = u;

	return tui_disk_holds(d, image) ? "holds the image itself" : NULL;
}

/* NULL: the image alone; a disk path; or (const char *)-1 for Esc. */
static const char *pick_against(struct tui_disks *d, const char *image)
{
	char *rows[] = { "Check the image only (its checksums)",
			 "Also compare it with a disk, byte for byte" };
	struct tui_menu m = { .title = "Verify: how?", .intro = "Checking "
			      "the image reads all of it. Comparing also reads "
			      "a disk (only reads it) and says where they "
			      "differ.", .rows = rows, .n = 2 };
	int r = tui_menu_run(&m), i;

	if (r < 0)
		return (const char *)-1;
	if (r == 0)
		return NULL;
	i = tui_pick_disk(d, "Verify: compare with which disk?", "The disk "
			  "is only read.", why_against, (void *)image);
	return i < 0 ? (const char *)-1 : d->dev[i].path;
}

static void run(const char *image, const struct lb_image_info *info,
		const char *against)
{
	static struct tui_job j;

	memset(&j, 0, sizeof j);
	j.kind = TJ_VERIFY;
	snprintf(j.title, sizeof j.title, "Verifying %s", image);
	j.o.verify = (struct lb_verify_opts){ .image = image,
					      .against = against };
	j.map_size = info->virtual_size;
	tui_job_run(&j);
	if (!against && j.rc != -ENOSYS && !j.cancelled)
		remember(image, j.rc >= 0);
	result(&j, image, info);
}

void tui_verify_image(const char *image, const struct lb_image_info *info)
{
	run(image, info, NULL);
}

void tui_flow_verify(struct tui_disks *d)
{
	char dir[4096], image[4400];
	struct lb_image_info info;

	if (tui_pick_place(d, 0, NULL, dir, sizeof dir) != 0)
		return;
	if (tui_pick_image(dir, "Verify: which image?", image, sizeof image,
			   &info) != 0)
		return;
	const char *against = pick_against(d, image);
	if (against != (const char *)-1)
		run(image, &info, against);
}
