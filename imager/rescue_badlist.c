/*
 * rescue_badlist.c — the growing list of files that lost data, shared by
 * the filesystem walkers (rescue_files*.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rescue_files.h"

int lb_bad_list_add(struct lb_bad_list *l, uint32_t part, const char *fstype,
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
	snprintf(f->fstype, sizeof f->fstype, "%s", fstype);
	snprintf(f->path, sizeof f->path, "%s", path);
	f->bad_bytes = bad_bytes;
	return 0;
}
