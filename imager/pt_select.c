/*
 * pt_select.c — "partition N" on a disk whose GPT and MBR disagree (case
 * C013, trial 2 finding F3).
 *
 * --partition N used to be resolved by libblkid's prober, which on such a
 * disk (valid GPT, MBR with real records and no 0xEE) silently reads the
 * MBR: backup --table gpt --partition 1 imaged MBR #1, and restore wrote
 * into the middle of a GPT partition.  Here the disk's tables are read with
 * our own parser (pt.c) first: on a disk without the disagreement nothing
 * changes (lb_partition_span, libblkid); on one with it, N numbers the
 * partitions of the table chosen with --table, and without a choice the
 * request is refused naming both tables' partition N and the flag.  The
 * same reading gives a front-end the chosen table's partitions to list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pt.h"

/* Reads DISK's table with CHOICE into a malloc'd *PT (read-only). */
static int read_table(struct lb_ctx *ctx, const char *disk,
		      enum lb_table_choice choice, struct lb_pt **pt)
{
	struct lb_span whole = { disk, 0, 0 };
	struct lb_dev *d;
	int r;

	if (!(*pt = malloc(sizeof(**pt))))
		return -ENOMEM;
	if ((r = lb_dev_open(ctx, &whole, LB_DEV_READ, 0, &d)) == 0) {
		r = lb_pt_read_choice(ctx, d, choice, *pt);
		lb_dev_close(d);
	}
	if (r < 0) {
		free(*pt);
		*pt = NULL;
	}
	return r;
}

/* Partition NUMBER of PT (no extended container), or NULL. */
static const struct lb_pt_part *find(const struct lb_pt *pt, uint32_t number)
{
	for (size_t i = 0; i < pt->nparts; i++)
		if (pt->parts[i].number == number && !pt->parts[i].is_extended)
			return &pt->parts[i];
	return NULL;
}

/* "GPT partition N is LBA a+b (c bytes)" or "the GPT has no partition N",
 * of table CHOICE of DISK, into OUT.  Returns 1 when the table has N. */
static int describe_n(struct lb_ctx *ctx, const char *disk,
		       enum lb_table_choice choice, uint32_t number,
		       char *out, size_t n)
{
	const char *t = choice == LB_TABLE_GPT ? "GPT" : "MBR";
	const struct lb_pt_part *p;
	struct lb_pt *pt;

	if (read_table(ctx, disk, choice, &pt) < 0) {
		snprintf(out, n, "the %s could not be read", t);
		return 0;
	}
	if ((p = find(pt, number)))
		snprintf(out, n, "%s partition %u is LBA %llu+%llu (%llu bytes)",
			 t, number, (unsigned long long)p->start_lba,
			 (unsigned long long)p->size_lba,
			 (unsigned long long)lb_pt_bytes(pt, p));
	else
		snprintf(out, n, "the %s has no partition %u", t, number);
	free(pt);
	return p != NULL;
}

/* The refusal for NUMBER on a disk whose tables disagree, no choice. */
static int ambiguous(struct lb_ctx *ctx, const char *disk, uint32_t number)
{
	char g[160], m[160];
	int found = describe_n(ctx, disk, LB_TABLE_GPT, number, g, sizeof g);

	found += describe_n(ctx, disk, LB_TABLE_MBR, number, m, sizeof m);
	if (!found) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: no partition %u in "
			 "either of its tables (%s; %s; its GPT and MBR "
			 "disagree: --table gpt or --table mbr chooses one)",
			 disk, number, g, m);
		return -ENOENT;
	}
	snprintf(ctx->msg, sizeof ctx->msg, "%s: its valid GPT and its MBR "
		 "disagree (an MBR with real partitions and no 0xEE record), "
		 "so partition %u is ambiguous: %s; %s.  Choose the table "
		 "with --table gpt or --table mbr", disk, number, g, m);
	return -ENOTUNIQ;
}

/* -ENOENT's message: the numbers TABLE does have. */
static void not_found(struct lb_ctx *ctx, const struct lb_pt *pt,
		      const char *disk, uint32_t number,
		      enum lb_table_choice table)
{
	char found[256] = "";
	size_t len = 0;

	for (size_t i = 0; i < pt->nparts && len + 16 < sizeof found; i++)
		if (!pt->parts[i].is_extended)
			len += (size_t)snprintf(found + len, sizeof found - len,
						"%s%u", len ? ", " : "",
						pt->parts[i].number);
	snprintf(ctx->msg, sizeof ctx->msg, "%s: no partition %u in the %s "
		 "(chosen with --table %s; partitions found: %s)", disk, number,
		 table == LB_TABLE_GPT ? "GPT" : "MBR",
		 table == LB_TABLE_GPT ? "gpt" : "mbr", len ? found : "none");
}

int lb_partition_span_table(struct lb_ctx *ctx, const char *disk,
			    uint32_t number, enum lb_table_choice table,
			    struct lb_span *out)
{
	const struct lb_pt_part *p;
	struct lb_pt *pt;
	int r, conflict;

	if ((r = read_table(ctx, disk, LB_TABLE_AUTO, &pt)) < 0)
		return r;
	conflict = !!(pt->flags & LB_PTF_CONFLICT);
	free(pt);
	if (!conflict)
		return lb_partition_span(ctx, disk, number, out);
	if (table == LB_TABLE_AUTO)
		return ambiguous(ctx, disk, number);
	if ((r = read_table(ctx, disk, table, &pt)) < 0)
		return r;
	if ((p = find(pt, number))) {
		*out = (struct lb_span){ disk, lb_pt_start(pt, p),
					 lb_pt_bytes(pt, p) };
	} else {
		r = -ENOENT;
		not_found(ctx, pt, disk, number, table);
	}
	free(pt);
	return r;
}

int lb_table_partitions(struct lb_ctx *ctx, const char *disk,
			enum lb_table_choice table, struct lb_partition *out,
			size_t max)
{
	struct lb_pt *pt;
	int r, n = 0;

	if ((r = read_table(ctx, disk, table, &pt)) < 0)
		return r;
	for (size_t i = 0; i < pt->nparts && (size_t)n < max; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (p->is_extended)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		out[n].number = p->number;
		out[n].start = lb_pt_start(pt, p);
		out[n].size = lb_pt_bytes(pt, p);
		n++;
	}
	free(pt);
	return n;
}
