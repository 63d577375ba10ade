/*
 * devices_probe.c — the parts of device discovery that read on-disk
 * structures, through libblkid (util-linux): filesystem type, label and
 * UUID; partition tables of disks that have no kernel partition nodes
 * (loop devices here) and of image files; and whether a disk holds the
 * running Lifeboat medium.  Everything is opened read-only and nothing is
 * mounted (case C036).
 *
 * libblkid counts partition starts and sizes in 512-byte sectors whatever
 * the device's logical sector size; we convert to bytes at once.
 */
#include <blkid/blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev.h"
#include "devices_sys.h"

static void value(blkid_probe pr, const char *tag, char *out, size_t n)
{
	const char *v = NULL;

	out[0] = 0;
	if (blkid_probe_lookup_value(pr, tag, &v, NULL) == 0 && v)
		lb_sys_copy(out, n, v);
}

int lb_sys_probe_fs(int fd, uint64_t off, uint64_t size, char *type,
		    char *label, char *uuid)
{
	blkid_probe pr = blkid_new_probe();
	int r;

	type[0] = label[0] = uuid[0] = 0;
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off,
				   (blkid_loff_t)size) < 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID);
	blkid_probe_enable_partitions(pr, 0);
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		value(pr, "TYPE", type, 32);
		value(pr, "LABEL", label, 64);
		value(pr, "UUID", uuid, 64);
	}
	blkid_free_probe(pr);
	return r == 0 ? 0 : 1;
}

int lb_sys_probe_parts(int fd, uint64_t size, char *pttype,
		       struct lb_sysdev *parts, size_t max)
{
	blkid_probe pr = blkid_new_probe();
	blkid_partlist pl;
	blkid_parttable tab;
	int n = 0, count;

	pttype[0] = 0;
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)size) < 0) {
		blkid_free_probe(pr);
		return -EIO;
	}
	pl = blkid_probe_get_partitions(pr);
	if (pl && (tab = blkid_partlist_get_table(pl)))
		lb_sys_copy(pttype, 8, blkid_parttable_get_type(tab));
	count = pl ? blkid_partlist_numof_partitions(pl) : 0;
	for (int i = 0; i < count && (size_t)n < max; i++) {
		blkid_partition p = blkid_partlist_get_partition(pl, i);
		if (!p)
			continue;
		uint64_t start = (uint64_t)blkid_partition_get_start(p) * 512;
		uint64_t len = (uint64_t)blkid_partition_get_size(p) * 512;
		/* An entry that does not lie inside the device names no data
		 * (an isohybrid MBR read at a CD's 2048-byte sectors, a table
		 * from a larger disk): the kernel makes no node for it either.
		 * `lifeboat probe` reports such entries in full. */
		if (start >= size || len > size - start)
			continue;
		memset(&parts[n], 0, sizeof parts[n]);
		parts[n].number = (uint32_t)blkid_partition_get_partno(p);
		parts[n].start = start;
		parts[n].size = len;
		n++;
	}
	blkid_free_probe(pr);
	return n;
}

/* Names the partitions found, for an error message. */
static void list_found(char *out, size_t n, const struct lb_sysdev *p, int c)
{
	size_t len = 0;

	out[0] = 0;
	for (int i = 0; i < c && len + 16 < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%u",
					i ? ", " : "", p[i].number);
	if (c == 0)
		lb_sys_copy(out, n, "none");
}

int lb_partition_span(struct lb_ctx *ctx, const char *disk, uint32_t number,
		      struct lb_span *out)
{
	struct lb_sysdev parts[LB_SYS_MAXPARTS];
	struct lb_span whole = { disk, 0, 0 };
	struct lb_dev *d;
	char pttype[8], found[256];
	int r, n;

	if ((r = lb_dev_open(ctx, &whole, LB_DEV_READ, 0, &d)) < 0)
		return r;
	n = lb_sys_probe_parts(d->fd, d->size, pttype, parts, LB_SYS_MAXPARTS);
	lb_dev_close(d);
	if (n < 0) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot read the "
			 "partition table: %s", disk, strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (parts[i].number != number)
			continue;
		*out = (struct lb_span){ disk, parts[i].start, parts[i].size };
		return 0;
	}
	list_found(found, sizeof found, parts, n);
	snprintf(ctx->msg, sizeof ctx->msg, "%s: no partition %u in the %s "
		 "partition table (partitions found: %s)", disk, number,
		 pttype[0] ? pttype : "(none)", found);
	return -ENOENT;
}

/* Reads the medium file: a kernel name or /dev path, into NAME[64]. */
static int medium_file(char *name)
{
	const char *path = getenv("LIFEBOAT_MEDIUM_FILE");
	char buf[256];
	FILE *f;
	size_t len;

	if (!path || !*path)
		path = "/run/lifeboat/medium";
	if (!(f = fopen(path, "r")))
		return -ENOENT;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = 0;
	fclose(f);
	len = strcspn(buf, " \t\n");
	buf[len] = 0;
	if (!buf[0])
		return -ENOENT;
	lb_sys_copy(name, 64, strncmp(buf, "/dev/", 5) ? buf : buf + 5);
	return 0;
}

int lb_sys_is_medium(const char *disk)
{
	char name[64], mdisk[64], path[128], type[32], label[64], uuid[64];
	int fd, r;

	const char *mp = getenv("LIFEBOAT_MEDIUM_MOUNT");
	dev_t dev;

	if (medium_file(name) == 0 && lb_sys_disk_of(name, mdisk) == 0 &&
	    strcmp(mdisk, disk) == 0)
		return 1;
	if (lb_sys_mount_dev(mp && *mp ? mp : "/run/lifeboat/iso", &dev) &&
	    lb_sys_name(dev, name) == 0 && lb_sys_disk_of(name, mdisk) == 0 &&
	    strcmp(mdisk, disk) == 0)
		return 1;
	snprintf(path, sizeof path, "/dev/%s", disk);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return 0;
	r = lb_sys_probe_fs(fd, 0, 0, type, label, uuid);
	close(fd);
	return r == 0 && strcmp(type, "iso9660") == 0 &&
	       strcmp(label, "LIFEBOAT") == 0;
}
