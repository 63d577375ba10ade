/*
 * pt_areas.c — what a table means for imaging and for a target's size.
 *
 * lb_pt_table_areas(): the bytes outside every data partition (sector 0,
 * the whole post-MBR gap measured to the lowest start over all entries —
 * not entry 1's, case C021 —, EBRs, both GPT areas, gaps, the tail), and
 * the other table's areas a C013 choice keeps (pt->keep).
 * lb_pt_check_fit(): the fit check a restore or clone makes before its
 * first write (cases C001, C003), sized from the table's own entry-array
 * geometry, never a constant (C009, C016).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pt.h"
#include "pt_disk.h"

int lb_pt_table_areas(const struct lb_pt *pt, struct lb_extmap *map)
{
	uint64_t s[LB_PT_MAX], e[LB_PT_MAX], pos = 0;
	size_t n = 0;
	int r;

	for (size_t i = 0; i < pt->nparts; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (p->is_extended || !p->size_lba)
			continue;
		uint64_t a = lb_pt_start(pt, p), b = a + lb_pt_bytes(pt, p);
		size_t j = n++;
		for (; j > 0 && s[j - 1] > a; j--) {   /* insertion sort */
			s[j] = s[j - 1];
			e[j] = e[j - 1];
		}
		s[j] = a;
		e[j] = b;
	}
	for (size_t i = 0; i < n && pos < pt->disk_size; i++) {
		if (s[i] > pos && (r = lb_extmap_add(map, pos,
				(s[i] < pt->disk_size ? s[i] : pt->disk_size) - pos)))
			return r;
		if (e[i] > pos)
			pos = e[i];
	}
	if (pos < pt->disk_size && (r = lb_extmap_add(map, pos, pt->disk_size - pos)))
		return r;
	for (unsigned i = 0; i < pt->nkeep && i < 3; i++)  /* C013 */
		if ((r = lb_extmap_add(map, pt->keep[i].off, pt->keep[i].len)))
			return r;
	return 0;
}

/* Sectors a GPT needs after its last partition: backup array + header. */
static uint64_t gpt_tail_lbas(const struct lb_pt *pt)
{
	uint64_t arr = (uint64_t)pt->nentries * pt->entry_size;

	if (pt->kind != LB_PT_GPT)
		return 0;
	if (arr < GPT_MIN_ARRAY_BYTES)
		arr = GPT_MIN_ARRAY_BYTES;
	return (arr + pt->sector - 1) / pt->sector + 1;
}

uint64_t lb_pt_min_size(const struct lb_pt *pt)
{
	uint64_t end = pt->kind == LB_PT_GPT ? pt->first_usable : 1;

	for (size_t i = 0; i < pt->nparts; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (p->start_lba + p->size_lba > end)
			end = p->start_lba + p->size_lba;
	}
	return (end + gpt_tail_lbas(pt)) * pt->sector;
}

int lb_pt_check_fit(struct lb_ctx *ctx, const struct lb_pt *pt,
		    uint64_t target_size)
{
	uint64_t tail = gpt_tail_lbas(pt), lbas = target_size / pt->sector;

	for (size_t i = 0; i < pt->nparts; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		uint64_t end = p->start_lba + p->size_lba;      /* exclusive */
		if (end + tail <= lbas)
			continue;
		snprintf(ctx->msg, sizeof(ctx->msg),
			 "partition %u ends at LBA %llu but the target has only %llu bytes (%llu sectors of %u bytes)%s; it needs at least %llu bytes, %llu more",
			 p->number, (unsigned long long)(end - 1),
			 (unsigned long long)target_size,
			 (unsigned long long)lbas, pt->sector,
			 tail ? ", and the backup GPT needs room after it" : "",
			 (unsigned long long)lb_pt_min_size(pt),
			 (unsigned long long)(lb_pt_min_size(pt) - target_size));
		return -ENOSPC;
	}
	return 0;
}

static void guid_str(const uint8_t *g, char *out)
{
	sprintf(out, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		lb_le32(g), lb_le16(g + 4), lb_le16(g + 6), g[8], g[9], g[10],
		g[11], g[12], g[13], g[14], g[15]);
}

void lb_pt_describe(const struct lb_pt *pt, char *buf, size_t len)
{
	char g[40];
	size_t o = 0;

	if (pt->kind == LB_PT_GPT)
		guid_str(pt->disk_guid, g);
	else
		snprintf(g, sizeof(g), "%08x", pt->mbr_signature);
	o += (size_t)snprintf(buf + o, len - o, "table: %s, sector size: %u, id: %s%s%s\n",
		lb_pt_kind_name(pt->kind), pt->sector,
		pt->kind ? g : "-",
		pt->pmbr == LB_PMBR_HYBRID ? ", hybrid MBR" : "",
		pt->raw ? ", untrusted (imaged raw)" : "");
	for (size_t i = 0; i < pt->nparts && o < len; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (pt->kind == LB_PT_GPT)
			guid_str(p->type_guid, g);
		else
			snprintf(g, sizeof(g), "0x%x", p->mbr_type);
		o += (size_t)snprintf(buf + o, len - o, "#%u: %llu %llu %s%s%s\n",
			p->number, (unsigned long long)p->start_lba,
			(unsigned long long)p->size_lba, g,
			p->is_extended ? " extended" : "",
			p->is_logical ? " logical" : "");
	}
	if (pt->notes[0] && o < len)
		snprintf(buf + o, len - o, "notes: %s\n", pt->notes);
}
