/*
 * fuzz_pt.c — libFuzzer target for the partition-table readers (MBR, EBR
 * chain, GPT; each --table choice, C013), the table-area, fit and
 * filesystem sector-size logic (C025), and the FAT, exFAT and NTFS superblock/bitmap readers.  The input is a whole disk held in memory
 * behind an lb_dev; its length's parity picks 512 or 4096-byte sectors.
 * Built by tests/fuzz/pt.mk with clang; tests/fuzz/t_fuzz_pt.sh replays
 * the corpus and runs a short bounded session.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dev.h"
#include "fs.h"
#include "pt.h"

struct mem { const uint8_t *p; size_t n; };

static int64_t m_pread(struct lb_dev *d, void *b, size_t n, uint64_t off)
{
	struct mem *m = d->priv;
	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = m->n - off;
	memcpy(b, m->p + off, n);
	return (int64_t)n;
}
static int64_t m_pwrite(struct lb_dev *d, const void *b, size_t n, uint64_t o) { return -30; }
static int m_zero(struct lb_dev *d, uint64_t o, uint64_t n) { return -30; }
static int m_flush(struct lb_dev *d) { return 0; }
static int m_close(struct lb_dev *d) { return 0; }
static const struct lb_dev_ops ops = { m_pread, m_pwrite, m_zero, m_flush, m_close };

static void fs_readers(struct lb_ctx *ctx, struct lb_dev *d)
{
	int (*fn[])(struct lb_ctx *, struct lb_dev *, uint64_t, uint64_t,
		    struct lb_extmap *, struct lb_fs_info *) = {
		lb_fs_fat_used, lb_fs_exfat_used, lb_fs_ntfs_used,
	};
	for (size_t i = 0; i < sizeof(fn) / sizeof(fn[0]); i++) {
		struct lb_extmap m;
		struct lb_fs_info info;
		memset(&info, 0, sizeof(info));
		lb_extmap_init(&m);
		if (fn[i](ctx, d, 0, d->size, &m, &info) == 0) {
			lb_extmap_finish(&m);
			(void)lb_extmap_bytes(&m);
		}
		lb_extmap_free(&m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_pt pt;
	struct mem m = { data, size };
	struct lb_dev d = { .ops = &ops, .fd = -1, .priv = &m, .size = size,
			    .logical_sector = size & 1 ? 4096 : 512 };
	struct lb_ctx ctx = { 0 };
	struct lb_extmap map;

	strcpy(d.path, "fuzz");
	/* C013: every table choice over the same bytes (size picks one) */
	enum lb_table_choice ch = (enum lb_table_choice)((size >> 1) % 3);
	if (lb_pt_read_choice(&ctx, &d, ch, &pt) == 0) {
		char buf[4096];
		lb_extmap_init(&map);
		lb_pt_table_areas(&pt, &map);
		lb_extmap_finish(&map);
		lb_extmap_free(&map);
		(void)lb_pt_min_size(&pt);
		(void)lb_pt_check_fit(&ctx, &pt, size / 2);
		lb_pt_describe(&pt, buf, sizeof(buf));
		/* C025/C026: boot sectors read against the other sector size */
		(void)lb_pt_sector_check(&ctx, &d, &pt, size & 1 ? 512 : 4096,
					 "target");
	}
	fs_readers(&ctx, &d);
	return 0;
}
