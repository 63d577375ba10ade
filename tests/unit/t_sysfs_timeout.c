/*
 * t_sysfs_timeout.c — lowering and restoring a disk's command timeouts
 * (imager/sysfs_timeout.c) on a stand-in for /sys/block/X/device: a
 * temporary folder with "timeout" and "eh_timeout" files.  Values already
 * lower are kept; restore puts back exactly what was found; a folder
 * without the files (NVMe, virtio) is left alone.  With a state file
 * (IMAGE.rescue-sysfs): a run killed before restoring (kill -9) leaves
 * the originals there, and the next run restores those, not the lowered
 * values it finds; a state file naming another disk or holding garbage
 * is not trusted.
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

/* kill -9 between lowering and restoring, then --resume. */
static void killed_and_resumed(const char *dir, const char *other)
{
	struct lb_ctx ctx = { 0 };
	struct lb_sysfs_saved s1, s2;
	char state[600], line[600];
	FILE *f;

	snprintf(state, sizeof state, "%s/IMAGE.rescue-sysfs", other);
	put(dir, "timeout", "30\n");
	put(dir, "eh_timeout", "10\n");
	lb_sysfs_lower_in(&ctx, dir, 5, 5, state, &s1);
	CHECK("sysfs state: lowered, and the originals saved beside the map",
	      get(dir, "timeout") == 5 && access(state, F_OK) == 0);
	/* s1 is never restored: the process was killed here */
	lb_sysfs_lower_in(&ctx, dir, 5, 5, state, &s2);
	CHECK("sysfs state: a later run takes 30 s / 10 s from the state, "
	      "not the lowered 5 s", s2.timeout == 30 && s2.eh_timeout == 10);
	lb_sysfs_restore_timeouts(&ctx, &s2);
	CHECK("sysfs state: the resumed run puts back the real originals",
	      get(dir, "timeout") == 30 && get(dir, "eh_timeout") == 10);
	CHECK("sysfs state: restoring removes the state file",
	      access(state, F_OK) != 0);
	/* a state file naming another disk is not used for this one */
	snprintf(line, sizeof line, "# x\n/sys/block/sdz/device\t60\t60\n");
	if ((f = fopen(state, "w"))) {
		fputs(line, f);
		fclose(f);
	}
	put(dir, "timeout", "45\n");
	lb_sysfs_lower_in(&ctx, dir, 5, 5, state, &s2);
	CHECK("sysfs state: a state file of another disk is not trusted",
	      s2.timeout == 45);
	lb_sysfs_restore_timeouts(&ctx, &s2);
	if ((f = fopen(state, "w"))) {
		fputs("garbage\tnot numbers\n", f);
		fclose(f);
	}
	lb_sysfs_lower_in(&ctx, dir, 5, 5, state, &s2);
	CHECK("sysfs state: a garbage state file is not trusted",
	      s2.timeout == 45 && get(dir, "timeout") == 5);
	lb_sysfs_restore_timeouts(&ctx, &s2);
	CHECK("sysfs state: and the found values are put back",
	      get(dir, "timeout") == 45);
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
	lb_sysfs_lower_in(&ctx, dir, 5, 5, NULL, &s);
	CHECK("sysfs: command timeout lowered to 5 s", get(dir, "timeout") == 5);
	CHECK("sysfs: a lower eh_timeout is kept", get(dir, "eh_timeout") == 3);
	lb_sysfs_restore_timeouts(&ctx, &s);
	CHECK("sysfs: restore puts back what was found",
	      get(dir, "timeout") == 30 && get(dir, "eh_timeout") == 3);
	CHECK("sysfs: restore twice is harmless",
	      lb_sysfs_restore_timeouts(&ctx, &s) == 0 && get(dir, "timeout") == 30);
	lb_sysfs_lower_in(&ctx, empty, 5, 5, NULL, &s);
	CHECK("sysfs: a device without the files is left alone",
	      s.dir[0] == 0 && lb_sysfs_restore_timeouts(&ctx, &s) == 0);
	CHECK("sysfs: a regular file is not a block device: nothing to do",
	      lb_sysfs_lower_timeouts(&ctx, "/etc/hostname", 5, 5, NULL, &s) == 0 &&
	      s.dir[0] == 0);
	killed_and_resumed(dir, empty);
	char p[600];
	snprintf(p, sizeof p, "rm -rf %s %s", dir, empty);
	if (system(p))
		return 1;
	UNIT_EXIT();
}
