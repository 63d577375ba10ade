/* t_dev.c — unit tests of the lb_dev layer: the file backend (create
 * sparse, spans, bounds, hole punching) and the fault injector. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev.h"
#include "unit.h"

static char dir[] = "/tmp/t_dev.XXXXXX";

static void path(char *out, const char *name)
{
	snprintf(out, 256, "%s/%s", dir, name);
}

static void test_create_sparse(void)
{
	struct lb_ctx ctx = {0};
	char p[256];
	struct lb_span sp = { 0 };
	struct lb_dev *d;
	struct stat st;
	char buf[4096];

	path(p, "new.img");
	sp.path = p;
	CHECK("create: opens a missing file", lb_dev_open(&ctx, &sp, LB_DEV_CREATE, 8 << 20, &d) == 0);
	CHECK("create: size is the requested size", d->size == 8 << 20);
	memset(buf, 0xab, sizeof buf);
	CHECK("create: write at the end", lb_dev_pwrite(d, buf, sizeof buf, (8 << 20) - 4096) == 4096);
	CHECK("create: write past the end is ENOSPC", lb_dev_pwrite(d, buf, 1, 8 << 20) == -ENOSPC);
	CHECK("create: flush", lb_dev_flush(d) == 0);
	lb_dev_close(d);
	stat(p, &st);
	CHECK("create: file has the size", st.st_size == 8 << 20);
	CHECK("create: file is sparse", st.st_blocks * 512 < 1 << 20);
}

static void test_span_and_zero(void)
{
	struct lb_ctx ctx = {0};
	char p[256], buf[8192], want[8192];
	struct lb_span sp = { 0 };
	struct lb_dev *d;
	struct stat st;
	int fd;

	path(p, "full.img");
	fd = open(p, O_CREAT | O_RDWR | O_TRUNC, 0644);
	memset(buf, 0x5a, sizeof buf);
	for (int i = 0; i < 256; i++)
		(void)!write(fd, buf, sizeof buf);     /* 2 MiB of data */
	close(fd);
	sp = (struct lb_span){ p, 1 << 20, 65536 };
	CHECK("span: open inside the file", lb_dev_open(&ctx, &sp, LB_DEV_WRITE, 0, &d) == 0);
	CHECK("span: size is the length", d->size == 65536);
	CHECK("span: read at the end is short", lb_dev_pread(d, buf, 8192, 65536 - 100) == 100);
	CHECK("span: zero punches", lb_dev_zero(d, 0, 65536) == 0);
	CHECK("span: zeros read back", lb_dev_pread(d, buf, 8192, 4096) == 8192 &&
	      memcmp(buf, (char[8192]){0}, 8192) == 0);
	lb_dev_close(d);
	stat(p, &st);
	CHECK("span: hole punched in the file", st.st_blocks * 512 <= (2 << 20) - 65536);
	fd = open(p, O_RDONLY);
	memset(want, 0x5a, sizeof want);
	CHECK("span: bytes before the span untouched",
	      pread(fd, buf, 8192, (1 << 20) - 8192) == 8192 && memcmp(buf, want, 8192) == 0);
	CHECK("span: bytes after the span untouched",
	      pread(fd, buf, 8192, (1 << 20) + 65536) == 8192 && memcmp(buf, want, 8192) == 0);
	close(fd);
	sp = (struct lb_span){ p, 2 << 20, 1 };
	CHECK("span: a range beyond the end is refused",
	      lb_dev_open(&ctx, &sp, LB_DEV_READ, 0, &d) == -ERANGE && strstr(ctx.msg, "outside"));
}

static void test_fault(void)
{
	struct lb_ctx ctx = {0};
	char p[256], m[256], fp[300], buf[4096];
	struct lb_span sp = { 0 };
	struct lb_dev *d;
	FILE *f;

	path(p, "full.img");
	path(m, "map");
	f = fopen(m, "w");
	fprintf(f, "# test map\n0x0 +\n0x0 0x100000 +\n0x100000 0x1000 -\n0x101000 0x100000 +\n");
	fclose(f);
	snprintf(fp, sizeof fp, "fault:%s", p);
	sp.path = fp;
	unsetenv("LIFEBOAT_FAULT_MAP");
	CHECK("fault: prefix without a map is refused", lb_dev_open(&ctx, &sp, LB_DEV_READ, 0, &d) == -EINVAL);
	setenv("LIFEBOAT_FAULT_MAP", m, 1);
	CHECK("fault: opens", lb_dev_open(&ctx, &sp, LB_DEV_READ, 0, &d) == 0);
	CHECK("fault: good range reads", lb_dev_pread(d, buf, 4096, 0) == 4096);
	CHECK("fault: bad range fails with EIO", lb_dev_pread(d, buf, 4096, 0xff800) == -EIO);
	CHECK("fault: after the bad range reads", lb_dev_pread(d, buf, 4096, 0x101000) == 4096);
	lb_dev_close(d);
	sp = (struct lb_span){ fp, 0x100000, 0 };
	CHECK("fault: map positions are disk bytes, not span bytes",
	      lb_dev_open(&ctx, &sp, LB_DEV_READ, 0, &d) == 0 &&
	      lb_dev_pread(d, buf, 512, 0) == -EIO && lb_dev_pread(d, buf, 512, 0x1000) == 512);
	lb_dev_close(d);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_create_sparse();
	test_span_and_zero();
	test_fault();
	{
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		(void)!system(cmd);
	}
	UNIT_EXIT();
}
