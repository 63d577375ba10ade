/* t_dev_clone.c — unit tests of lb_clone on regular files: identical
 * bytes, holes for zeros, a failing source (fault map), a fake-capacity
 * target caught by verify-after (C007), refusals, cancel (C066). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lifeboat.h"
#include "unit.h"

static char dir[] = "/tmp/t_dev_clone.XXXXXX";
static char src[300], dst[300];

/* 16 MiB: data in the first and last MiB, zeros between. */
static void make_source(void)
{
	char buf[4096];
	int fd = open(src, O_CREAT | O_RDWR | O_TRUNC, 0644);

	for (int i = 0; i < 256; i++) {
		memset(buf, i, sizeof buf);
		(void)!pwrite(fd, buf, sizeof buf, (off_t)i * 4096);
		(void)!pwrite(fd, buf, sizeof buf, (15 << 20) + (off_t)i * 4096);
	}
	(void)!ftruncate(fd, 16 << 20);
	close(fd);
}

static int same_files(const char *a, const char *b)
{
	char cmd[700];

	snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
	return system(cmd) == 0;
}

static void test_copy(void)
{
	struct lb_ctx ctx = {0};
	struct lb_clone_opts o = { .source = { src, 0, 0 }, .target = { dst, 0, 0 },
				   .confirmed = 1, .verify_after = 1 };
	struct stat st;

	CHECK("clone: file to new file succeeds", lb_clone(&ctx, &o) == 0);
	CHECK("clone: bytes identical", same_files(src, dst));
	stat(dst, &st);
	CHECK("clone: target has the source's size", st.st_size == 16 << 20);
	CHECK("clone: zero area is a hole", st.st_blocks * 512 <= 4 << 20);
}

static void test_refusals(void)
{
	struct lb_ctx ctx = {0};
	struct lb_clone_opts o = { .source = { src, 0, 0 }, .target = { dst, 0, 0 } };

	CHECK("clone: unconfirmed is refused", lb_clone(&ctx, &o) == -LB_EREFUSED &&
	      lb_exit_code(-LB_EREFUSED) == LB_EXIT_REFUSED);
	o.confirmed = 1;
	o.target = (struct lb_span){ dst, 0, 1 << 20 };
	CHECK("clone: too small a range is refused", lb_clone(&ctx, &o) == -LB_EREFUSED &&
	      strstr(ctx.msg, "too small") && strstr(ctx.msg, "16777216 bytes"));
	o.target = (struct lb_span){ src, 0, 0 };
	CHECK("clone: onto its own source is refused", lb_clone(&ctx, &o) == -LB_EREFUSED);
}

static void test_bad_source(void)
{
	struct lb_ctx ctx = {0};
	char fsrc[320], map[320], out[320];
	struct lb_clone_opts o = { .source = { fsrc, 0, 0 }, .target = { out, 0, 0 },
				   .confirmed = 1 };
	FILE *f;
	int r;

	snprintf(fsrc, sizeof fsrc, "fault:%s", src);
	snprintf(map, sizeof map, "%s/map", dir);
	snprintf(out, sizeof out, "%s/out2.img", dir);
	f = fopen(map, "w");
	fprintf(f, "0 +\n0 0x800000 +\n0x800000 0x200 -\n0x800200 0x7ffe00 +\n");
	fclose(f);
	setenv("LIFEBOAT_FAULT_MAP", map, 1);
	r = lb_clone(&ctx, &o);
	unsetenv("LIFEBOAT_FAULT_MAP");
	CHECK("fault: clone fails with EIO", r == -EIO && lb_exit_code(r) == LB_EXIT_SOURCE_IO);
	CHECK("fault: message names device, offset, cause",
	      strstr(ctx.msg, src) && strstr(ctx.msg, "8388608") &&
	      strstr(ctx.msg, "Input/output error"));
}

static void test_fake_capacity(void)
{
	struct lb_ctx ctx = {0};
	char fdst[340], out[320];
	struct lb_clone_opts o = { .source = { src, 0, 0 }, .target = { fdst, 0, 0 },
				   .confirmed = 1, .verify_after = 1 };
	int r;

	snprintf(out, sizeof out, "%s/fake.img", dir);
	snprintf(fdst, sizeof fdst, "fault:%s", out);
	/* wraps at a power of two: the marker probe sees it before copying */
	setenv("LIFEBOAT_FAULT_ALIAS", "0x800000", 1);
	r = lb_clone(&ctx, &o);
	CHECK("alias 8 MiB: the capacity probe refuses before copying",
	      r == -LB_ETARGET && lb_exit_code(r) == LB_EXIT_TARGET_IO &&
	      strstr(ctx.msg, "wraps around") && strstr(ctx.msg, "holds only 8388608 bytes"));
	/* wraps at 9.5 MiB: the probe cannot see it, verify-after does */
	setenv("LIFEBOAT_FAULT_ALIAS", "0x980000", 1);
	r = lb_clone(&ctx, &o);
	unsetenv("LIFEBOAT_FAULT_ALIAS");
	CHECK("alias 9.5 MiB: verify-after reports a mismatch", r == -LB_EMISMATCH &&
	      lb_exit_code(r) == LB_EXIT_MISMATCH);
	printf("# %s\n", ctx.msg);
	CHECK("alias: names the first bad byte", strstr(ctx.msg, "at byte 4096 ") != NULL);
}

static int cancel_now(const struct lb_progress *p, void *u)
{
	(void)p; (void)u;
	return 1;
}

static void test_cancel(void)
{
	struct lb_ctx ctx = { .progress = cancel_now };
	char out[320];
	struct lb_clone_opts o = { .source = { src, 0, 0 }, .target = { out, 0, 0 },
				   .confirmed = 1 };
	int r;

	snprintf(out, sizeof out, "%s/cancel.img", dir);
	r = lb_clone(&ctx, &o);
	CHECK("cancel: job fails, never success", r == -ECANCELED &&
	      lb_exit_code(r) == LB_EXIT_CANCELLED && strstr(ctx.msg, "incomplete"));
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir))
		return 1;
	snprintf(src, sizeof src, "%s/src.img", dir);
	snprintf(dst, sizeof dst, "%s/dst.img", dir);
	make_source();
	test_copy();
	test_refusals();
	test_bad_source();
	test_fake_capacity();
	test_cancel();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)!system(cmd);
	UNIT_EXIT();
}
