/*
 * lbprobe.c — test driver for the partition-table and used-block code.
 *
 *   lbprobe [-s SECTOR] pt FILE             table, findings, min size
 *   lbprobe fs FILE [OFF LEN]               libblkid probe + used map
 *   lbprobe fs FILE session BYTES           probe a multi-session offset
 *   lbprobe plan FILE                       per-partition modes, used bytes
 *   lbprobe fit FILE TARGET_BYTES           exit 3 when it does not fit
 *   lbprobe fixup FILE [grow] [newids] [keeppmbr]
 *   lbprobe copy-used SRC DST               DST = SRC's used bytes only
 *
 * Built by tests/tests.mk against the ASan libimager; the shell tests in
 * tests/pt use it to check the library before and besides the CLI.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lifeboat.h"
#include "dev.h"
#include "probe.h"

static struct lb_ctx ctx;
static uint32_t sector;

static struct lb_dev *open_dev(const char *path, enum lb_dev_mode mode)
{
	struct lb_span span = { .path = path };
	struct lb_dev *d = NULL;
	int r = lb_dev_open(&ctx, &span, mode, 0, &d);

	if (r) {
		fprintf(stderr, "lbprobe: %s\n", ctx.msg);
		exit(4);
	}
	if (sector)
		d->logical_sector = sector;
	return d;
}

static int cmd_pt(const char *path)
{
	struct lb_dev *d = open_dev(path, LB_DEV_READ);
	static struct lb_pt pt;
	static char buf[65536];
	int r = lb_pt_read(&ctx, d, &pt);

	if (r) {
		fprintf(stderr, "lbprobe: %s\n", ctx.msg);
		return 4;
	}
	lb_pt_describe(&pt, buf, sizeof(buf));
	printf("%sflags: 0x%x\nmin-size: %llu\n", buf, pt.flags,
	       (unsigned long long)lb_pt_min_size(&pt));
	lb_dev_close(d);
	return 0;
}

static void print_fs(const struct lb_fs_info *f)
{
	printf("TYPE=%s\nVERSION=%s\nLABEL=%s\nUUID=%s\nMODE=%s\nREASON=%s\nUSED=%llu\n",
	       f->type, f->version, f->label, f->uuid,
	       f->mode == LB_FS_USED ? "used-blocks" : "raw", f->reason,
	       (unsigned long long)f->used_bytes);
}

/* fs FILE session BYTES: probe only, at a multi-session offset */
static int cmd_session(const char *path, const char *bytes)
{
	struct lb_dev *d = open_dev(path, LB_DEV_READ);
	struct lb_fs_info f;

	memset(&f, 0, sizeof(f));
	if (lb_fs_probe_session(&ctx, d, 0, d->size, strtoull(bytes, NULL, 0), &f) < 0)
		return 1;
	print_fs(&f);
	lb_dev_close(d);
	return 0;
}

static int cmd_fs(const char *path, int argc, char **argv)
{
	struct lb_dev *d = open_dev(path, LB_DEV_READ);
	uint64_t off = argc > 0 ? strtoull(argv[0], NULL, 0) : 0;
	uint64_t len = argc > 1 ? strtoull(argv[1], NULL, 0) : d->size - off;
	struct lb_extmap m;
	struct lb_fs_info f;
	int r;

	lb_extmap_init(&m);
	r = lb_fs_used(&ctx, d, off, len, &m, &f);
	if (r)
		return fprintf(stderr, "lbprobe: error %d\n", r), 1;
	print_fs(&f);
	lb_extmap_free(&m);
	lb_dev_close(d);
	return 0;
}

static int plan(const char *path, struct lb_dev **dp, struct lb_disk_plan **pp)
{
	struct lb_disk_plan *p = malloc(sizeof(*p));
	int r;

	*dp = open_dev(path, LB_DEV_READ);
	if (!p || (r = lb_plan_used(&ctx, *dp, 0, p))) {
		fprintf(stderr, "lbprobe: %s\n", ctx.msg);
		exit(4);
	}
	*pp = p;
	return 0;
}

static int cmd_plan(const char *path)
{
	struct lb_disk_plan *p;
	struct lb_dev *d;

	plan(path, &d, &p);
	printf("table: %s raw=%d%s%s\n", lb_pt_kind_name(p->pt.kind), p->raw,
	       p->raw ? " reason: " : "", p->raw ? p->reason : "");
	for (size_t i = 0; i < p->nparts; i++) {
		struct lb_part_plan *q = &p->parts[i];
		printf("part %u start=%llu size=%llu type=%s mode=%s used=%llu reason: %s\n",
		       q->number, (unsigned long long)q->start,
		       (unsigned long long)q->size, q->fs.type,
		       q->fs.mode == LB_FS_USED ? "used-blocks" : "raw",
		       (unsigned long long)q->fs.used_bytes, q->fs.reason);
	}
	printf("used: %llu of %llu\n", (unsigned long long)p->used_bytes,
	       (unsigned long long)d->size);
	lb_plan_free(p);
	free(p);
	lb_dev_close(d);
	return 0;
}

/* Writes DST (same size as SRC) holding only SRC's used extents. */
static int cmd_copy_used(const char *src, const char *dst)
{
	struct lb_disk_plan *p;
	struct lb_dev *d;
	FILE *out;
	static char buf[1 << 20];

	plan(src, &d, &p);
	if (!(out = fopen(dst, "w")) || ftruncate(fileno(out), (off_t)d->size))
		return perror(dst), 5;
	for (size_t i = 0; i < p->used.n; i++) {
		uint64_t o = p->used.v[i].off, left = p->used.v[i].len;
		while (left) {
			size_t n = left < sizeof(buf) ? left : sizeof(buf);
			if (lb_dev_pread(d, buf, n, o) != (int64_t)n ||
			    pwrite(fileno(out), buf, n, (off_t)o) != (ssize_t)n)
				return fprintf(stderr, "copy failed at %llu\n", (unsigned long long)o), 5;
			o += n, left -= n;
		}
	}
	printf("copied %llu of %llu bytes\n", (unsigned long long)p->used_bytes,
	       (unsigned long long)d->size);
	fclose(out);
	lb_plan_free(p);
	free(p);
	lb_dev_close(d);
	return 0;
}

static int cmd_fit(const char *path, const char *size)
{
	struct lb_dev *d = open_dev(path, LB_DEV_READ);
	static struct lb_pt pt;

	if (lb_pt_read(&ctx, d, &pt))
		return fprintf(stderr, "lbprobe: %s\n", ctx.msg), 4;
	if (lb_pt_check_fit(&ctx, &pt, strtoull(size, NULL, 0))) {
		printf("refused: %s\n", ctx.msg);
		return 3;
	}
	printf("fits\n");
	return 0;
}

static int cmd_fixup(const char *path, int argc, char **argv)
{
	struct lb_dev *d = open_dev(path, LB_DEV_WRITE);
	struct lb_pt_fixup_opts o = {0};
	struct lb_pt_fixup_report rep;
	int r;

	for (int i = 0; i < argc; i++) {
		o.grow_last |= !strcmp(argv[i], "grow");
		o.new_ids |= !strcmp(argv[i], "newids");
		o.keep_pmbr |= !strcmp(argv[i], "keeppmbr");
	}
	r = lb_pt_fixup_for_target(&ctx, d, d->size, &o, &rep);
	if (r)
		return printf("refused: %s\n", ctx.msg), 3;
	printf("%s\n", rep.text);
	lb_dev_close(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "-s")) {
		sector = (uint32_t)atoi(argv[2]);
		argc -= 2, argv += 2;
	}
	if (argc < 3)
		return fprintf(stderr, "usage: lbprobe [-s N] pt|fs|plan|fit|fixup|copy-used FILE ...\n"), 2;
	const char *c = argv[1];
	if (!strcmp(c, "pt")) return cmd_pt(argv[2]);
	if (!strcmp(c, "fs") && argc == 5 && !strcmp(argv[3], "session"))
		return cmd_session(argv[2], argv[4]);
	if (!strcmp(c, "fs")) return cmd_fs(argv[2], argc - 3, argv + 3);
	if (!strcmp(c, "plan")) return cmd_plan(argv[2]);
	if (!strcmp(c, "fit") && argc > 3) return cmd_fit(argv[2], argv[3]);
	if (!strcmp(c, "fixup")) return cmd_fixup(argv[2], argc - 3, argv + 3);
	if (!strcmp(c, "copy-used") && argc > 3) return cmd_copy_used(argv[2], argv[3]);
	return fprintf(stderr, "lbprobe: unknown command %s\n", c), 2;
}
