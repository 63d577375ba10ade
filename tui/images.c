/*
 * images.c — the images (*.qcow2) in a folder, each described by
 * lb_image_info(): when it was made, the source's model, its size, and
 * whether it is complete.  An image the engine cannot read stays in the
 * list, dim, with the engine's reason, so nothing is silently hidden.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tui_int.h"

#define MAX_IMAGES 200

struct found {
	char name[256];
	struct lb_image_info info;
	int ok;
	char why[160];
};

static int cmp_found(const void *a, const void *b)
{
	return strcmp(((const struct found *)a)->name,
		      ((const struct found *)b)->name);
}

static void describe(const char *dir, struct found *f)
{
	char path[4400];
	struct lb_ctx ctx = { 0 };

	snprintf(path, sizeof path, "%s/%s", dir, f->name);
	if (!lb_image_info) {
		snprintf(f->why, sizeof f->why, "cannot read images in this "
			 "build");
		return;
	}
	int rc = lb_image_info(&ctx, path, &f->info);
	f->ok = rc >= 0;
	if (!f->ok)
		snprintf(f->why, sizeof f->why, "%s", ctx.msg[0] ? ctx.msg :
			 "not readable");
	else if (!f->info.complete)
		snprintf(f->why, sizeof f->why, "INCOMPLETE");
}

static int scan(const char *dir, struct found *v)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < MAX_IMAGES) {
		size_t l = strlen(e->d_name);
		if (l <= 6 || strcmp(e->d_name + l - 6, ".qcow2") != 0 ||
		    e->d_name[0] == '.')
			continue;
		memset(&v[n], 0, sizeof v[n]);
		snprintf(v[n].name, sizeof v[n].name, "%s", e->d_name);
		n++;
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof *v, cmp_found);
	for (int i = 0; i < n; i++)
		describe(dir, &v[i]);
	return n;
}

static void row(const struct found *f, char *buf, size_t n)
{
	char date[16] = "?", sz[32];
	time_t t = (time_t)f->info.created;
	struct tm tm;

	if (f->ok && f->info.created > 0 && gmtime_r(&t, &tm))
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	if (!f->ok) {
		snprintf(buf, n, "%-24.24s cannot be read: %s", f->name, f->why);
		return;
	}
	snprintf(buf, n, "%-24.24s %-10s %-16.16s %9s  %s", f->name, date,
		 f->info.source_model[0] ? f->info.source_model : "(unknown)",
		 tui_size(sz, sizeof sz, f->info.virtual_size),
		 f->why[0] ? f->why : "complete");
}

int tui_pick_image(const char *dir, const char *title, char *path, size_t n,
		   struct lb_image_info *info)
{
	struct found *v = calloc(MAX_IMAGES, sizeof *v);
	char **rows = calloc(MAX_IMAGES, sizeof *rows), intro[4400];
	int en[MAX_IMAGES], cnt = v && rows ? scan(dir, v) : 0, r = -1;

	for (int i = 0; i < cnt; i++) {
		char buf[400];
		row(&v[i], buf, sizeof buf);
		rows[i] = strdup(buf);
		en[i] = v[i].ok;
	}
	if (cnt == 0) {
		snprintf(intro, sizeof intro, "There are no images (*.qcow2) in "
			 "%s.", dir);
		tui_message(title, intro);
	} else {
		snprintf(intro, sizeof intro, "Images in %s:\n%-24s %-10s "
			 "%-16s %9s  %s", dir, "File", "Made", "Source disk",
			 "Size", "State");
		struct tui_menu m = { .title = title, .intro = intro,
				      .rows = rows, .enabled = en, .n = cnt };
		r = tui_menu_run(&m);
		if (r >= 0) {
			snprintf(path, n, "%s/%s", dir, v[r].name);
			*info = v[r].info;
		}
	}
	tui_rows_free(rows, cnt);
	free(v);
	return r >= 0 ? 0 : -1;
}
