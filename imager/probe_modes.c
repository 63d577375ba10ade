/*
 * probe_modes.c — per-partition imaging modes: from a plan, and to and
 * from the image's "LBPT" header extension.
 *
 * The backup records, for each partition, how it was imaged and why, so
 * that `lifeboat info` (and the screens) can say "partition 2: ntfs, raw:
 * Windows is hibernated".  The encoding is fixed-size records, big-endian
 * like the rest of the qcow2 header; the decoder checks the count against
 * the length and that every string is terminated (hostile images).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

/* The ')' closing the '(' at P, or NULL. */
static const char *closing(const char *p)
{
	int depth = 0;

	for (; *p; p++)
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
	return NULL;
}

/* SRC without its top-level " (...)" groups holding words (the lists of
 * partitions in a C013 note; "(s)" stays), into DST[N]. */
static void drop_groups(char *dst, size_t n, const char *src)
{
	const char *e;
	size_t k = 0;

	for (; *src && k + 1 < n; src++) {
		if (*src == '(' && (e = closing(src)) &&
		    memchr(src, ' ', (size_t)(e - src))) {
			if (k && dst[k - 1] == ' ')
				k--;
			src = e;
			continue;
		}
		dst[k++] = *src;
	}
	dst[k] = 0;
}

/* PREFIX and WHY into DST[N] (the image's 192-byte record): whole when it
 * fits, else without the parenthesised lists, else cut after a whole word
 * with " ..." — never mid-word (trial 2 F2). */
static void short_reason(char *dst, size_t n, const char *prefix,
			 const char *why)
{
	char tmp[1100];
	char *sp;

	if ((size_t)snprintf(dst, n, "%s%s", prefix, why) < n)
		return;
	drop_groups(tmp, sizeof tmp, why);
	if ((size_t)snprintf(dst, n, "%s%s", prefix, tmp) < n)
		return;
	dst[n - 5] = 0;
	if ((sp = strrchr(dst, ' ')))
		*sp = 0;
	strcat(dst, " ...");
}

/* One log line per partition: the backup says what it will do and why. */
static void log_modes(struct lb_ctx *ctx, const struct lb_disk_plan *p)
{
	char line[1100];

	if (!ctx->log)
		return;
	/* C013: say what decided; issue 6: say which table sector did not
	 * read and what was used instead */
	if (p->pt.chosen != LB_TABLE_AUTO ||
	    ((p->pt.flags & LB_PTF_IO) && !p->raw)) {
		snprintf(line, sizeof(line), "partition table: %.1000s", p->pt.notes);
		ctx->log(line, ctx->user);
	}
	if (p->raw) {
		snprintf(line, sizeof(line), "whole disk imaged raw: %.1000s", p->reason);
		ctx->log(line, ctx->user);
	}
	for (size_t i = 0; i < p->nparts; i++) {
		const struct lb_part_plan *q = &p->parts[i];
		snprintf(line, sizeof(line), "%s %u (%s): %s, %llu of %llu bytes: %.190s",
			 q->number ? "partition" : "whole disk", q->number,
			 q->fs.type[0] ? q->fs.type : "unknown",
			 q->fs.mode == LB_FS_USED ? "used-blocks" : "raw",
			 (unsigned long long)q->fs.used_bytes,
			 (unsigned long long)q->size, q->fs.reason);
		ctx->log(line, ctx->user);
	}
}

int lb_plan_source(struct lb_ctx *ctx, const struct lb_span *src,
		   struct lb_disk_plan **out)
{
	return lb_plan_source_choice(ctx, src, LB_TABLE_AUTO, out);
}

int lb_plan_source_choice(struct lb_ctx *ctx, const struct lb_span *src,
			  enum lb_table_choice choice,
			  struct lb_disk_plan **out)
{
	struct lb_disk_plan *p = malloc(sizeof(*p));
	struct lb_dev *d = NULL;
	int r;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	if ((r = lb_dev_open(ctx, src, LB_DEV_READ, 0, &d))) {
		free(p);
		return r;
	}
	r = lb_plan_used_choice(ctx, d, 0, choice, p);
	lb_dev_close(d);
	if (r) {
		lb_plan_free(p);
		free(p);
		return r;
	}
	*out = p;
	log_modes(ctx, p);
	return 0;
}

uint32_t lb_plan_modes(const struct lb_disk_plan *plan,
		       struct lb_part_mode *v, uint32_t cap)
{
	uint32_t n = 0;

	if (plan->raw && cap) {
		memset(v, 0, sizeof(*v));
		v->size = plan->pt.disk_size;
		v->used = plan->pt.disk_size;
		v->raw = 1;
		short_reason(v->reason, sizeof(v->reason), "whole disk raw: ",
			     plan->reason);     /* trial 2 F2 */
		return 1;
	}
	for (size_t i = 0; i < plan->nparts && n < cap; i++, n++) {
		const struct lb_part_plan *p = &plan->parts[i];
		memset(&v[n], 0, sizeof(v[n]));
		v[n].number = p->number;
		v[n].start = p->start;
		v[n].size = p->size;
		v[n].used = p->fs.used_bytes;
		v[n].raw = p->fs.mode == LB_FS_RAW;
		snprintf(v[n].fstype, sizeof(v[n].fstype), "%s", p->fs.type);
		snprintf(v[n].reason, sizeof(v[n].reason), "%s", p->fs.reason);
	}
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

size_t lb_part_modes_encode(const struct lb_part_mode *v, uint32_t n,
			    uint8_t *buf, size_t cap)
{
	size_t need = 8 + (size_t)n * LB_PART_MODE_BYTES;

	if (need > cap)
		return 0;
	memset(buf, 0, need);
	put32(buf, 1);
	put32(buf + 4, n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *r = buf + 8 + (size_t)i * LB_PART_MODE_BYTES;
		put32(r, v[i].number);
		put64(r + 4, v[i].start);
		put64(r + 12, v[i].size);
		put64(r + 20, v[i].used);
		put32(r + 28, (uint32_t)v[i].raw);
		memcpy(r + 32, v[i].fstype, 31);
		memcpy(r + 64, v[i].reason, 191);
	}
	return need;
}

/* Trailer after the records: "TBLC" and the choice (C013). */
#define TBL_MAGIC 0x54424c43u

size_t lb_plan_encode(const struct lb_disk_plan *plan, uint8_t *buf,
		      size_t cap)
{
	struct lb_part_mode *v = calloc(LB_MAX_PART_MODES, sizeof(*v));
	uint32_t n;
	size_t len = 0;

	if (!v)
		return 0;
	n = lb_plan_modes(plan, v, LB_MAX_PART_MODES);
	len = lb_part_modes_encode(v, n, buf, cap);
	free(v);
	if (len && plan->pt.chosen != LB_TABLE_AUTO) {
		if (len + 8 > cap)
			return 0;
		put32(buf + len, TBL_MAGIC);
		put32(buf + len + 4, (uint32_t)plan->pt.chosen);
		len += 8;
	}
	return len;
}

enum lb_table_choice lb_part_modes_choice(const uint8_t *buf, size_t len)
{
	uint64_t end;
	uint32_t v;

	if (!buf || len < 8 || get32(buf) != 1)
		return LB_TABLE_AUTO;
	end = 8 + (uint64_t)get32(buf + 4) * LB_PART_MODE_BYTES;
	if (end + 8 > len || get32(buf + end) != TBL_MAGIC)
		return LB_TABLE_AUTO;
	v = get32(buf + end + 4);
	return v == LB_TABLE_GPT || v == LB_TABLE_MBR ? (enum lb_table_choice)v
						      : LB_TABLE_AUTO;
}

int lb_part_modes_decode(const uint8_t *buf, size_t len,
			 struct lb_part_mode *v, uint32_t cap, uint32_t *n,
			 char *msg, size_t msgsz)
{
	uint32_t cnt;

	*n = 0;
	if (len < 8 || get32(buf) != 1) {
		snprintf(msg, msgsz, "LBPT extension: too short or unknown version");
		return -EBADMSG;
	}
	cnt = get32(buf + 4);
	if (cnt > cap || 8 + (uint64_t)cnt * LB_PART_MODE_BYTES > len) {
		snprintf(msg, msgsz, "LBPT extension: %u records do not fit its %zu bytes",
			 cnt, len);
		return -EBADMSG;
	}
	for (uint32_t i = 0; i < cnt; i++) {
		const uint8_t *r = buf + 8 + (size_t)i * LB_PART_MODE_BYTES;
		if (memchr(r + 32, 0, 32) == NULL || memchr(r + 64, 0, 192) == NULL ||
		    get32(r + 28) > 1) {
			snprintf(msg, msgsz, "LBPT extension: record %u malformed", i);
			return -EBADMSG;
		}
		v[i].number = get32(r);
		v[i].start = get64(r + 4);
		v[i].size = get64(r + 12);
		v[i].used = get64(r + 20);
		v[i].raw = (int)get32(r + 28);
		memcpy(v[i].fstype, r + 32, 32);
		memcpy(v[i].reason, r + 64, 192);
	}
	*n = cnt;
	return 0;
}

int lb_plan_for_verify(struct lb_ctx *ctx, const uint8_t *ext, size_t ext_len,
		       struct lb_dev *against, struct lb_disk_plan **out)
{
	struct lb_part_mode *v = malloc(LB_MAX_PART_MODES * sizeof(*v));
	char msg[256];
	uint32_t n = 0;
	int used = 0, r;

	*out = NULL;
	if (!v)
		return -ENOMEM;
	if (ext && !lb_part_modes_decode(ext, ext_len, v, LB_MAX_PART_MODES,
					 &n, msg, sizeof(msg)))
		for (uint32_t i = 0; i < n; i++)
			used |= !v[i].raw;
	free(v);
	if (!used)
		return 0;
	if (!(*out = malloc(sizeof(**out))))
		return -ENOMEM;
	if ((r = lb_plan_used_choice(ctx, against, 0,
				     lb_part_modes_choice(ext, ext_len), *out))) {
		lb_plan_free(*out);
		free(*out);
		*out = NULL;
	}
	return r;
}
