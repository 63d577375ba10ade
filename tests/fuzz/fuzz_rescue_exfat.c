/*
 * fuzz_rescue_exfat.c — libFuzzer target for the exFAT walker that names
 * the files touching bad sectors after a rescue
 * (imager/rescue_files_exfat.c).  The input is a (damaged) exFAT volume,
 * walked twice: with every eighth sector unfinished (so files are listed,
 * paths are built, and directory entries in lost sectors are skipped) and
 * with every byte finished (the whole tree is walked, nothing listed).
 * Never a crash, leak or hang.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "rescue_files.h"

static void walk(int fd, size_t size, int holes)
{
	struct lb_bad_list l = { 0 };
	struct lb_rmap m;

	if (lb_rmap_init(&m, size + 1))
		return;
	lb_rmap_set(&m, 0, size + 1, LB_RM_FINISHED);
	for (size_t s = 7 * 512; holes && s < size; s += 8 * 512)
		lb_rmap_set(&m, s, 512, LB_RM_BAD);
	lb_rescue_exfat_files(fd, 0, size, 1, &m, &l);
	free(l.v);
	lb_rmap_free(&m);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int fd = memfd_create("vol", 0);

	if (fd >= 0 && write(fd, data, size) == (ssize_t)size) {
		walk(fd, size, 1);
		walk(fd, size, 0);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
