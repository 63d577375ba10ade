/*
 * flow_verify.c — "Verify an image": where the images are (read-only),
 * which image, then lb_verify() reads every cluster and checks the
 * checksums recorded at backup time.
 */
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

static void result(const struct tui_job *j, const char *image,
		   const struct lb_image_info *info)
{
	char l[4][700], tm[32];
	const char *lines[4];
	int n = 0;

	snprintf(l[n++], 700, "Image:    %s", image);
	if (j->rc >= 0) {
		snprintf(l[n++], 700, "SHA-256:  %s", info->sha256[0] ?
			 info->sha256 : "(not recorded)");
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

void tui_flow_verify(struct tui_disks *d)
{
	static struct tui_job j;
	char dir[4096], image[4400];
	struct lb_image_info info;

	if (tui_pick_place(d, 0, NULL, dir, sizeof dir) != 0)
		return;
	if (tui_pick_image(dir, "Verify: which image?", image, sizeof image,
			   &info) != 0)
		return;
	memset(&j, 0, sizeof j);
	j.kind = TJ_VERIFY;
	snprintf(j.title, sizeof j.title, "Verifying %s", image);
	j.o.verify = (struct lb_verify_opts){ .image = image };
	j.map_size = info.virtual_size;
	tui_job_run(&j);
	result(&j, image, &info);
}
