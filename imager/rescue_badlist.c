/*
 * rescue_badlist.c — the growing list of files that lost data, shared by
 * the filesystem walkers (rescue_files*.c).  A hostile filesystem cannot
 * flood it: each filesystem gets at most LB_BAD_FILES_PER_FS lines (the
 * rest are counted and summed in one "... and N more (list cut short)"
 * line, so the next filesystem still gets its share), a line never claims
 * more bytes than its filesystem holds, and names are escaped
 * (lb_text_escape) so they cannot drive a terminal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rescue_files.h"

static int push(struct lb_bad_list *l, uint32_t part, const char *fstype,
		const char *path, uint64_t bad_bytes)
{
	struct lb_bad_file *f;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		if (l->n >= LB_BAD_FILES_MAX)
			return -E2BIG;
		if (!(f = realloc(l->v, cap * sizeof *f)))
			return -ENOMEM;
		l->v = f;
		l->cap = cap;
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof *f);
	f->part = part;
	lb_text_escape(f->fstype, sizeof f->fstype, fstype);
	lb_text_escape(f->path, sizeof f->path, path);
	f->bad_bytes = bad_bytes;
	return 0;
}

int lb_bad_list_add(struct lb_bad_list *l, uint32_t part, const char *fstype,
		    const char *path, uint64_t bad_bytes)
{
	if (l->limit && bad_bytes > l->limit)
		bad_bytes = l->limit;
	if (l->n - l->fs_first >= LB_BAD_FILES_PER_FS) {
		l->cut++;
		l->cut_bytes += bad_bytes;
		return 0;
	}
	return push(l, part, fstype, path, bad_bytes);
}

void lb_bad_list_begin(struct lb_bad_list *l, uint64_t len)
{
	l->fs_first = l->n;
	l->limit = len;
	l->cut = 0;
	l->cut_bytes = 0;
}

int lb_bad_list_end(struct lb_bad_list *l, uint32_t part, const char *fstype)
{
	char line[128];
	size_t cut = l->cut;

	if (!cut)
		return 0;
	snprintf(line, sizeof line, "... and %zu more (list cut short)", cut);
	l->cut = 0;
	if (l->limit && l->cut_bytes > l->limit)
		l->cut_bytes = l->limit;
	return push(l, part, fstype, line, l->cut_bytes) == -ENOMEM ? -ENOMEM : 0;
}
