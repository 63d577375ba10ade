/*
 * t_rescue_fat_loop.c — the FAT walk that lists damaged files after a
 * rescue (imager/rescue_files_fat.c) stays bounded on a hostile FAT16:
 * one looping chain through every cluster, shared by every directory
 * entry, each cluster full of directory entries pointing back to it.
 * Every single walk was bounded, but together they took about 10^11 steps;
 * now all walks share a budget and the call ends with -EUCLEAN (the file
 * list is incomplete), while a sound FAT16 still lists its damaged file.
 * alarm() turns a regression (a walk that does not end) into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rescue_files.h"
#include "rescue_map.h"
#include "unit.h"

enum { SEC = 512, TOT = 65535, FATSZ = 256, ROOTENTS = 512 };
#define FAT_OFF   ((size_t)SEC)
#define ROOT_OFF  ((size_t)(1 + FATSZ) * SEC)
#define DATA_OFF  (ROOT_OFF + ROOTENTS * 32)
#define NCLUS     (TOT - 1 - FATSZ - ROOTENTS * 32 / SEC)

static void put16(uint8_t *p, unsigned v) { p[0] = v & 0xff; p[1] = v >> 8; }

static void dirent(uint8_t *e, unsigned k, unsigned attr, unsigned clus,
		   unsigned size)
{
	char n[12];

	snprintf(n, sizeof n, "D%07u   ", k % 10000000);
	memcpy(e, n, 11);
	e[11] = (uint8_t)attr;
	put16(e + 26, clus);
	put16(e + 28, size & 0xffff);
	put16(e + 30, size >> 16);
}

/* A FAT16 volume; LOOP: every chain loops through all clusters and every
 * cluster is a directory of subdirectories on that chain. */
static uint8_t *make_fat(int loop)
{
	uint8_t *d = calloc(TOT, SEC), *fat = d + FAT_OFF;

	put16(d + 11, SEC); d[13] = 1; put16(d + 14, 1); d[16] = 1;
	put16(d + 17, ROOTENTS); put16(d + 19, TOT); put16(d + 22, FATSZ);
	d[510] = 0x55; d[511] = 0xaa;
	put16(fat, 0xfff8); put16(fat + 2, 0xffff);
	if (!loop) {            /* one file of 3 clusters: 2 -> 3 -> 4 */
		put16(fat + 4, 3); put16(fat + 6, 4); put16(fat + 8, 0xffff);
		dirent(d + ROOT_OFF, 1, 0x20, 2, 3 * SEC);
		return d;
	}
	for (unsigned c = 2; c < NCLUS + 2; c++)
		put16(fat + 2 * c, c + 1 < NCLUS + 2 ? c + 1 : 2);
	for (unsigned k = 0; k < ROOTENTS; k++)
		dirent(d + ROOT_OFF + 32 * k, k, 0x10, 2, 0);
	for (size_t at = DATA_OFF, k = 0; at + 32 <= (size_t)TOT * SEC; at += 32, k++)
		dirent(d + at, (unsigned)k, 0x10, 2, 0);
	return d;
}

static int run(int loop, struct lb_bad_list *out)
{
	char path[] = "/tmp/lbfatXXXXXX";
	uint8_t *d = make_fat(loop);
	struct lb_rmap m;
	int fd = mkstemp(path), r = -EIO;

	if (fd >= 0 && d && write(fd, d, (size_t)TOT * SEC) == (ssize_t)TOT * SEC &&
	    lb_rmap_init(&m, (uint64_t)TOT * SEC) == 0) {
		lb_rmap_set(&m, 0, (uint64_t)TOT * SEC, '+');
		lb_rmap_set(&m, DATA_OFF + SEC, SEC, '-');   /* cluster 3 lost */
		r = lb_rescue_fat_files(fd, 0, (uint64_t)TOT * SEC, 1, &m, out);
		lb_rmap_free(&m);
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(d);
	return r;
}

int main(void)
{
	struct lb_bad_list good = { 0 }, bad = { 0 };
	int r;

	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(120);             /* a walk that does not end fails the test */
	r = run(0, &good);
	CHECK("fat walk: a sound FAT16 lists the file that lost a cluster",
	      r == 0 && good.n == 1 && good.v[0].bad_bytes == SEC);
	r = run(1, &bad);
	CHECK("fat walk: looping chains shared by a million entries end with "
	      "-EUCLEAN (list incomplete), not hours of walking", r == -EUCLEAN);
	free(good.v);
	free(bad.v);
	UNIT_EXIT();
}
