/* t_pt_choice.c — case C013 on a disk built in memory (a valid GPT and an
 * MBR with real records, no 0xEE): each --table choice, the areas a choice
 * keeps, the LBPT trailer that records it; and the filesystem sector-size
 * check of C025/C026 on hand-made NTFS and exFAT boot sectors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "unit.h"
#include "probe.h"
#include "pt.h"
#include "pt_disk.h"

#define SS 512u
#define LBAS 16384u

struct mem { uint8_t *p; size_t n; };
static int64_t rd(struct lb_dev *d, void *b, size_t n, uint64_t o)
{ struct mem *m = d->priv; if (o >= m->n) return 0; if (n > m->n - o) n = m->n - o; memcpy(b, m->p + o, n); return (int64_t)n; }
static int64_t wr(struct lb_dev *d, const void *b, size_t n, uint64_t o) { return -EROFS; }
static int zr(struct lb_dev *d, uint64_t o, uint64_t n) { return 0; }
static int fl(struct lb_dev *d) { return 0; }
static const struct lb_dev_ops ops = { rd, wr, zr, fl, fl };

static struct lb_dev dev_of(struct mem *m)
{
	struct lb_dev d = { .ops = &ops, .fd = -1, .priv = m, .size = m->n, .logical_sector = SS };
	strcpy(d.path, "mem");
	return d;
}

/* GPT partition 1 at 8192-12287; MBR records 2048+2048 (0x83) and
 * 4096+2048 (0x07), no 0xEE. */
static uint8_t *make_c013(void)
{
	uint8_t *p = calloc(LBAS, SS), *e = p + 2 * SS;
	uint32_t ecrc;

	e[0] = 0xaf;
	lb_put_le64(e + GPTE_FIRST, 8192);
	lb_put_le64(e + GPTE_LAST, 12287);
	ecrc = (uint32_t)crc32(0, e, 128 * 128);
	memcpy(p + (LBAS - 33) * SS, e, 32 * SS);
	for (int b = 0; b < 2; b++) {
		uint8_t *h = p + (b ? LBAS - 1 : 1) * SS;
		memcpy(h, "EFI PART", 8);
		lb_put_le32(h + GPT_REVISION, 0x10000);
		lb_put_le32(h + GPT_HEADER_SIZE, 92);
		lb_put_le64(h + GPT_MY_LBA, b ? LBAS - 1 : 1);
		lb_put_le64(h + GPT_ALTERNATE_LBA, b ? 1 : LBAS - 1);
		lb_put_le64(h + GPT_FIRST_USABLE, 34);
		lb_put_le64(h + GPT_LAST_USABLE, LBAS - 34);
		lb_put_le64(h + GPT_ENTRIES_LBA, b ? LBAS - 33 : 2);
		lb_put_le32(h + GPT_NUM_ENTRIES, 128);
		lb_put_le32(h + GPT_ENTRY_SIZE, 128);
		lb_put_le32(h + GPT_ENTRIES_CRC, ecrc);
		lb_put_le32(h + GPT_HEADER_CRC, (uint32_t)crc32(0, h, 92));
	}
	for (int i = 0; i < 2; i++) {
		uint8_t *r = p + MBR_TABLE + 16 * i;
		r[MBR_REC_TYPE] = i ? 0x07 : 0x83;
		lb_put_le32(r + MBR_REC_START, 2048 + 2048 * (uint32_t)i);
		lb_put_le32(r + MBR_REC_SIZE, 2048);
	}
	p[510] = 0x55; p[511] = 0xaa;
	return p;
}

/* MAP covers [OFF, OFF+LEN) entirely. */
static int covers(const struct lb_extmap *map, uint64_t off, uint64_t len)
{
	struct lb_extmap one;
	int r;

	lb_extmap_init(&one);
	lb_extmap_add(&one, off, len);
	lb_extmap_finish(&one);
	lb_extmap_add_map(&one, map, 0);
	lb_extmap_finish(&one);
	r = lb_extmap_bytes(&one) == lb_extmap_bytes(map);
	lb_extmap_free(&one);
	return r;
}

static void choices(void)
{
	static struct lb_pt pt;
	struct lb_ctx ctx = { 0 };
	struct mem m = { make_c013(), (size_t)LBAS * SS };
	struct lb_dev d = dev_of(&m);
	struct lb_extmap map;

	CHECK("C013: no choice: conflict, raw, note names --table and both lists",
	      lb_pt_read(&ctx, &d, &pt) == 0 && (pt.flags & LB_PTF_CONFLICT) && pt.raw &&
	      strstr(pt.notes, "--table gpt (GPT lists #1 LBA 8192+4096)") &&
	      strstr(pt.notes, "--table mbr (MBR lists #1 LBA 2048+2048 type 0x83, #2 LBA 4096+2048 type 0x07)"));
	CHECK("C013: --table gpt: GPT trusted, one partition, sector 0 an outside area",
	      lb_pt_read_choice(&ctx, &d, LB_TABLE_GPT, &pt) == 0 && !pt.raw &&
	      pt.kind == LB_PT_GPT && pt.chosen == LB_TABLE_GPT && pt.nparts == 1);
	lb_extmap_init(&map);
	lb_pt_table_areas(&pt, &map);
	lb_extmap_finish(&map);
	CHECK("C013: --table gpt areas: sector 0 and both GPT areas stored",
	      covers(&map, 0, 34 * SS) && covers(&map, (LBAS - 33) * (uint64_t)SS, 33 * SS));
	lb_extmap_free(&map);
	CHECK("C013: --table mbr: MBR trusted, two partitions, GPT areas kept",
	      lb_pt_read_choice(&ctx, &d, LB_TABLE_MBR, &pt) == 0 && !pt.raw &&
	      pt.kind == LB_PT_MBR && pt.chosen == LB_TABLE_MBR && pt.nparts == 2 &&
	      pt.nkeep >= 2 && pt.keep[0].off == SS && pt.keep[0].len == 33 * SS);
	/* an MBR partition over the backup GPT: the keep ranges still store it */
	lb_put_le32(m.p + MBR_TABLE + 16 + MBR_REC_START, LBAS - 2048);
	lb_put_le32(m.p + MBR_TABLE + 16 + MBR_REC_SIZE, 2048);
	lb_pt_read_choice(&ctx, &d, LB_TABLE_MBR, &pt);
	lb_extmap_init(&map);
	lb_pt_table_areas(&pt, &map);
	lb_extmap_finish(&map);
	CHECK("C013: --table mbr: the backup GPT inside MBR partition 2 is still stored",
	      pt.kind == LB_PT_MBR && covers(&map, (LBAS - 33) * (uint64_t)SS, 33 * SS) &&
	      covers(&map, SS, 33 * SS));
	lb_extmap_free(&map);
	m.p[MBR_TABLE + MBR_REC_TYPE] = 0xee;   /* now a hybrid: no conflict */
	lb_put_le32(m.p + MBR_TABLE + MBR_REC_START, 1);
	CHECK("C013: a choice on a disk without the conflict changes nothing, and says so",
	      lb_pt_read_choice(&ctx, &d, LB_TABLE_MBR, &pt) == 0 && pt.kind == LB_PT_GPT &&
	      pt.chosen == LB_TABLE_AUTO && strstr(pt.notes, "changes nothing"));
	free(m.p);
}

static void trailer(void)
{
	static struct lb_disk_plan plan;
	static uint8_t buf[8 + 64 * LB_PART_MODE_BYTES + 64];
	static struct lb_part_mode v[LB_MAX_PART_MODES];
	char msg[200];
	uint32_t n = 0;
	size_t len;

	memset(&plan, 0, sizeof plan);
	plan.nparts = 1;
	plan.parts[0].number = 1;
	strcpy(plan.parts[0].fs.type, "vfat");
	plan.pt.chosen = LB_TABLE_GPT;
	len = lb_plan_encode(&plan, buf, sizeof buf);
	CHECK("LBPT trailer: written after the records", len == 8 + LB_PART_MODE_BYTES + 8);
	CHECK("LBPT trailer: version-1 decoder still reads the records",
	      lb_part_modes_decode(buf, len, v, LB_MAX_PART_MODES, &n, msg, sizeof msg) == 0 &&
	      n == 1 && !strcmp(v[0].fstype, "vfat"));
	CHECK("LBPT trailer: choice read back", lb_part_modes_choice(buf, len) == LB_TABLE_GPT);
	CHECK("LBPT trailer: cut short reads as no choice", lb_part_modes_choice(buf, len - 1) == LB_TABLE_AUTO);
	buf[len - 1] = 7;
	CHECK("LBPT trailer: unknown value reads as no choice", lb_part_modes_choice(buf, len) == LB_TABLE_AUTO);
	plan.pt.chosen = LB_TABLE_AUTO;
	CHECK("LBPT trailer: none without a choice (images stay as before)",
	      lb_plan_encode(&plan, buf, sizeof buf) == 8 + LB_PART_MODE_BYTES);
}

static void sectors(void)
{
	static struct lb_pt pt;
	struct lb_ctx ctx = { 0 };
	struct mem m = { calloc(1, 1 << 20), 1 << 20 };
	struct lb_dev d = dev_of(&m);

	memset(&pt, 0, sizeof pt);
	m.p[0] = 0xeb; memcpy(m.p + 3, "NTFS    ", 8);
	m.p[11] = 0x00; m.p[12] = 0x02;         /* BytesPerSector 512 */
	CHECK("C025: NTFS (512) onto 4096-byte sectors refused, named",
	      lb_pt_sector_check(&ctx, &d, &pt, 4096, "/dev/x") == -LB_EREFUSED &&
	      strstr(ctx.msg, "NTFS made for 512-byte sectors") && strstr(ctx.msg, "4096-byte logical sectors"));
	CHECK("C025: NTFS (512) onto 512-byte sectors fine", lb_pt_sector_check(&ctx, &d, &pt, 512, "/dev/x") == 0);
	memset(m.p, 0, 512);
	memcpy(m.p + 3, "EXFAT   ", 8); m.p[108] = 12;
	CHECK("C026: exFAT shift 12 onto 4096 fine, onto 512 refused",
	      lb_pt_sector_check(&ctx, &d, &pt, 4096, "/dev/x") == 0 &&
	      lb_pt_sector_check(&ctx, &d, &pt, 512, "/dev/x") == -LB_EREFUSED &&
	      strstr(ctx.msg, "exFAT made for 4096-byte sectors (BytesPerSectorShift at byte 108)"));
	free(m.p);
}

int main(void)
{
	choices();
	trailer();
	sectors();
	UNIT_EXIT();
}
