/*
 * flow_rescue.c — "Rescue a failing disk": source, where the image goes,
 * its name, then lb_rescue() (imager/rescue.h: ddrescue-style passes,
 * readable areas first) behind the progress screen, which adds how much is
 * unreadable so far and when a read last worked.  An interrupted rescue
 * with the same name is offered to be continued (the engine writes
 * IMAGE.part, with a copy of its map in IMAGE.rescue-map, until the end).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "tui_int.h"

static const char *why_source(const struct lb_device *d, void *u,
			      char *buf, size_t n)
{
	return d->size ? NULL : "is empty (0 bytes)";
}

static int exists(const char *path, const char *suffix)
{
	char p[4500];
	struct stat st;

	snprintf(p, sizeof p, "%s%s", path, suffix);
	return stat(p, &st) == 0;
}

/* Adds "Lost data: FILE" lines from the map stored in IMAGE (the engine
 * lists the files touching unreadable bytes as "# bad file:" comments). */
static int lost_files(const char *image, char l[][700], int n, int max)
{
	struct lb_ctx ctx = { 0 };
	struct lb_rmap m;
	char *text = NULL;
	const char *tag = "# bad file: ", *p;

	if (lb_rescue_map_load_text(&ctx, image, &m, &text) != 0)
		return n;
	for (p = text; p && n < max - 1 && (p = strstr(p, tag)); ) {
		size_t k = strcspn(p + strlen(tag), "\n");
		snprintf(l[n++], 700, "Lost data: %.*s", (int)k, p + strlen(tag));
		p += strlen(tag) + k;
	}
	lb_rmap_free(&m);
	free(text);
	return n;
}

static void result(const struct tui_job *j, const char *image)
{
	char l[12][700], a[32], b[32], c[32], t[32];
	const char *lines[12];
	const struct lb_rescue_stats *r = &j->rstats;
	int n = 0;

	snprintf(l[n++], 700, "Image:  %s", image);
	if (j->rc >= 0) {
		snprintf(l[n++], 700, "Rescued %s of %s in %s. Unreadable: %s "
			 "in %zu area%s.", tui_size(a, sizeof a, r->finished),
			 tui_size(b, sizeof b, r->size ? r->size : j->map_size),
			 tui_duration(t, sizeof t, j->seconds),
			 tui_size(c, sizeof c, r->bad), r->bad_areas,
			 r->bad_areas == 1 ? "" : "s");
		snprintf(l[n++], 700, "Unreadable areas read as zeros in the "
			 "image; `lifeboat info IMAGE` lists them.");
		n = lost_files(image, l, n, r->bad ? 10 : 11);
		if (r->bad)
			snprintf(l[n++], 700, "To try the unreadable areas again "
				 "(each pass may be the disk's last): choose Rescue "
				 "with the same folder and name, or run `lifeboat "
				 "rescue SOURCE IMAGE --resume --retries 3`.");
		snprintf(l[n++], 700, "What next: restore the image onto a "
			 "healthy disk (R) and stop using the failing one.");
	} else {
		snprintf(l[n++], 700, "%s", j->msg);
		snprintf(l[n++], 700, "%s", exists(image, ".part") ?
			 "The work done so far is kept. Choose Rescue again with "
			 "the same folder and name to continue where it stopped."
			 : "No image was made.");
	}
	for (int i = 0; i < n; i++)
		lines[i] = l[i];
	char head[300];
	snprintf(head, sizeof head, j->rc < 0 ? "The rescue did NOT finish. %s"
		 : r->bad ? "Rescue finished: some areas could not be read." :
		 "Rescue finished: every byte was read.", tui_err_words(j->rc));
	tui_result(j->rc >= 0, "Rescue result", head, lines, n);
}

/* 1 to start (RESUME set), 0 to ask for another name. */
static int may_start(const char *image, int *resume)
{
	*resume = 0;
	if (exists(image, ".rescue-map") || exists(image, ".part")) {
		*resume = tui_ask("Continue?", "An interrupted rescue into this "
				  "image was found. Continue it where it stopped?"
				  " (No: choose another name.)");
		return *resume;
	}
	if (exists(image, "")) {
		*resume = tui_ask("Try again?", "A finished rescue image with "
				  "this name is here. Try its unreadable areas "
				  "again? (No: choose another name.)");
		return *resume;
	}
	return 1;
}

void tui_flow_rescue(struct tui_disks *d)
{
	static struct tui_job j;
	char dir[4096], name[256], image[4400];
	struct tui_src s = { 0 };
	int resume, retry = 0;
	int i = tui_pick_disk(d, "Rescue a failing disk: which one?",
			      "Choose the failing disk. It is only read, gently: "
			      "what reads easily first, bad areas last.",
			      why_source, NULL);

	if (i < 0)
		return;
	s.dev = &d->dev[i];
	s.span = (struct lb_span){ s.dev->path, 0, 0 };
	s.size = s.dev->size;
	/* Esc on the name screen goes back one step, to the destination. */
	for (int named = -1; named != 0;) {
		if (tui_pick_image_dir(d, s.dev, dir, sizeof dir) != 0)
			return;
		tui_propose_name(&s, "-rescue", name, sizeof name);
		while ((named = tui_ask_name("Rescue: name the image", &s, dir,
					     name, sizeof name)) == 0) {
			snprintf(image, sizeof image, "%s%s%s", dir,
				 dir[strlen(dir) - 1] == '/' ? "" : "/", name);
			if (may_start(image, &resume)) {
				/* "Try again?" on a finished image: one retry
				 * pass; a new or interrupted rescue: none, as
				 * GNU ddrescue (each pass may be the last) */
				retry = resume && !exists(image, ".part") &&
					!exists(image, ".rescue-map");
				break;
			}
		}
	}
	memset(&j, 0, sizeof j);
	j.kind = TJ_RESCUE;
	snprintf(j.title, sizeof j.title, "Rescuing %s to %s", s.dev->path,
		 image);
	j.o.rescue = (struct lb_rescue_opts){ .source = s.span, .image = image,
		.resume = resume, .retries = retry, .stats = &j.rstats };
	j.map_size = s.size;
	tui_job_run(&j);
	result(&j, image);
}
