/*
 * rescue_files.h — private glue of the "files that lost data" walkers:
 * ext via libext2fs (rescue_files.c, which also drives the others) and
 * FAT12/16/32 (rescue_files_fat.c), NTFS (rescue_files_ntfs.c), exFAT
 * (rescue_files_exfat.c).  Not public.
 */
#ifndef LB_RESCUE_FILES_H
#define LB_RESCUE_FILES_H

#include "rescue.h"

#define LB_BAD_FILES_MAX 100000
#define LB_BAD_FILES_PER_FS 1000        /* lines per filesystem */

struct lb_bad_list {
	struct lb_bad_file *v;
	size_t n, cap;
	size_t fs_first;        /* first line of the filesystem being walked */
	uint64_t limit;         /* bytes one line may claim (0: no bound) */
	size_t cut;             /* lines left out past LB_BAD_FILES_PER_FS */
	uint64_t cut_bytes;     /* and the bytes they claimed */
};

/* Appends one line: PATH (escaped with lb_text_escape) and BAD_BYTES
 * (bounded by l->limit).  Past LB_BAD_FILES_PER_FS lines for the current
 * filesystem the line is only counted (see lb_bad_list_end).  -ENOMEM,
 * or -E2BIG past LB_BAD_FILES_MAX. */
int lb_bad_list_add(struct lb_bad_list *l, uint32_t part, const char *fstype,
		    const char *path, uint64_t bad_bytes);

/* Starts the lines of one filesystem of LEN bytes (a line never claims
 * more than that). */
void lb_bad_list_begin(struct lb_bad_list *l, uint64_t len);

/* Ends them: when lines were left out, adds "... and N more (list cut
 * short)" for PART/FSTYPE.  -ENOMEM. */
int lb_bad_list_end(struct lb_bad_list *l, uint32_t part, const char *fstype);

/* Files of the FAT12/16/32 filesystem at byte BASE (LEN bytes) of the
 * raw disk open as FD that touch a byte M does not call finished.
 * Returns 0 or a negative errno (-EINVAL: not a FAT it can read). */
int lb_rescue_fat_files(int fd, uint64_t base, uint64_t len, uint32_t part,
			const struct lb_rmap *m, struct lb_bad_list *out);

/* The same for NTFS (rescue_files_ntfs.c). */
int lb_rescue_ntfs_files(int fd, uint64_t base, uint64_t len, uint32_t part,
			 const struct lb_rmap *m, struct lb_bad_list *out);

/* The same for exFAT (rescue_files_exfat.c); also -EUCLEAN when looping
 * or cross-linked chains made it stop (the list is then incomplete). */
int lb_rescue_exfat_files(int fd, uint64_t base, uint64_t len, uint32_t part,
			  const struct lb_rmap *m, struct lb_bad_list *out);

#endif
