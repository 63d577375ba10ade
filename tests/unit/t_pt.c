/* t_pt.c — the MBR/GPT readers and the GPT fixup on disks built in memory:
 * CRC damage in either copy, hostile entry counts, EBR loops, overlap,
 * and a fixup onto a larger disk checked by re-reading. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "unit.h"
#include "pt.h"
#include "pt_disk.h"

#define SS 512u

struct mem { uint8_t *p; size_t n; };
static int64_t rd(struct lb_dev *d, void *b, size_t n, uint64_t o)
{ struct mem *m = d->priv; if (o >= m->n) return 0; if (n > m->n - o) n = m->n - o; memcpy(b, m->p + o, n); return (int64_t)n; }
static int64_t wr(struct lb_dev *d, const void *b, size_t n, uint64_t o)
{ struct mem *m = d->priv; if (o + n > m->n) return -28; memcpy(m->p + o, b, n); return (int64_t)n; }
static int zr(struct lb_dev *d, uint64_t o, uint64_t n) { return 0; }
static int fl(struct lb_dev *d) { return 0; }
static const struct lb_dev_ops ops = { rd, wr, zr, fl, fl };

static struct lb_dev dev_of(struct mem *m)
{
	struct lb_dev d = { .ops = &ops, .fd = -1, .priv = m, .size = m->n, .logical_sector = SS };
	strcpy(d.path, "mem");
	return d;
}

static void crc_hdr(uint8_t *h)
{
	memset(h + GPT_HEADER_CRC, 0, 4);
	lb_put_le32(h + GPT_HEADER_CRC, (uint32_t)crc32(0, h, 92));
}

/* A GPT disk of LBAS sectors: 128 entries, partitions (2048,4095), (4096,8191). */
static uint8_t *make_gpt(uint64_t lbas)
{
	uint8_t *p = calloc(lbas, SS), *h, *e = p + 2 * SS;
	uint32_t ecrc;

	p[446 + 4] = 0xee; lb_put_le32(p + 446 + 8, 1); lb_put_le32(p + 446 + 12, (uint32_t)(lbas - 1));
	p[510] = 0x55; p[511] = 0xaa;
	for (int i = 0; i < 2; i++) {
		uint8_t *x = e + 128 * (i + 1);      /* entries 2 and 3: entry 1 empty */
		x[0] = 0xaf; x[1] = (uint8_t)i + 1;
		lb_put_le64(x + GPTE_FIRST, 2048 + 2048 * (uint64_t)i);
		lb_put_le64(x + GPTE_LAST, 4095 + 4096 * (uint64_t)i);
	}
	ecrc = (uint32_t)crc32(0, e, 128 * 128);
	memcpy(p + (lbas - 33) * SS, e, 32 * SS);
	for (int b = 0; b < 2; b++) {
		h = p + (b ? lbas - 1 : 1) * SS;
		memcpy(h, "EFI PART", 8);
		lb_put_le32(h + GPT_REVISION, 0x10000);
		lb_put_le32(h + GPT_HEADER_SIZE, 92);
		lb_put_le64(h + GPT_MY_LBA, b ? lbas - 1 : 1);
		lb_put_le64(h + GPT_ALTERNATE_LBA, b ? 1 : lbas - 1);
		lb_put_le64(h + GPT_FIRST_USABLE, 34);
		lb_put_le64(h + GPT_LAST_USABLE, lbas - 34);
		lb_put_le64(h + GPT_ENTRIES_LBA, b ? lbas - 33 : 2);
		lb_put_le32(h + GPT_NUM_ENTRIES, 128);
		lb_put_le32(h + GPT_ENTRY_SIZE, 128);
		lb_put_le32(h + GPT_ENTRIES_CRC, ecrc);
		crc_hdr(h);
	}
	return p;
}

static void gpt_cases(void)
{
	static struct lb_pt pt;
	struct lb_ctx ctx = { 0 };
	struct mem m = { make_gpt(16384), 16384 * SS };
	struct lb_dev d = dev_of(&m);

	CHECK("pt: GPT read", lb_pt_read(&ctx, &d, &pt) == 0 && pt.kind == LB_PT_GPT && pt.flags == 0);
	CHECK("pt: empty entry 1 hides nothing (C017)", pt.nparts == 2 && pt.parts[0].number == 2 && pt.parts[1].number == 3);
	m.p[SS + 60] ^= 1;      /* primary header damaged: CRC */
	lb_pt_read(&ctx, &d, &pt);
	CHECK("pt: bad primary CRC: backup used and said", pt.kind == LB_PT_GPT && (pt.flags & LB_PTF_GPT_PRIMARY_BAD) && pt.nparts == 2);
	m.p[SS + 60] ^= 1;
	m.p[(16384 - 33) * SS + 300] ^= 1;   /* backup entries damaged */
	lb_pt_read(&ctx, &d, &pt);
	CHECK("pt: bad backup array CRC is reported", (pt.flags & LB_PTF_GPT_BACKUP_BAD) && pt.nparts == 2);
	m.p[2 * SS + 300] ^= 1;              /* both arrays damaged */
	lb_pt_read(&ctx, &d, &pt);
	CHECK("pt: both copies bad: no GPT trusted, imaged raw", pt.kind != LB_PT_GPT && pt.raw);
	free(m.p);

	m.p = make_gpt(16384);
	lb_put_le32(m.p + SS + GPT_NUM_ENTRIES, 0xffffffffu);   /* hostile count */
	crc_hdr(m.p + SS);
	CHECK("pt: hostile entry count refused, backup used", lb_pt_read(&ctx, &d, &pt) == 0 && (pt.flags & LB_PTF_GPT_PRIMARY_BAD) && pt.nparts == 2);
	free(m.p);

	/* fixup onto a disk twice as large: backup moves, CRCs re-read clean */
	m.n = 32768 * SS;
	m.p = calloc(32768, SS);
	uint8_t *small = make_gpt(16384);
	memcpy(m.p, small, 16384 * SS);
	free(small);
	d = dev_of(&m);
	struct lb_pt_fixup_report rep;
	struct lb_pt_fixup_opts o = { .grow_last = 1 };
	int r = lb_pt_fixup_for_target(&ctx, &d, d.size, &o, &rep);
	lb_pt_read(&ctx, &d, &pt);
	CHECK("pt: fixup onto a larger disk: both copies valid at the new end",
	      r == 0 && pt.flags == 0 && pt.alternate_lba == 32767 && pt.last_usable == 32767 - 33);
	CHECK("pt: grow_last grew entry 3 to the last usable LBA",
	      rep.grew_part == 3 && pt.parts[1].start_lba + pt.parts[1].size_lba - 1 == 32767 - 33);
	CHECK("pt: stale backup header at the old end zeroed", memcmp(m.p + 16383 * SS, "EFI PART", 8) != 0);
	CHECK("pt: fit refuses a disk the partitions do not fit, naming one",
	      lb_pt_check_fit(&ctx, &pt, 16000 * SS) == -28 && strstr(ctx.msg, "partition 3 ends at LBA 32734"));
	free(m.p);
}

static void mbr_cases(void)
{
	static struct lb_pt pt;
	struct lb_ctx ctx = { 0 };
	struct mem m = { calloc(4096, SS), 4096 * SS };
	struct lb_dev d = dev_of(&m);
	uint8_t *r = m.p + 446;

	m.p[510] = 0x55; m.p[511] = 0xaa;
	r[4] = 0x83; lb_put_le32(r + 8, 2048); lb_put_le32(r + 12, 100);
	r += 16; r[4] = 0x05; lb_put_le32(r + 8, 3000); lb_put_le32(r + 12, 1000);
	/* EBR at 3000 pointing to itself: a loop */
	uint8_t *e = m.p + 3000 * SS;
	e[510] = 0x55; e[511] = 0xaa;
	e[446 + 4] = 0x83; lb_put_le32(e + 446 + 8, 10); lb_put_le32(e + 446 + 12, 20);
	e[462 + 4] = 0x05; lb_put_le32(e + 462 + 8, 0); lb_put_le32(e + 462 + 12, 100);
	CHECK("pt: EBR loop detected, walk bounded", lb_pt_read(&ctx, &d, &pt) == 0 && (pt.flags & LB_PTF_EBR_BAD) && pt.nparts == 3);
	r = m.p + 446 + 32; r[4] = 0x83; lb_put_le32(r + 8, 2100); lb_put_le32(r + 12, 100);
	lb_pt_read(&ctx, &d, &pt);
	CHECK("pt: overlapping entries: untrusted, raw", (pt.flags & LB_PTF_OVERLAP) && pt.raw);
	free(m.p);
}

int main(void)
{
	gpt_cases();
	mbr_cases();
	UNIT_EXIT();
}
