/*
 * browse.c — a folder browser for choosing where images go or come from.
 * It shows the filesystem and its free space, lists sub-folders (and how
 * many images the current folder holds), lets the person create a folder
 * when writing, and never climbs above the place that was chosen.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include "tui_int.h"

static const char *fs_name(long type, int *is_fat)
{
	*is_fat = 0;
	switch ((unsigned long)type) {
	case 0xEF53: return "ext2/3/4";
	case 0x4d44: *is_fat = 1; return "FAT (vfat)";
	case 0x2011BAB0: return "exFAT";
	case 0x5346544e: case 0x7366746e: return "NTFS";
	case 0x65735546: return "FUSE (e.g. NTFS)";
	case 0x01021994: return "tmpfs (memory, lost at power-off)";
	case 0x9123683E: return "btrfs";
	case 0x58465342: return "XFS";
	default: return "other";
	}
}

int tui_fs_space(const char *dir, uint64_t *free_b, uint64_t *total,
		 char *fsname, size_t n, int *is_fat)
{
	struct statvfs v;
	struct statfs f;
	int fat = 0;

	if (statvfs(dir, &v) != 0 || statfs(dir, &f) != 0)
		return -errno;
	*free_b = (uint64_t)v.f_bavail * v.f_frsize;
	*total = (uint64_t)v.f_blocks * v.f_frsize;
	snprintf(fsname, n, "%s", fs_name((long)f.f_type, &fat));
	if (is_fat)
		*is_fat = fat;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sub-folders of DIR (sorted, "name/") and the number of *.qcow2 files. */
static int list_dir(const char *dir, char ***out, int *images)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0, cap = 16;
	char **v = malloc((size_t)cap * sizeof *v);

	*images = 0;
	if (!d || !v) {
		if (d)
			closedir(d);
		free(v);
		*out = NULL;
		return -1;
	}
	while ((e = readdir(d))) {
		char p[4096];
		struct stat st;
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.')
			continue;
		if (l > 6 && !strcmp(e->d_name + l - 6, ".qcow2"))
			(*images)++;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		v[n] = malloc(l + 2);
		if (v[n])
			snprintf(v[n++], l + 2, "%s/", e->d_name);
	}
	closedir(d);
	qsort(v, (size_t)n, sizeof *v, cmp_str);
	*out = v;
	return n;
}

static void make_folder(char *dir, size_t n)
{
	char name[128] = "", path[4096];

	int r;

	do {
		tui_frame("New folder", "Enter create  Esc cancel");
		tui_put(2, 2, TC_NORMAL, "Inside %s", dir);
		tui_put(4, 2, TC_NORMAL, "Name of the new folder:");
		r = tui_input(5, 4, 40, name, sizeof name);
	} while (r == TUI_RESIZED);
	if (!r || !name[0])
		return;
	if (strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, ".")) {
		tui_message("New folder", "A folder name cannot contain / or be "
			    ". or ..");
		return;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (mkdir(path, 0755) != 0) {
		char msg[600];
		snprintf(msg, sizeof msg, "Could not create %.400s: %.100s", path,
			 strerror(errno));
		tui_message("New folder", msg);
		return;
	}
	tui_log("created folder %s", path);
	snprintf(dir, n, "%s", path);
}

static void go_up(char *dir, const char *root)
{
	char *slash = strrchr(dir, '/');

	if (strcmp(dir, root) != 0 && slash) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* Builds the browser's rows; returns how many leading rows are actions. */
static int rows_for(const char *dir, const char *root, int write,
		    char ***rows, int *n, char **sub, int nsub)
{
	int a = 0;

	*rows = calloc((size_t)nsub + 4, sizeof **rows);
	if (!*rows)
		return 0;
	(*rows)[a++] = strdup("[ Use this folder ]");
	if (write)
		(*rows)[a++] = strdup("[ Make a new folder here ]");
	if (strcmp(dir, root) != 0)
		(*rows)[a++] = strdup("../   (up one folder)");
	for (int i = 0; i < nsub; i++)
		(*rows)[a + i] = strdup(sub[i]);
	*n = a + nsub;
	return a;
}

static void intro_for(const char *dir, int images, char *buf, size_t n)
{
	char fs[64], fr[32], to[32];
	uint64_t f = 0, t = 0;

	if (tui_fs_space(dir, &f, &t, fs, sizeof fs, NULL) != 0)
		snprintf(fs, sizeof fs, "unknown");
	snprintf(buf, n, "Folder: %s\nFilesystem: %s, %s free of %s.  "
		 "Images (*.qcow2) here: %d", dir, fs, tui_size(fr, sizeof fr, f),
		 tui_size(to, sizeof to, t), images);
}

int tui_browse(const char *root, int write, char *dir, size_t n)
{
	char intro[4400];

	for (;;) {
		char **sub = NULL, **rows = NULL;
		int images, nrows = 0;
		int nsub = list_dir(dir, &sub, &images);
		if (nsub < 0)
			nsub = 0;
		int a = rows_for(dir, root, write, &rows, &nrows, sub, nsub);
		intro_for(dir, images, intro, sizeof intro);
		struct tui_menu m = { .title = write ? "Choose the folder for "
				      "the image" : "Choose the folder with the "
				      "images", .intro = intro, .rows = rows,
				      .n = nrows };
		int r = tui_menu_run(&m);
		const char *pick = r >= 0 ? rows[r] : NULL;
		int up = pick && !strncmp(pick, "../", 3);
		if (r >= a) {
			size_t l = strlen(dir);
			snprintf(dir + l, n - l, "%s%.*s", dir[l - 1] == '/' ?
				 "" : "/", (int)strlen(pick) - 1, pick);
		} else if (up) {
			go_up(dir, root);
		} else if (write && r == 1) {
			make_folder(dir, n);
		}
		tui_rows_free(rows, nrows);
		tui_rows_free(sub, nsub);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}
