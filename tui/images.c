/*
 * images.c — the images (*.qcow2) in a folder, each described by
 * lb_image_info(): when it was made, the source's model, its size, and
 * whether it is complete and, once checked in this session, whether it
 * verified (V in the list checks the highlighted image right there); a
 * rescue image gets a dim line saying how many bytes it holds as zeros
 * because they could not be read.  An image the engine cannot read
 * stays in the list, dim, with the engine's reason, so nothing is
 * silently hidden.
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

/* The source column: the model, else the end of the source's path (the
 * part that tells two files or loop devices apart). */
static const char *source_text(const struct lb_image_info *i, char *buf,
			       size_t n)
{
	size_t l = strlen(i->source_path);

	if (i->source_model[0])
		return i->source_model;
	if (!l)
		return "(unknown)";
	if (l <= 14)
		return i->source_path;
	snprintf(buf, n, "...%s", i->source_path + l - 11);
	return buf;
}

static void row(const struct found *f, char *buf, size_t n)
{
	char date[24] = "?", sz[32], src[32];
	time_t t = (time_t)f->info.created;
	struct tm tm;

	if (f->info.created > 0 && gmtime_r(&t, &tm))
		strftime(date, sizeof date, "%Y-%m-%d %H:%M", &tm);
	int ver = tui_verified(f->path);
	snprintf(buf, n, "%-20.20s %-16s %-14.14s %9s  %s", f->name, date,
		 source_text(&f->info, src, sizeof src),
		 tui_size(sz, sizeof sz, f->info.virtual_size),
		 f->why[0] ? f->why : ver > 0 ? "verified OK" : ver == 0 ?
		 "FAILED verify" : f->info.rescue ? "rescue" : "complete");
}

/* The dim line under a rescue image (trial 2 F5, F14): the bytes its
 * rescue could not read, which it holds as zeros, or that it is unfinished
 * (its map has areas not tried to the end yet).  0 when there is none. */
static int rescue_row(const struct found *f, char *buf, size_t n)
{
	const struct lb_image_info *i = &f->info;
	uint64_t bad = i->rescue_bad + i->rescue_untried;
	char sz[32];

	if (!i->rescue)
		return 0;
	if (!i->complete || i->sha256_pending)
		snprintf(buf, n, "    unfinished rescue: `lifeboat rescue SOURCE "
			 "IMAGE --resume` goes on");
	else if (bad)
		snprintf(buf, n, "    rescue: %llu unreadable bytes (%s) in %llu "
			 "area%s, zeros in it", (unsigned long long)bad,
			 tui_size(sz, sizeof sz, bad),
			 (unsigned long long)i->rescue_areas,
			 i->rescue_areas == 1 ? "" : "s");
	else
		return 0;
	return 1;
}

/* Rows for an image the engine cannot read: its name, then the reason
 * (with this folder's path left out) wrapped below it, so it is never cut
 * off at 80 columns.  Returns the rows added (at most 3). */
static int bad_rows(const char *dir, const struct found *f, char **rows)
{
	char why[200], *w = why, buf[200];
	size_t dl = strlen(dir);
	int n = 0;

	snprintf(why, sizeof why, "%s", f->why);
	for (char *p; dl && (p = strstr(why, dir)) && p[dl] == '/';)
		memmove(p, p + dl + 1, strlen(p + dl + 1) + 1);
	snprintf(buf, sizeof buf, "%-20.20s cannot be read:", f->name);
	rows[n++] = strdup(buf);
	while (*w && n < 3) {
		int len = (int)strlen(w), cut = len > 72 ? 72 : len;
		while (cut < len && cut > 20 && w[cut] != ' ')
			cut--;
		snprintf(buf, sizeof buf, "    %.*s", cut, w);
		rows[n++] = strdup(buf);
		w += cut;
		while (*w == ' ')
			w++;
	}
	return n;
}

static int menu(const char *dir, const char *title, struct found *v,
		int cnt, int *sel)
{
	char **rows = calloc((size_t)cnt * 3, sizeof *rows), intro[4600];
	int en[MAX_IMAGES * 3], map[MAX_IMAGES * 3], nr = 0, r, at = 0;

	for (int i = 0; rows && i < cnt; i++) {
		char buf[400];
		int k = 1;
		if (i == *sel)
			at = nr;
		if (v[i].ok) {
			row(&v[i], buf, sizeof buf);
			rows[nr] = strdup(buf);
			if (rescue_row(&v[i], buf, sizeof buf))
				rows[nr + k++] = strdup(buf);
		} else {
			k = bad_rows(dir, &v[i], rows + nr);
		}
		for (int j = 0; j < k; j++, nr++) {
			en[nr] = v[i].ok && j == 0;     /* the extra lines: dim */
			map[nr] = i;
		}
	}
	snprintf(intro, sizeof intro, "Images in %s  (V checks the highlighted "
		 "one now)\n%-20s %-16s %-14s %9s  %s", dir, "File", "Made (UTC)",
		 "Source disk", "Size", "State");
	struct tui_menu m = { .title = title, .intro = intro, .rows = rows,
			      .enabled = en, .n = rows ? nr : 0, .sel = at,
			      .keys = "V", .footer = "Up/Down move  Enter "
			      "choose  V verify  Esc back" };
	r = tui_menu_run(&m);
	*sel = m.sel >= 0 && m.sel < nr ? map[m.sel] : 0;
	tui_rows_free(rows, rows ? nr : 0);
	return r >= 0 ? map[r] : r;
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
