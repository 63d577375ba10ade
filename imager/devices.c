/*
 * devices.c — lb_list_devices: the disks a person can choose from, with
 * what the kernel knows about them (/sys/block), what is on them
 * (libblkid, read-only: partition table, filesystem type, label, UUID) and
 * who uses them (/proc/self/mountinfo, /proc/swaps, sysfs holders).
 *
 * Partitions come from sysfs when the kernel made nodes for them, else
 * from the partition table itself (loop devices here get no nodes; such
 * partitions are listed with has_node = 0 and are used by byte offset).
 * RAM disks, zram and unbound loop devices are left out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lifeboat.h"
#include "devices_sys.h"

static int wanted(const char *name)
{
	char buf[PATH_MAX];

	if (name[0] == '.' || !strncmp(name, "ram", 3) ||
	    !strncmp(name, "zram", 4))
		return 0;
	if (!strncmp(name, "loop", 4))
		return lb_sys_loop_backing(name, buf, sizeof buf) == 0;
	return lb_sys_read_u64(name, "size", 0) > 0;
}

/* Transport from the name and the sysfs path of the device. */
static void transport(const char *name, char *out, size_t n)
{
	char p[PATH_MAX], real[PATH_MAX];
	const char *t = "scsi";

	snprintf(p, sizeof p, "/sys/block/%s", name);
	if (!realpath(p, real))
		real[0] = 0;
	if (!strncmp(name, "nvme", 4))
		t = "nvme";
	else if (!strncmp(name, "mmcblk", 6))
		t = "mmc";
	else if (!strncmp(name, "loop", 4))
		t = "loop";
	else if (strstr(real, "/usb"))
		t = "usb";
	else if (!strncmp(name, "vd", 2) || strstr(real, "/virtio"))
		t = "virtio";
	else if (strstr(real, "/ata"))
		t = "sata";
	else if (!strncmp(name, "sr", 2))
		t = "cdrom";
	lb_sys_copy(out, n, t);
}

static void usage_of(dev_t dev, const char *name, char *mp, size_t n,
		     int *swap, char *holder)
{
	mp[0] = holder[0] = 0;
	lb_sys_mounted(dev, mp, n, NULL);
	*swap = lb_sys_swap(dev);
	lb_sys_holder(name, holder);
}

/* Partition name as the kernel would spell it: sda1, nvme0n1p1, loop0p1. */
static void part_name(const char *disk, uint32_t num, char *out)
{
	size_t l = strlen(disk);
	int digit = l && disk[l - 1] >= '0' && disk[l - 1] <= '9';

	snprintf(out, 64, "%.58s%s%u", disk, digit ? "p" : "", num);
}

/* Partitions: sysfs when the kernel made nodes, else the table itself.
 * SET->d[1..] ends up holding them; returns their count or -errno. */
static int find_parts(struct lb_device *d, int fd, struct lb_diskset *set)
{
	struct lb_sysdev tmp[4];
	int r;

	if (lb_sys_diskset(d->name, set) == 0 && set->n > 1) {
		if (fd >= 0)    /* only for the table type */
			lb_sys_probe_parts(fd, d->size, d->pttype, tmp, 0);
		return (int)set->n - 1;
	}
	if (fd < 0)
		return 0;
	r = lb_sys_probe_parts(fd, d->size, d->pttype, set->d + 1,
			       LB_SYS_MAXPARTS);
	for (int i = 0; i < r; i++)
		set->d[1 + i].dev = 0;
	return r < 0 ? 0 : r;
}

static int by_number(const void *a, const void *b)
{
	const struct lb_partition *x = a, *y = b;

	return (x->number > y->number) - (x->number < y->number);
}

static int fill_parts(struct lb_device *d, int fd)
{
	struct lb_diskset *set = malloc(sizeof *set);
	struct lb_sysdev *sp;
	int n;

	if (!set)
		return -ENOMEM;
	n = find_parts(d, fd, set);
	sp = set->d + 1;
	d->parts = calloc(n ? (size_t)n : 1, sizeof *d->parts);
	if (!d->parts) {
		free(set);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct lb_partition *p = &d->parts[i];
		p->number = sp[i].number;
		p->start = sp[i].start;
		p->size = sp[i].size;
		p->has_node = sp[i].dev != 0;
		if (p->has_node)
			lb_sys_copy(p->name, sizeof p->name, sp[i].name);
		else
			part_name(d->name, p->number, p->name);
		if (fd >= 0)
			lb_sys_probe_fs(fd, p->start, p->size, p->fstype,
					p->label, p->uuid);
		if (p->has_node)
			usage_of(sp[i].dev, p->name, p->mountpoint,
				 sizeof p->mountpoint, &p->swap, p->holder);
	}
	d->nparts = (size_t)n;
	/* sysfs lists partitions in directory order (sda2 may come first). */
	qsort(d->parts, d->nparts, sizeof *d->parts, by_number);
	free(set);
	return 0;
}

static void fill_sys(struct lb_device *d)
{
	const char *n = d->name;

	snprintf(d->path, sizeof d->path, "/dev/%s", n);
	d->size = lb_sys_read_u64(n, "size", 0) * 512;
	d->logical_sector = (uint32_t)lb_sys_read_u64(n, "queue/logical_block_size", 512);
	d->physical_sector = (uint32_t)lb_sys_read_u64(n, "queue/physical_block_size",
						       d->logical_sector);
	lb_sys_read(n, "device/model", d->model, sizeof d->model);
	if (lb_sys_read(n, "device/serial", d->serial, sizeof d->serial) < 0)
		lb_sys_read(n, "serial", d->serial, sizeof d->serial);
	transport(n, d->transport, sizeof d->transport);
	d->rotational = (int)lb_sys_read_u64(n, "queue/rotational", 0);
	d->removable = (int)lb_sys_read_u64(n, "removable", 0);
	d->read_only = (int)lb_sys_read_u64(n, "ro", 0);
	if (!strncmp(n, "loop", 4) && !d->model[0])
		lb_sys_read(n, "loop/backing_file", d->model, sizeof d->model);
}

/* Fills D for the disk NAME.  Returns 0 or -errno. */
static int fill_device(struct lb_device *d, const char *name)
{
	char buf[32];
	unsigned ma, mi;
	dev_t dev = 0;
	int fd, r;

	memset(d, 0, sizeof *d);
	lb_sys_copy(d->name, sizeof d->name, name);
	fill_sys(d);
	if (lb_sys_read(name, "dev", buf, sizeof buf) == 0 &&
	    sscanf(buf, "%u:%u", &ma, &mi) == 2)
		dev = makedev(ma, mi);
	fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		lb_sys_probe_fs(fd, 0, d->size, d->fstype, d->label, d->uuid);
	r = fill_parts(d, fd);
	if (fd >= 0)
		close(fd);
	usage_of(dev, d->name, d->mountpoint, sizeof d->mountpoint, &d->swap,
		 d->holder);
	d->in_use = d->mountpoint[0] || d->swap || d->holder[0];
	for (size_t i = 0; i < d->nparts; i++)
		if (d->parts[i].mountpoint[0] || d->parts[i].swap ||
		    d->parts[i].holder[0])
			d->in_use = 1;
	d->is_lifeboat_medium = lb_sys_is_medium(d->name);
	return r;
}

/* Natural order: digit runs compare as numbers, so loop2 comes before
 * loop10 and nvme2n1 before nvme10n1 (glibc/musl strverscmp). */
static int by_name(const void *a, const void *b)
{
	return strverscmp(((const struct lb_device *)a)->name,
			  ((const struct lb_device *)b)->name);
}

int lb_list_devices(struct lb_ctx *ctx, struct lb_device **out)
{
	DIR *dir = opendir("/sys/block");
	struct lb_device *devs = NULL, *grown;
	struct dirent *e;
	int n = 0, r = 0;

	*out = NULL;
	if (!dir) {
		snprintf(ctx->msg, sizeof ctx->msg, "/sys/block: %s",
			 strerror(errno));
		return -errno;
	}
	while (r == 0 && (e = readdir(dir)) && n < 4096) {
		if (!wanted(e->d_name))
			continue;
		if (!(grown = realloc(devs, (size_t)(n + 1) * sizeof *devs))) {
			r = -ENOMEM;
			break;
		}
		devs = grown;
		r = fill_device(&devs[n++], e->d_name);
	}
	closedir(dir);
	if (r < 0) {
		lb_free_devices(devs, n);
		snprintf(ctx->msg, sizeof ctx->msg, "listing devices: %s",
			 strerror(-r));
		return r;
	}
	if (n)
		qsort(devs, (size_t)n, sizeof *devs, by_name);
	*out = devs;
	return n;
}

void lb_free_devices(struct lb_device *devs, int n)
{
	for (int i = 0; devs && i < n; i++)
		free(devs[i].parts);
	free(devs);
}
