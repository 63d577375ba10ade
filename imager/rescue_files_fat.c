/*
 * rescue_files_fat.c — which files of a FAT12/16/32 filesystem lost data
 * in a rescue (Microsoft FAT specification: BPB, FAT entries, directory
 * entries, long-name entries).  Reads the rescued raw disk (the work
 * file): the boot sector, the whole first FAT into memory (refused above
 * FAT_MAX bytes), then walks the directory tree from the root.  A file or
 * directory is listed when a cluster of its chain holds a byte the rescue
 * map does not call finished, or when its chain ends before its size
 * (the FAT sectors that held the rest were lost: those bytes count as
 * lost too).
 *
 * Bounded: every chain walk stops after the number of clusters in the
 * volume (so a loop cannot spin), at most DEPTH_MAX levels and ENTRIES_MAX
 * directory entries in all, and all walks together take at most
 * STEPS_PER_CLUSTER steps per cluster of the volume (plus STEPS_EXTRA): a
 * sound FAT puts each cluster in one chain, so only cross-linked or looping
 * chains shared by many entries reach it (-EUCLEAN) — without it, a
 * million entries on one looping chain would take hours.  Names: the long name when its entries are
 * intact (UTF-16 to UTF-8, BMP only), else the 8.3 short name.
 *
 * Lost metadata is listed (reserved sectors, each FAT copy, the root
 * folder); when the first FAT lost bytes and the second did not, the walk
 * reads the second.  Folder entries in lost sectors are skipped, not taken
 * for the end.  An entry that cannot be sound (bogus()) ends its folder
 * with one "entries look damaged" line, and a "folder" whose first cluster
 * has no "." entry is not walked: a hostile or scrambled FAT gives a few
 * lines, not thousands of junk names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rescue_files.h"

#define FAT_MAX (64u << 20)
#define DEPTH_MAX 32
#define ENTRIES_MAX (1u << 20)
#define STEPS_PER_CLUSTER 4     /* file chains once, directories twice */
#define STEPS_EXTRA (1u << 20)

struct fat {
	int fd;
	uint64_t base;          /* partition start, bytes of the disk */
	uint32_t cs;            /* cluster size, bytes */
	uint32_t nclusters, type, root_clus;
	uint64_t root_off, root_len, data_off;  /* bytes from base */
	uint8_t *tab;           /* the first FAT (the second when it was lost) */
	uint64_t tab_len, tab_off;      /* bytes; tab_off: first FAT from base */
	uint32_t nfats;
	const struct lb_rmap *m;
	struct lb_bad_list *out;
	uint32_t part;
	size_t entries;
	uint64_t steps;         /* chain steps taken by all walks */
	int err;
};

/* Counts one chain step; 0 (and -EUCLEAN) once all walks together took
 * more steps than a sound FAT can need. */
static int step(struct fat *f)
{
	if (++f->steps <= (uint64_t)f->nclusters * STEPS_PER_CLUSTER + STEPS_EXTRA)
		return 1;
	if (!f->err)
		f->err = -EUCLEAN;      /* cross-linked or looping chains */
	return 0;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

static int rd(const struct fat *f, void *buf, size_t n, uint64_t off)
{
	ssize_t r = pread(f->fd, buf, n, (off_t)(f->base + off));

	return r == (ssize_t)n ? 0 : -EIO;
}

/* The FAT entry of cluster C, or 0 when it lies outside the table. */
static uint32_t next(const struct fat *f, uint32_t c)
{
	uint64_t o = f->type == 12 ? c + c / 2 : (uint64_t)c * (f->type / 8);
	uint32_t v;

	if (o + (f->type == 32 ? 4 : 2) > f->tab_len)
		return 0;
	if (f->type == 12) {
		v = le16(f->tab + o);
		return c & 1 ? v >> 4 : v & 0xfff;
	}
	return f->type == 16 ? le16(f->tab + o) : le32(f->tab + o) & 0x0fffffff;
}

static int valid(const struct fat *f, uint32_t c)
{
	return c >= 2 && c - 2 < f->nclusters;
}

static uint64_t cluster_off(const struct fat *f, uint32_t c)
{
	return f->data_off + (uint64_t)(c - 2) * f->cs;
}

/* Unfinished bytes of LEN bytes at OFF (from base). */
static uint64_t lost(const struct fat *f, uint64_t off, uint64_t len)
{
	return lb_rmap_unfinished(f->m, f->base + off, len);
}

/* Where the FAT to walk lies: the first copy, or the second when the
 * first lost bytes and the second did not. */
static uint64_t fat_copy(const struct fat *f)
{
	if (f->nfats > 1 && lost(f, f->tab_off, f->tab_len) &&
	    !lost(f, f->tab_off + f->tab_len, f->tab_len))
		return f->tab_off + f->tab_len;
	return f->tab_off;
}

/* Parses the boot sector (BPB); -EINVAL for anything it does not trust. */
static int parse_bpb(struct fat *f, uint64_t len)
{
	uint8_t b[512];
	uint32_t bps, spc, rsv, nfats, rootents, tot, fatsz, rootsecs;

	if (rd(f, b, sizeof b, 0) || le16(b + 510) != 0xaa55)
		return -EINVAL;
	bps = le16(b + 11);
	spc = b[13];
	rsv = le16(b + 14);
	nfats = b[16];
	rootents = le16(b + 17);
	tot = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	if (bps < 512 || bps > 4096 || (bps & (bps - 1)) || !spc ||
	    (spc & (spc - 1)) || !rsv || !nfats || !fatsz ||
	    (uint64_t)tot * bps > len)
		return -EINVAL;
	rootsecs = (rootents * 32 + bps - 1) / bps;
	if ((uint64_t)rsv + (uint64_t)nfats * fatsz + rootsecs >= tot)
		return -EINVAL;
	f->cs = bps * spc;
	f->nclusters = (tot - rsv - nfats * fatsz - rootsecs) / spc;
	f->type = f->nclusters < 4085 ? 12 : f->nclusters < 65525 ? 16 : 32;
	f->tab_len = (uint64_t)fatsz * bps;
	f->root_off = ((uint64_t)rsv + (uint64_t)nfats * fatsz) * bps;
	f->root_len = (uint64_t)rootsecs * bps;
	f->data_off = f->root_off + f->root_len;
	f->root_clus = f->type == 32 ? le32(b + 44) : 0;
	if (f->tab_len > FAT_MAX || (f->type == 32 && !valid(f, f->root_clus)))
		return -EINVAL;
	f->tab_off = (uint64_t)rsv * bps;
	f->nfats = nfats;
	f->tab = malloc(f->tab_len + 4);
	if (!f->tab)
		return -ENOMEM;
	memset(f->tab + f->tab_len, 0, 4);
	return rd(f, f->tab, f->tab_len, fat_copy(f)) ? -EINVAL : 0;
}

/* Unfinished bytes of the chain from FIRST, and bytes missing because
 * the chain ends before SIZE (0: a directory, whole chain). */
static uint64_t chain_bad(struct fat *f, uint32_t first, uint64_t size)
{
	uint64_t bad = 0, have = 0;
	uint32_t c = first;

	for (uint32_t k = 0; valid(f, c) && k < f->nclusters && step(f); k++) {
		if (size && have >= size)
			break;
		bad += lb_rmap_unfinished(f->m, f->base + cluster_off(f, c), f->cs);
		have += f->cs;
		if (next(f, c) == c)
			break;          /* a chain looping on itself ends */
		c = next(f, c);
	}
	return bad + (size > have ? size - have : 0);
}

/* UTF-16LE code unit U appended to NAME as UTF-8 (BMP; others '?'). */
static size_t put_utf8(char *name, size_t at, size_t cap, uint32_t u)
{
	if (u >= 0xd800 && u < 0xe000)
		u = '?';
	if (u < 0x80 && at + 1 < cap)
		name[at++] = (char)u;
	else if (u < 0x800 && at + 2 < cap) {
		name[at++] = (char)(0xc0 | u >> 6);
		name[at++] = (char)(0x80 | (u & 0x3f));
	} else if (u >= 0x800 && at + 3 < cap) {
		name[at++] = (char)(0xe0 | u >> 12);
		name[at++] = (char)(0x80 | ((u >> 6) & 0x3f));
		name[at++] = (char)(0x80 | (u & 0x3f));
	}
	return at;
}

/* Long name collected so far: 13 UTF-16 units per entry, 20 entries. */
struct lfn { uint16_t u[260]; int have; };

static void lfn_add(struct lfn *l, const uint8_t *e)
{
	static const int pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
	int seq = e[0] & 0x1f;

	if (seq < 1 || seq > 20)
		return;
	if (e[0] & 0x40)
		memset(l, 0, sizeof *l);
	for (int i = 0; i < 13; i++)
		l->u[(seq - 1) * 13 + i] = (uint16_t)le16(e + pos[i]);
	l->have = 1;
}

static void entry_name(struct lfn *l, const uint8_t *e, char *name, size_t cap)
{
	size_t at = 0;

	if (l->have) {
		for (int i = 0; i < 260 && l->u[i] && l->u[i] != 0xffff; i++)
			at = put_utf8(name, at, cap, l->u[i]);
	} else {
		for (int i = 0; i < 8 && e[i] != ' '; i++)
			at = put_utf8(name, at, cap, e[i] < 0x80 ? e[i] : '?');
		if (e[8] != ' ' && at + 1 < cap)
			name[at++] = '.';
		for (int i = 8; i < 11 && e[i] != ' '; i++)
			at = put_utf8(name, at, cap, e[i] < 0x80 ? e[i] : '?');
	}
	name[at] = 0;
	memset(l, 0, sizeof *l);
}

static void walk_dir(struct fat *f, uint32_t clus, const char *path, int depth);

static void line(struct fat *f, const char *text, uint64_t bad)
{
	if (bad && !f->err &&
	    lb_bad_list_add(f->out, f->part, "vfat", text, bad))
		f->err = -ENOMEM;
}

/* "folder PATH: entries look damaged, WHAT" (reported once a folder). */
static void damaged(struct fat *f, const char *path, const char *what)
{
	char text[1200];

	snprintf(text, sizeof text, "folder %s: entries look damaged, %s",
		 *path ? path : "/", what);
	if (!f->err && lb_bad_list_add(f->out, f->part, "vfat", text, 0))
		f->err = -ENOMEM;
}

/* 1 when short entry E cannot be a sound FAT entry: reserved attribute
 * bits, control or forbidden bytes in the 8.3 name, a first cluster
 * outside the volume, a size larger than the volume's data area. */
static int bogus(const struct fat *f, const uint8_t *e)
{
	uint32_t first = le16(e + 26) | (f->type == 32 ? le16(e + 20) << 16 : 0);

	if (e[11] & 0xc0 || (first && !valid(f, first)) ||
	    (!(e[11] & 0x10) && le32(e + 28) > (uint64_t)f->nclusters * f->cs))
		return 1;
	for (int i = 0; i < 11; i++)
		if ((e[i] < 0x20 && !(i == 0 && e[i] == 0x05)) || e[i] == 0x7f ||
		    (e[i] != '.' && strchr("\"*+,/:;<=>?[\\]|", e[i])) ||
		    (e[i] == '.' && e[0] != '.'))
			return 1;
	return 0;
}

/* 1 when the cluster FIRST of folder FULL starts with its "." entry (or
 * was not rescued: then nothing is known); else reports the folder. */
static int is_folder(struct fat *f, uint32_t first, const char *full)
{
	uint8_t e[32];

	if (lost(f, cluster_off(f, first), 32))
		return 1;
	if (!rd(f, e, sizeof e, cluster_off(f, first)) &&
	    !memcmp(e, ".          ", 11) && e[11] & 0x10)
		return 1;
	damaged(f, full, "not walked");
	return 0;
}

/* One 32-byte directory entry E of the directory PATH. */
static int entry(struct fat *f, const uint8_t *e, struct lfn *l,
		 const char *path, int depth)
{
	char name[300], full[1024];
	uint32_t first;
	uint64_t bad;

	if (e[0] == 0 || f->err)
		return 1;                       /* end of directory, or given up */
	if (++f->entries > ENTRIES_MAX)
		return 1;
	if (e[0] == 0xe5 || (e[11] & 0x08 && e[11] != 0x0f)) {
		memset(l, 0, sizeof *l);        /* deleted or volume label */
		return 0;
	}
	if (e[11] == 0x0f) {
		lfn_add(l, e);
		return 0;
	}
	if (bogus(f, e)) {
		damaged(f, path, "the rest of it is not listed");
		return 1;
	}
	entry_name(l, e, name, sizeof name);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	snprintf(full, sizeof full, "%s/%s", path, name);
	first = le16(e + 26) | (f->type == 32 ? le16(e + 20) << 16 : 0);
	bad = chain_bad(f, first, e[11] & 0x10 ? 0 : le32(e + 28));
	if (bad && lb_bad_list_add(f->out, f->part, "vfat", full, bad))
		return f->err = -ENOMEM, 1;
	if (e[11] & 0x10 && valid(f, first) && is_folder(f, first, full))
		walk_dir(f, first, full, depth + 1);
	return 0;
}

/* Reads LEN bytes of a directory at OFF and feeds its entries; returns 1
 * at the end of the directory. */
static int dir_span(struct fat *f, uint64_t off, uint64_t len, struct lfn *l,
		    const char *path, int depth)
{
	uint8_t *b = malloc(len);
	int end = 1;

	if (b && !rd(f, b, len, off)) {
		end = 0;
		for (uint64_t i = 0; i + 32 <= len && !end; i += 32) {
			if (lost(f, off + i, 32)) {     /* zeros, not the end */
				memset(l, 0, sizeof *l);
				continue;
			}
			end = entry(f, b + i, l, path, depth);
		}
	}
	free(b);
	return end;
}

static void walk_dir(struct fat *f, uint32_t clus, const char *path, int depth)
{
	struct lfn l = { { 0 }, 0 };
	uint32_t c = clus;

	if (depth > DEPTH_MAX || f->err)
		return;
	if (!clus) {                    /* FAT12/16 root: a fixed region */
		dir_span(f, f->root_off, f->root_len, &l, path, depth);
		return;
	}
	for (uint32_t k = 0; valid(f, c) && k < f->nclusters && step(f) &&
	     !f->err; k++) {
		if (dir_span(f, cluster_off(f, c), f->cs, &l, path, depth) ||
		    next(f, c) == c)
			break;
		c = next(f, c);
	}
}

/* Lines for the lost metadata: reserved sectors, each FAT copy, the
 * FAT12/16 root folder region (a FAT32 root is a cluster chain: checked
 * with its clusters). */
static void fat_meta(struct fat *f)
{
	uint64_t a = f->tab_off, n = f->tab_len, b1 = lost(f, a, n);
	uint64_t b2 = f->nfats > 1 ? lost(f, a + n, n) : 0;
	uint64_t rb = f->root_clus ? chain_bad(f, f->root_clus, 0) :
		      lost(f, f->root_off, f->root_len);

	line(f, "boot sector / reserved sectors", lost(f, 0, a));
	if (b1)
		line(f, f->nfats < 2 ? "FAT (there is no second copy): the "
		     "chains through its lost sectors are broken" : !b2 ?
		     "first FAT (the second copy is intact: fsck.fat can "
		     "restore it; the list used it)" : "first FAT (the second "
		     "copy lost bytes too): the chains through them are broken",
		     b1);
	if (b2)
		line(f, !b1 ? "second FAT (the first copy is intact: fsck.fat "
		     "can restore it)" : "second FAT", b2);
	for (uint32_t i = 2; i < f->nfats; i++)
		line(f, "another FAT copy", lost(f, a + i * n, n));
	line(f, "root folder: the entries in its lost sectors are lost", rb);
}

int lb_rescue_fat_files(int fd, uint64_t base, uint64_t len, uint32_t part,
			const struct lb_rmap *m, struct lb_bad_list *out)
{
	struct fat f = { .fd = fd, .base = base, .m = m, .out = out,
			 .part = part };
	int r = parse_bpb(&f, len);

	if (!r) {
		fat_meta(&f);
		walk_dir(&f, f.root_clus, "", 0);
		r = f.err;
	}
	free(f.tab);
	return r;
}
