/*
 * t_sysfs_timeout.c — lowering and restoring a disk's command timeouts
 * (imager/sysfs_timeout.c) on a stand-in for /sys/block/X/device: a
 * temporary folder with "timeout" and "eh_timeout" files.  Values already
 * lower are kept; restore puts back exactly what was found; a folder
 * without the files (NVMe, virtio) is left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rescue.h"
#include "unit.h"

static void put(const char *dir, const char *name, const char *v)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((f = fopen(p, "w"))) {
		fputs(v, f);
		fclose(f);
	}
}

static int get(const char *dir, const char *name)
{
	char p[512];
	FILE *f;
	int v = -1;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	if ((f = fopen(p, "r"))) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(void)
{
	char dir[] = "/tmp/lbsysfsXXXXXX", empty[] = "/tmp/lbsysfsXXXXXX";
	struct lb_ctx ctx = { 0 };
	struct lb_sysfs_saved s;

	if (!mkdtemp(dir) || !mkdtemp(empty))
		return 1;
	put(dir, "timeout", "30\n");
	put(dir, "eh_timeout", "3\n");
	lb_sysfs_lower_in(&ctx, dir, 5, 5, &s);
	CHECK("sysfs: command timeout lowered to 5 s", get(dir, "timeout") == 5);
	CHECK("sysfs: a lower eh_timeout is kept", get(dir, "eh_timeout") == 3);
	lb_sysfs_restore_timeouts(&ctx, &s);
	CHECK("sysfs: restore puts back what was found",
	      get(dir, "timeout") == 30 && get(dir, "eh_timeout") == 3);
	CHECK("sysfs: restore twice is harmless",
	      lb_sysfs_restore_timeouts(&ctx, &s) == 0 && get(dir, "timeout") == 30);
	lb_sysfs_lower_in(&ctx, empty, 5, 5, &s);
	CHECK("sysfs: a device without the files is left alone",
	      s.dir[0] == 0 && lb_sysfs_restore_timeouts(&ctx, &s) == 0);
	CHECK("sysfs: a regular file is not a block device: nothing to do",
	      lb_sysfs_lower_timeouts(&ctx, "/etc/hostname", 5, 5, &s) == 0 &&
	      s.dir[0] == 0);
	char p[600];
	snprintf(p, sizeof p, "rm -rf %s %s", dir, empty);
	if (system(p))
		return 1;
	UNIT_EXIT();
}
