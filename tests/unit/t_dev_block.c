/* t_dev_block.c — the block-device backend on a real loop device (root):
 * sizes and sector sizes from the kernel, BLKROSET held while a source is
 * open and given back on close, O_EXCL on targets (a second writer gets
 * EBUSY), BLKZEROOUT zeroing with unaligned edges, EROFS on a read-only
 * device.  Skips when not root or losetup fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev.h"
#include "unit.h"

static char dir[] = "/tmp/t_dev_block.XXXXXX";
static char loop[64];

static int sh(const char *fmt, const char *arg, char *out, size_t n)
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof cmd, fmt, arg);
	if (!(p = popen(cmd, "r")))
		return -1;
	if (!out || !fgets(out, (int)n, p))
		if (out)
			out[0] = 0;
	if (out)
		out[strcspn(out, "\n")] = 0;
	return pclose(p);
}

static int getro(void)
{
	char out[16];

	sh("blockdev --getro %s", loop, out, sizeof out);
	return atoi(out);
}

static void test_source(void)
{
	struct lb_ctx ctx = {0};
	struct lb_span sp = { loop, 0, 0 };
	struct lb_dev *d;

	CHECK("block: source opens", lb_dev_open(&ctx, &sp, LB_DEV_READ, 0, &d) == 0);
	CHECK("block: size from BLKGETSIZE64", d->size == 8 << 20 && d->is_block);
	CHECK("block: sector sizes", d->logical_sector >= 512 && d->physical_sector >= d->logical_sector);
	CHECK("block: read-only in the kernel while open", getro() == 1);
	CHECK("block: source refuses zeroing", lb_dev_zero(d, 0, 4096) == -EBADF);
	lb_dev_close(d);
	CHECK("block: writable again after close", getro() == 0);
}

static void test_target(void)
{
	struct lb_ctx ctx = {0};
	struct lb_span sp = { loop, 0, 0 };
	struct lb_dev *d, *d2;
	unsigned char buf[8192], ones[8192];

	memset(ones, 0xff, sizeof ones);
	CHECK("block: target opens O_EXCL", lb_dev_open(&ctx, &sp, LB_DEV_WRITE, 0, &d) == 0);
	CHECK("block: a second writer gets EBUSY", lb_dev_open(&ctx, &sp, LB_DEV_WRITE, 0, &d2) == -EBUSY &&
	      strstr(ctx.msg, "in use"));
	lb_dev_pwrite(d, ones, sizeof ones, 0);
	CHECK("block: zero with unaligned edges", lb_dev_zero(d, 100, 8000) == 0);
	lb_dev_pread(d, buf, sizeof buf, 0);
	CHECK("block: zeroed bytes read back as zeros", buf[100] == 0 && buf[8099] == 0 &&
	      !memcmp(buf + 100, (unsigned char[8000]){0}, 8000));
	CHECK("block: bytes around the zeroed range kept", buf[99] == 0xff && buf[8100] == 0xff);
	CHECK("block: write past the end is ENOSPC", lb_dev_pwrite(d, ones, 512, 8 << 20) == -ENOSPC);
	CHECK("block: flush", lb_dev_flush(d) == 0);
	lb_dev_close(d);
	sh("blockdev --setro %s", loop, NULL, 0);
	CHECK("block: a read-only device is refused as target",
	      lb_dev_open(&ctx, &sp, LB_DEV_WRITE, 0, &d) == -EROFS);
	sh("blockdev --setrw %s", loop, NULL, 0);
}

int main(void)
{
	char img[300];

	if (getuid() != 0) {
		printf("SKIP block backend — needs root for loop devices\n");
		return 0;
	}
	if (!mkdtemp(dir))
		return 1;
	snprintf(img, sizeof img, "%s/disk.img", dir);
	sh("truncate -s 8M %s", img, NULL, 0);
	if (sh("losetup -f --show %s 2>/dev/null", img, loop, sizeof loop) != 0 || !loop[0]) {
		printf("SKIP block backend — losetup failed\n");
	} else {
		test_source();
		test_target();
		sh("losetup -d %s", loop, NULL, 0);
	}
	sh("rm -rf %s", dir, NULL, 0);
	UNIT_EXIT();
}
