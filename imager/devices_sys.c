/*
 * devices_sys.c — what the kernel says about block devices and who uses
 * them: /sys/class/block (names, sizes, partitions, holders, loop backing
 * files), /proc/self/mountinfo and /proc/swaps.  Shared by the device list
 * (devices.c) and the safety checks (safety.c); see devices_sys.h.
 *
 * Everything here only reads; nothing is mounted or opened for writing
 * (case C036: probing must never leave a mount behind).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices_sys.h"

int lb_sys_read(const char *name, const char *rel, char *buf, size_t n)
{
	char p[PATH_MAX];
	FILE *f;
	size_t len;

	snprintf(p, sizeof p, "/sys/class/block/%s/%s", name, rel);
	if (!(f = fopen(p, "r")))
		return -errno;
	if (!fgets(buf, (int)n, f))
		buf[0] = 0;
	fclose(f);
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	return 0;
}

uint64_t lb_sys_read_u64(const char *name, const char *rel, uint64_t def)
{
	char buf[64], *end;
	unsigned long long v;

	if (lb_sys_read(name, rel, buf, sizeof buf) < 0 || !buf[0])
		return def;
	v = strtoull(buf, &end, 10);
	return *end ? def : v;
}

int lb_sys_name(dev_t dev, char *name)
{
	char p[64], real[PATH_MAX];
	const char *slash;

	snprintf(p, sizeof p, "/sys/dev/block/%u:%u", major(dev), minor(dev));
	if (!realpath(p, real))
		return -ENODEV;
	slash = strrchr(real, '/');
	lb_sys_copy(name, 64, slash ? slash + 1 : real);
	return 0;
}

int lb_sys_disk_of(const char *name, char *disk)
{
	char p[PATH_MAX], real[PATH_MAX], *slash;
	struct stat st;

	snprintf(p, sizeof p, "/sys/class/block/%s/partition", name);
	if (stat(p, &st) < 0) {         /* not a partition: a disk */
		snprintf(disk, 64, "%s", name);
		return 0;
	}
	snprintf(p, sizeof p, "/sys/class/block/%s", name);
	if (!realpath(p, real) || !(slash = strrchr(real, '/')))
		return -ENODEV;
	*slash = 0;                     /* .../block/sda/sda1 -> .../sda */
	slash = strrchr(real, '/');
	lb_sys_copy(disk, 64, slash ? slash + 1 : real);
	return 0;
}

static int fill_sysdev(const char *name, struct lb_sysdev *s)
{
	char buf[64];
	unsigned ma, mi;

	if (lb_sys_read(name, "dev", buf, sizeof buf) < 0 ||
	    sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return -ENODEV;
	snprintf(s->name, sizeof s->name, "%s", name);
	s->dev = makedev(ma, mi);
	s->size = lb_sys_read_u64(name, "size", 0) * 512;
	s->start = lb_sys_read_u64(name, "start", 0) * 512;
	s->number = (uint32_t)lb_sys_read_u64(name, "partition", 0);
	return 0;
}

int lb_sys_diskset(const char *disk, struct lb_diskset *set)
{
	char p[PATH_MAX], part[PATH_MAX + 300];
	struct dirent *e;
	struct stat st;
	DIR *dir;

	set->n = 0;
	if (fill_sysdev(disk, &set->d[0]) < 0)
		return -ENODEV;
	set->n = 1;
	snprintf(p, sizeof p, "/sys/class/block/%s", disk);
	if (!(dir = opendir(p)))
		return 0;
	while ((e = readdir(dir)) && set->n < 1 + LB_SYS_MAXPARTS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(part, sizeof part, "%s/%s/partition", p, e->d_name);
		if (stat(part, &st) == 0 &&
		    fill_sysdev(e->d_name, &set->d[set->n]) == 0)
			set->n++;
	}
	closedir(dir);
	return 0;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] && s[3]) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* Mount source (the field after " - fstype ") as a block device dev_t. */
static int source_is(const char *line, dev_t dev)
{
	const char *sep = strstr(line, " - ");
	char fstype[64], src[PATH_MAX];
	struct stat st;

	if (!sep || sscanf(sep + 3, "%63s %4095s", fstype, src) != 2)
		return 0;
	unescape(src);
	return src[0] == '/' && stat(src, &st) == 0 && S_ISBLK(st.st_mode) &&
	       st.st_rdev == dev;
}

int lb_sys_mounted(dev_t dev, char *mp, size_t n, int *rw)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192], point[PATH_MAX], opts[1024];
	unsigned ma, mi;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s %1023s", &ma, &mi,
			   point, opts) != 4)
			continue;
		if (makedev(ma, mi) != dev && !source_is(line, dev))
			continue;
		unescape(point);
		if (mp)
			snprintf(mp, n, "%s", point);
		if (rw)
			*rw = strncmp(opts, "rw", 2) == 0 &&
			      (opts[2] == ',' || opts[2] == 0);
		found = 1;
	}
	fclose(f);
	return found;
}

int lb_sys_mount_dev(const char *mp, dev_t *dev)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192], point[PATH_MAX];
	unsigned ma, mi;
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &ma, &mi, point) != 3)
			continue;
		unescape(point);
		if (strcmp(point, mp) == 0) {
			*dev = makedev(ma, mi);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int lb_sys_swap(dev_t dev)
{
	FILE *f = fopen("/proc/swaps", "r");
	char line[1024], path[PATH_MAX];
	struct stat st;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%4095s", path) != 1 || path[0] != '/')
			continue;
		unescape(path);
		found = stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
			st.st_rdev == dev;
	}
	fclose(f);
	return found;
}

int lb_sys_holder(const char *name, char *holder)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int found = 0;

	snprintf(p, sizeof p, "/sys/class/block/%s/holders", name);
	if (!(dir = opendir(p)))
		return 0;
	while (!found && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		lb_sys_copy(holder, 64, e->d_name);
		found = 1;
	}
	closedir(dir);
	return found;
}

int lb_sys_written_by_kernel(dev_t dev)
{
	struct lb_diskset *set = malloc(sizeof *set);
	char name[64], holder[64];
	int rw = 0, hit = 0;

	if (!set || lb_sys_name(dev, name) < 0 || lb_sys_diskset(name, set) < 0) {
		free(set);
		return 0;
	}
	for (size_t i = 0; i < set->n && !hit; i++)
		hit = (lb_sys_mounted(set->d[i].dev, NULL, 0, &rw) && rw) ||
		      lb_sys_swap(set->d[i].dev) ||
		      lb_sys_holder(set->d[i].name, holder);
	free(set);
	return hit;
}

int lb_sys_loop_backing(const char *name, char *path, size_t n)
{
	if (strncmp(name, "loop", 4) != 0)
		return -ENOENT;
	if (lb_sys_read(name, "loop/backing_file", path, n) < 0 || !path[0])
		return -ENOENT;
	return 0;
}

char *lb_human_size(uint64_t bytes, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	/* carry to the next unit where the rounded value would show 1024
	 * ("1.00 GiB", never "1024 MiB") */
	while (u < 6 && (v >= 1024 || (u > 0 && v >= 1023.5))) {
		v /= 1024;
		u++;
	}
	/* The one rule for sizes in words (CLI, TUI, engine messages):
	 * bytes below 1 KiB exactly, else three
	 * significant digits in binary units: "8.00 MiB", "22.0 MiB",
	 * "100 MiB" (thresholds on the rounded value, so never "10.00"). */
	if (u == 0)
		snprintf(buf, n, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, n, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" :
			 "%.0f %s", v, unit[u]);
	return buf;
}
