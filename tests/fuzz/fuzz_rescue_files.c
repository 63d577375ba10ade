/*
 * fuzz_rescue_files.c — libFuzzer target for the FAT and NTFS walkers that
 * name the files touching bad sectors after a rescue
 * (imager/rescue_files_fat.c, rescue_files_ntfs.c): the input is a
 * (damaged) volume; the map calls every byte bad, so every file found is
 * listed and every path is built.  Never a crash, leak or hang.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "rescue_files.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lb_bad_list l = { 0 };
	struct lb_rmap m;
	int fd = memfd_create("vol", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size ||
	    lb_rmap_init(&m, size + 1)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	lb_rmap_set(&m, 0, size + 1, LB_RM_BAD);
	lb_rescue_fat_files(fd, 0, size, 1, &m, &l);
	lb_rescue_ntfs_files(fd, 0, size, 2, &m, &l);
	free(l.v);
	lb_rmap_free(&m);
	close(fd);
	return 0;
}
