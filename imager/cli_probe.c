/*
 * cli_probe.c — `lifeboat probe DISK`: what Lifeboat sees on a disk or
 * image file before a backup — the partition table with its findings
 * (backup GPT, protective/hybrid MBR, entries past the end), and for each
 * partition the filesystem (type, label, UUID) and the imaging mode it
 * would get (used-blocks or raw) with the reason; with --table gpt|mbr,
 * what that choice would do on a disk whose GPT and MBR disagree (C013).
 * Read-only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#include "probe.h"

static void print_plan(const struct lb_disk_plan *p, uint64_t size)
{
	static char buf[65536];

	lb_pt_describe(&p->pt, buf, sizeof(buf));
	cli_put_escaped(buf, 0);
	if (p->raw)
		cli_put_text("whole disk: raw (%s)\n", p->reason);
	for (size_t i = 0; i < p->nparts; i++) {
		const struct lb_part_plan *q = &p->parts[i];
		cli_put_text("%s %u: start %llu, %llu bytes, %s%s%s%s uuid %s: %s, %llu bytes used: %s\n",
		       q->number ? "partition" : "whole disk", q->number,
		       (unsigned long long)q->start, (unsigned long long)q->size,
		       q->fs.type[0] ? q->fs.type : "unknown",
		       q->fs.label[0] ? " label \"" : "", q->fs.label,
		       q->fs.label[0] ? "\"" : "", q->fs.uuid[0] ? q->fs.uuid : "-",
		       q->fs.mode == LB_FS_USED ? "used-blocks" : "raw",
		       (unsigned long long)q->fs.used_bytes, q->fs.reason);
	}
	cli_put_text("to store: %llu of %llu bytes (before zero detection and compression)\n",
	       (unsigned long long)p->used_bytes, (unsigned long long)size);
}

int cli_probe(int argc, char **argv)
{
	struct lb_span span = { 0 };
	struct lb_disk_plan *p = NULL;
	enum lb_table_choice table = LB_TABLE_AUTO;
	struct lb_ctx ctx;
	int r;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cli_help_cmd("probe");
	/* probe DISK [--table gpt|mbr] (C013: see what the choice would do) */
	if (argc == 4 && !strcmp(argv[2], "--table")) {
		if (!strcmp(argv[3], "gpt")) table = LB_TABLE_GPT;
		else if (!strcmp(argv[3], "mbr")) table = LB_TABLE_MBR;
		else return cli_usage_error("probe", "--table takes gpt or mbr");
		argc = 2;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error("probe", "probe takes one DISK");
	cli_ctx_init(&ctx);
	ctx.log = NULL;         /* the plan is printed below, not logged */
	span.path = argv[1];
	if ((r = lb_plan_source_choice(&ctx, &span, table, &p)) < 0)
		return cli_fail("probe", &ctx, r);
	cli_put_text("%s\n", argv[1]);
	print_plan(p, p->pt.disk_size);
	lb_plan_free(p);
	free(p);
	return LB_EXIT_OK;
}
