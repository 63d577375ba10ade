/*
 * images.c — the images (*.qcow2) in a folder, each described by
 * lb_image_info(): when it was made, the source's model, its size, and
 * whether it is complete and, once checked in this session, whether it
 * verified (V in the list checks the highlighted image right there).  An
 * image the engine cannot read stays in the list, dim, with the engine's
 * reason, so nothing is silently hidden.
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
	char path[4400];
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
	struct lb_ctx ctx = { 0 };
	char *path = f->path;

	snprintf(f->path, sizeof f->path, "%s/%s", dir, f->name);
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
	int ver = tui_verified(f->path);
	snprintf(buf, n, "%-24.24s %-10s %-16.16s %9s  %s", f->name, date,
		 f->info.source_model[0] ? f->info.source_model : "(unknown)",
		 tui_size(sz, sizeof sz, f->info.virtual_size),
		 f->why[0] ? f->why : ver > 0 ? "verified OK" : ver == 0 ?
		 "FAILED verify" : "complete");
}

static int menu(const char *dir, const char *title, struct found *v,
		int cnt, int *sel)
{
	char **rows = calloc((size_t)cnt, sizeof *rows), intro[4600];
	int en[MAX_IMAGES], r;

	for (int i = 0; rows && i < cnt; i++) {
		char buf[400];
		row(&v[i], buf, sizeof buf);
		rows[i] = strdup(buf);
		en[i] = v[i].ok;
	}
	snprintf(intro, sizeof intro, "Images in %s  (V checks the highlighted "
		 "one now)\n%-24s %-10s %-16s %9s  %s", dir, "File", "Made",
		 "Source disk", "Size", "State");
	struct tui_menu m = { .title = title, .intro = intro, .rows = rows,
			      .enabled = en, .n = rows ? cnt : 0, .sel = *sel,
			      .keys = "V", .footer = "Up/Down move  Enter "
			      "choose  V verify  Esc back" };
	r = tui_menu_run(&m);
	*sel = m.sel;
	tui_rows_free(rows, rows ? cnt : 0);
	return r;
}

int tui_pick_image(const char *dir, const char *title, char *path, size_t n,
		   struct lb_image_info *info)
{
	struct found *v = calloc(MAX_IMAGES, sizeof *v);
	int cnt = v ? scan(dir, v) : 0, r = -1, sel = 0;
	char msg[4400];

	if (cnt == 0) {
		snprintf(msg, sizeof msg, "There are no images (*.qcow2) in %s.",
			 dir);
		tui_message(title, msg);
	}
	while (cnt > 0) {
		r = menu(dir, title, v, cnt, &sel);
		if (r == -2 - 'V' && sel >= 0 && v[sel].ok) {
			tui_verify_image(v[sel].path, &v[sel].info);
			continue;
		}
		if (r >= 0) {
			snprintf(path, n, "%s", v[r].path);
			*info = v[r].info;
		}
		if (r >= -1)
			break;
	}
	free(v);
	return r >= 0 ? 0 : -1;
}
