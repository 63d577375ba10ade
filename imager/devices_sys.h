/*
 * devices_sys.h — private helpers over /sys/block, /proc/self/mountinfo and
 * /proc/swaps that the device list (devices.c) and the safety checks
 * (safety.c) share.  Not part of the public API.
 *
 * A "disk set" is a whole disk and its partitions as the kernel sees them
 * (sysfs), each with its dev_t, so that "is any of these mounted / swap /
 * held / holding that file" is one loop.
 */
#ifndef LB_DEVICES_SYS_H
#define LB_DEVICES_SYS_H

#include <stdint.h>
#include <sys/types.h>

#define LB_SYS_MAXPARTS 128

struct lb_sysdev {
	char name[64];          /* kernel name: "loop0", "sda1" */
	dev_t dev;
	uint64_t start, size;   /* bytes (sysfs counts 512-byte sectors) */
	uint32_t number;        /* partition number, 0 for the disk */
};

struct lb_diskset {
	size_t n;               /* [0] is the whole disk */
	struct lb_sysdev d[1 + LB_SYS_MAXPARTS];
};

/* Reads a one-line sysfs file under /sys/class/block/NAME/ (REL may be
 * "size", "queue/rotational", "device/model" ...), strips the newline and
 * trailing blanks.  Returns 0 or -errno. */
int lb_sys_read(const char *name, const char *rel, char *buf, size_t n);
/* Same, parsed as an unsigned number; DEF when missing or unparsable. */
uint64_t lb_sys_read_u64(const char *name, const char *rel, uint64_t def);

/* Kernel name of block device DEV ("sda1") into NAME[64]; -ENODEV if none. */
int lb_sys_name(dev_t dev, char *name);
/* The whole disk that NAME is or belongs to, into DISK[64]. */
int lb_sys_disk_of(const char *name, char *disk);
/* Fills SET with DISK and its partitions.  Returns 0 or -errno. */
int lb_sys_diskset(const char *disk, struct lb_diskset *set);

/* Looks DEV up in /proc/self/mountinfo: returns 1 and the mount point
 * (MP[N]) and whether it is mounted read-write (*RW) if mounted, 0 if not. */
int lb_sys_mounted(dev_t dev, char *mp, size_t n, int *rw);
/* The device mounted at mount point MP (from /proc/self/mountinfo, the
 * last such mount wins) into *DEV.  Returns 1 when found, else 0. */
int lb_sys_mount_dev(const char *mp, dev_t *dev);
/* Returns 1 when DEV is an active swap area in /proc/swaps. */
int lb_sys_swap(dev_t dev);
/* Returns 1 and the first holder's name (HOLDER[64]) when sysfs lists a
 * holder (dm, md, ...) of NAME. */
int lb_sys_holder(const char *name, char *holder);
/* Returns 1 when block device DEV, or any partition of it, is mounted
 * read-write, an active swap area or held (dm, md): something the kernel
 * itself writes through, so that it must not be marked read-only. */
int lb_sys_written_by_kernel(dev_t dev);
/* For a loop device NAME, its backing file into PATH[N]; -ENOENT if none. */
int lb_sys_loop_backing(const char *name, char *path, size_t n);

/* Whether NAME (a whole disk) holds the running Lifeboat medium: the file
 * $LIFEBOAT_MEDIUM_FILE (default /run/lifeboat/medium, written by the
 * ISO's init) names it or one of its partitions, it holds the filesystem
 * mounted at $LIFEBOAT_MEDIUM_MOUNT (default /run/lifeboat/iso), or the
 * disk carries an iso9660 filesystem labelled LIFEBOAT.  See docs/cli.md. */
int lb_sys_is_medium(const char *disk);

/* Probes the filesystem at [OFF, OFF+SIZE) of the open FD with libblkid
 * (read only): TYPE[32], LABEL[64], UUID[64] ("" when absent).  Returns 0
 * when a filesystem was recognised, 1 when none, -errno on failure. */
int lb_sys_probe_fs(int fd, uint64_t off, uint64_t size, char *type,
		    char *label, char *uuid);
/* Reads the partition table of the open FD (SIZE bytes) with libblkid's
 * partition prober: PTTYPE[8] and up to MAX partitions (number, start and
 * size in bytes) into PARTS.  Returns the count or -errno. */
int lb_sys_probe_parts(int fd, uint64_t size, char *pttype,
		       struct lb_sysdev *parts, size_t max);

/* Copies SRC into DST[N], truncating, always terminated. */
static inline void lb_sys_copy(char *dst, size_t n, const char *src)
{
	size_t l = 0;

	while (l + 1 < n && src[l])
		l++;
	for (size_t i = 0; i < l; i++)
		dst[i] = src[i];
	if (n)
		dst[l] = 0;
}


#endif
