/*
 * safety_loop.c — finds the loop devices that cover the same bytes of the
 * same backing file (trial 2 F7), so that the safety checks (safety.c)
 * treat a write through /dev/loop3 as a write under a filesystem mounted
 * through /dev/loop4 when both are bound to overlapping bytes of one file.
 * Identity is the backing file's (st_dev, st_ino), never its name.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "devices_sys.h"
#include "safety_loop.h"

int lb_loop_file_range(const char *name, struct stat *fst, uint64_t *lo,
		       uint64_t *hi)
{
	char backing[PATH_MAX];
	uint64_t off, size;

	if (lb_sys_loop_backing(name, backing, sizeof backing) < 0 ||
	    stat(backing, fst) < 0)
		return -ENOENT;
	off = lb_sys_read_u64(name, "loop/offset", 0);
	size = lb_sys_read_u64(name, "size", 0);
	*lo = off;
	/* size is in 512-byte units whatever the logical sector size */
	*hi = size > (UINT64_MAX - off) / 512 ? UINT64_MAX : off + size * 512;
	return 0;
}

int lb_loop_peers(const struct stat *fst, uint64_t lo, uint64_t hi,
		  const char *self, char (*names)[64], int max)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	struct stat bst;
	uint64_t plo, phi;
	int n = 0;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		if (strncmp(e->d_name, "loop", 4) || strlen(e->d_name) >= 64 ||
		    (self && !strcmp(e->d_name, self)))
			continue;
		if (lb_loop_file_range(e->d_name, &bst, &plo, &phi) < 0 ||
		    bst.st_dev != fst->st_dev || bst.st_ino != fst->st_ino ||
		    phi <= lo || hi <= plo || plo == phi)
			continue;
		lb_sys_copy(names[n++], 64, e->d_name);
	}
	closedir(d);
	return n;
}
