/*
 * rescue_files_exfat.c — which files of an exFAT volume lost data in a
 * rescue (Microsoft's "exFAT file system specification": the Main Boot
 * Sector §3.1, the FAT §4.1, the cluster heap §5, directory entry sets
 * §6.3-6.4: a File entry 0x85 §7.4 followed by its secondary entries, the
 * Stream Extension 0xC0 §7.6 — first cluster, DataLength, ValidDataLength,
 * NoFatChain — and File Name entries 0xC1 §7.7, 15 UTF-16 units each; the
 * Allocation Bitmap 0x81 §7.1 and Up-case Table 0x82 §7.2 in the root).
 *
 * Reads the rescued raw disk (the work file): the boot sector, then walks
 * the directory tree from the root cluster.  A file is listed when one of
 * its clusters (up to its ValidDataLength: bytes past it read as zeros
 * anyway) holds a byte the rescue map does not call finished, or when its
 * FAT chain ends before that length (the FAT sectors that held the rest
 * were lost: those bytes count as lost too).  A NoFatChain file is one
 * contiguous run of clusters, checked in one look-up; other files follow
 * the FAT, read a block at a time through a one-block cache (no size
 * limit on the FAT).  A directory is listed when its own clusters lost
 * bytes ("/" for the root); its entries in unfinished bytes (zeros in the
 * work file, which would read as "end of directory") are skipped and the
 * walk goes on after them, so files further down are still found.  The
 * allocation bitmap and up-case table are metadata, not files: listed as
 * "(allocation bitmap)" / "(up-case table)" when they lost bytes.
 *
 * Bounded: chain walks stop after ClusterCount clusters; all walks
 * together take at most STEPS_PER_CLUSTER steps per cluster (plus
 * STEPS_EXTRA), so looping or cross-linked chains, or directories that
 * name their own ancestors, end with -EUCLEAN instead of running for
 * hours; ENTRIES_MAX directory entries in all (past it, -EUCLEAN too),
 * DEPTH_MAX levels.
 * Entry sets are checked for shape (SecondaryCount 2..18, the Stream
 * Extension first) but not for their SetChecksum: a set is trusted as far
 * as its fields stay inside the volume, like the Linux driver does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rescue_files.h"

#define DEPTH_MAX 32
#define ENTRIES_MAX (8u << 20)
#define STEPS_PER_CLUSTER 4     /* file chains once, directories twice */
#define STEPS_EXTRA (1u << 20)
#define BLK 4096u               /* directory and FAT read size, bytes */

struct xf {
	int fd;
	uint64_t base;          /* partition start, bytes of the disk */
	uint64_t cs;            /* cluster size, bytes */
	uint64_t heap, fat;     /* cluster heap, active FAT: bytes from base */
	uint32_t count, root;   /* ClusterCount, FirstClusterOfRootDirectory */
	uint8_t cache[BLK];     /* one block of the FAT */
	uint64_t cache_at;      /* its offset in the FAT, or UINT64_MAX */
	const struct lb_rmap *m;
	struct lb_bad_list *out;
	uint32_t part;
	size_t entries;
	uint64_t steps;         /* chain steps taken by all walks */
	int err;
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int rd(const struct xf *x, void *buf, size_t n, uint64_t off)
{
	return pread(x->fd, buf, n, (off_t)(x->base + off)) == (ssize_t)n ?
	       0 : -EIO;
}

/* Counts one chain step; 0 (and -EUCLEAN) once all walks together took
 * more steps than a sound volume can need. */
static int step(struct xf *x)
{
	if (++x->steps <= (uint64_t)x->count * STEPS_PER_CLUSTER + STEPS_EXTRA)
		return 1;
	if (!x->err)
		x->err = -EUCLEAN;
	return 0;
}

static int valid(const struct xf *x, uint64_t c)
{
	return c >= 2 && c - 2 < x->count;
}

static uint64_t coff(const struct xf *x, uint32_t c)
{
	return x->heap + (uint64_t)(c - 2) * x->cs;
}

/* The FAT entry of cluster C (§4.1.2); 0 (free: the chain ends) when it
 * cannot be read. */
static uint32_t next(struct xf *x, uint32_t c)
{
	uint64_t o = 4ull * c, blk = o & ~(uint64_t)(BLK - 1);

	uint8_t e[4];

	if (blk != x->cache_at) {
		x->cache_at = UINT64_MAX;
		if (rd(x, x->cache, BLK, x->fat + blk))   /* near the end */
			return rd(x, e, 4, x->fat + o) ? 0 : (uint32_t)le(e, 4);
		x->cache_at = blk;
	}
	return (uint32_t)le(x->cache + (o - blk), 4);
}

/* Parses the Main Boot Sector (§3.1); -EINVAL for anything it does not
 * trust.  LEN: bytes of the partition. */
static int parse_boot(struct xf *x, uint64_t len)
{
	static const uint8_t zero[53];
	uint8_t b[512];
	uint64_t vol, fat_off, fat_len, heap, bs, ss;

	if (rd(x, b, sizeof b, 0) || memcmp(b + 3, "EXFAT   ", 8) ||
	    memcmp(b + 11, zero, sizeof zero) || le(b + 510, 2) != 0xaa55)
		return -EINVAL;
	bs = b[108];                    /* BytesPerSectorShift */
	ss = b[109];                    /* SectorsPerClusterShift */
	if (bs < 9 || bs > 12 || bs + ss > 25 || b[110] < 1 || b[110] > 2)
		return -EINVAL;
	vol = le(b + 72, 8);
	fat_off = le(b + 80, 4);
	fat_len = le(b + 84, 4);
	heap = le(b + 88, 4);
	x->count = (uint32_t)le(b + 92, 4);
	x->root = (uint32_t)le(b + 96, 4);
	x->cs = 1ull << (bs + ss);
	if (vol >> (64 - bs) || vol << bs > len || fat_off < 24 || !x->count ||
	    fat_off + b[110] * fat_len > heap ||
	    heap + ((uint64_t)x->count << ss) > vol ||
	    fat_len << bs < ((uint64_t)x->count + 2) * 4 || !valid(x, x->root))
		return -EINVAL;
	/* TexFAT: VolumeFlags bit 0 (ActiveFat) picks the second FAT */
	x->fat = (fat_off + (b[110] == 2 && (b[106] & 1) ? fat_len : 0)) << bs;
	x->heap = heap << bs;
	return 0;
}

/* A run of clusters: contiguous (NoFatChain) or a FAT chain. */
struct run {
	uint32_t c;             /* current cluster */
	uint64_t left;          /* clusters still to give */
	int nofat, started;
};

static void run_init(const struct xf *x, struct run *r, uint32_t first,
		     int nofat, uint64_t bytes)
{
	uint64_t n = bytes / x->cs + (bytes % x->cs != 0);

	*r = (struct run){ .c = first, .nofat = nofat,
			   .left = n < x->count ? n : x->count };
}

/* The next cluster of R into *C; 0 at its end (or at a step past the
 * bound, or a link out of the heap). */
static int run_next(struct xf *x, struct run *r, uint32_t *c)
{
	if (!r->left)
		return 0;
	if (r->started)
		r->c = r->nofat ? r->c + 1 : next(x, r->c);
	r->started = 1;
	if (!valid(x, r->c) || !step(x))
		return 0;
	r->left--;
	*c = r->c;
	return 1;
}

/* Unfinished bytes of the first KEEP bytes of the run from FIRST, plus
 * the bytes of KEEP the run does not reach (its chain ended, or it leaves
 * the heap).  WHOLE: a FAT-chained directory, whose DataLength some
 * writers leave stale: its whole chain counts, and nothing is missing. */
static uint64_t run_bad(struct xf *x, uint32_t first, int nofat,
			uint64_t keep, int whole)
{
	uint64_t bad = 0, have = 0, n;
	struct run r;
	uint32_t c;

	if (nofat && !whole) {          /* one contiguous look-up */
		n = valid(x, first) ? (uint64_t)(x->count - (first - 2)) * x->cs : 0;
		have = keep < n ? keep : n;
		return lb_rmap_unfinished(x->m, x->base + coff(x, first), have) +
		       (keep - have);
	}
	run_init(x, &r, first, nofat, whole ? UINT64_MAX : keep);
	while (run_next(x, &r, &c)) {
		n = whole || keep - have > x->cs ? x->cs : keep - have;
		bad += lb_rmap_unfinished(x->m, x->base + coff(x, c), n);
		have += n;
	}
	return bad + (whole || have >= keep ? 0 : keep - have);
}

/* One entry set being gathered (§6.3): the File entry's fields, then its
 * Stream Extension's, then the name. */
struct set {
	int left, seen;         /* secondaries still expected, seen so far */
	uint32_t attr, flags, namelen, first;
	uint64_t size, valid;   /* DataLength, ValidDataLength */
	uint64_t extra;         /* bad bytes of vendor allocations */
	uint16_t name[255];
	int nname;
};

/* A directory being walked, on the heap (walks nest DEPTH_MAX deep). */
struct dir {
	int depth, end;
	struct set s;
	uint8_t buf[BLK];
	char path[1024], full[1024], name[800];
};

/* Appends code point U to NAME as UTF-8 ('/' and controls as '?'). */
static size_t put_utf8(char *name, size_t at, size_t cap, uint32_t u)
{
	static const uint8_t lead[5] = { 0, 0, 0xc0, 0xe0, 0xf0 };
	int n = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;

	if (u < 0x20 || u == '/')
		u = '?';
	if (at + n >= cap)
		return at;
	if (n == 1) {
		name[at] = (char)u;
		return at + 1;
	}
	name[at] = (char)(lead[n] | u >> (6 * (n - 1)));
	for (int i = 1; i < n; i++)
		name[at + i] = (char)(0x80 | (u >> (6 * (n - 1 - i)) & 0x3f));
	return at + n;
}

/* The set's name (NameLength units of its File Name entries) as UTF-8,
 * surrogate pairs joined, lone surrogates as '?'. */
static void set_name(const struct set *s, char *out, size_t cap)
{
	int n = (int)s->namelen < s->nname ? (int)s->namelen : s->nname;
	size_t at = 0;

	for (int i = 0; i < n; i++) {
		uint32_t u = s->name[i], lo = i + 1 < n ? s->name[i + 1] : 0;
		if (u >= 0xd800 && u < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		} else if (u >= 0xd800 && u < 0xe000) {
			u = '?';
		}
		at = put_utf8(out, at, cap, u);
	}
	snprintf(out + at, cap - at, "%s", at ? "" : "(no name)");
}

static void add(struct xf *x, const char *path, uint64_t bad)
{
	int r;

	if (bad && !x->err && (r = lb_bad_list_add(x->out, x->part, "exfat",
						   path, bad)))
		x->err = r;
}

static void walk_dir(struct xf *x, uint32_t first, int nofat, uint64_t size,
		     const char *path, int depth);

/* A whole set was gathered: check the file's clusters, list it, and walk
 * into it when it is a directory. */
static void complete(struct xf *x, struct dir *d)
{
	const struct set *s = &d->s;
	int isdir = s->attr & 0x10, alloc = s->flags & 1, nofat = s->flags & 2;
	uint64_t bad = s->extra, keep = s->valid < s->size ? s->valid : s->size;

	set_name(s, d->name, sizeof d->name);
	snprintf(d->full, sizeof d->full, "%.600s/%.400s", d->path, d->name);
	if (alloc && isdir)
		bad += run_bad(x, s->first, nofat, s->size, !nofat);
	else if (alloc)
		bad += run_bad(x, s->first, nofat, keep, 0);
	add(x, d->full, bad);
	if (alloc && isdir && valid(x, s->first))
		walk_dir(x, s->first, nofat, s->size, d->full, d->depth + 1);
}

/* A secondary entry E (§6.4) of the open set, if any. */
static void secondary(struct xf *x, struct dir *d, const uint8_t *e)
{
	struct set *s = &d->s;

	if (!s->left)
		return;                         /* not in a set: ignored */
	if (s->seen++ == 0 && e[0] != 0xc0) {
		s->left = 0;                    /* no Stream Extension: dropped */
		return;
	}
	if (e[0] == 0xc0) {
		s->flags = e[1];
		s->namelen = e[3];
		s->valid = le(e + 8, 8);
		s->first = (uint32_t)le(e + 20, 4);
		s->size = le(e + 24, 8);
	} else if (e[0] == 0xc1) {
		for (int i = 0; i < 15 && s->nname < 255; i++)
			s->name[s->nname++] = (uint16_t)le(e + 2 + 2 * i, 2);
	} else if (e[1] & 1) {                  /* an allocation (0xE0...) */
		s->extra += run_bad(x, (uint32_t)le(e + 20, 4), 0,
				    le(e + 24, 8), 0);
	}
	if (--s->left == 0)
		complete(x, d);
}

/* Allocation Bitmap or Up-case Table entry E of the root (§7.1, §7.2):
 * FAT-chained metadata, listed by what it is when it lost bytes. */
static void metadata(struct xf *x, const uint8_t *e)
{
	add(x, e[0] == 0x81 ? "(allocation bitmap)" : "(up-case table)",
	    run_bad(x, (uint32_t)le(e + 20, 4), 0, le(e + 24, 8), 0));
}

/* One 32-byte directory entry E (§6.2: EntryType). */
static void entry(struct xf *x, struct dir *d, const uint8_t *e)
{
	if (++x->entries > ENTRIES_MAX && !x->err)
		x->err = -EUCLEAN;              /* the list is incomplete */
	if (x->err || e[0] == 0x00) {
		d->end = 1;                     /* end of directory, or bound */
		return;
	}
	if (!(e[0] & 0x80)) {                   /* unused or deleted */
		d->s.left = 0;
		return;
	}
	if (e[0] & 0x40) {
		secondary(x, d, e);
		return;
	}
	d->s.left = 0;                          /* a primary ends any set */
	if (e[0] == 0x85 && e[1] >= 2 && e[1] <= 18) {
		memset(&d->s, 0, sizeof d->s);
		d->s.left = e[1];
		d->s.attr = (uint32_t)le(e + 4, 2);
	} else if ((e[0] == 0x81 || e[0] == 0x82) && d->depth == 0) {
		metadata(x, e);
	}
}

/* Feeds the entries of the LEN bytes at OFF (bytes from base) of a
 * directory; entries in unfinished bytes are skipped (and break the set
 * they were in). */
static void dir_block(struct xf *x, struct dir *d, uint64_t off, size_t len)
{
	int holes;

	if (rd(x, d->buf, len, off)) {
		d->end = 1;
		return;
	}
	holes = lb_rmap_unfinished(x->m, x->base + off, len) != 0;
	for (size_t i = 0; i + 32 <= len && !d->end && !x->err; i += 32) {
		if (holes && lb_rmap_unfinished(x->m, x->base + off + i, 32))
			d->s.left = 0;
		else
			entry(x, d, d->buf + i);
	}
}

static void walk_dir(struct xf *x, uint32_t first, int nofat, uint64_t size,
		     const char *path, int depth)
{
	struct dir *d;
	struct run r;
	uint32_t c;
	size_t blk = x->cs < BLK ? (size_t)x->cs : BLK;

	if (depth > DEPTH_MAX || x->err || !(d = calloc(1, sizeof *d)))
		return;
	d->depth = depth;
	snprintf(d->path, sizeof d->path, "%s", path);
	run_init(x, &r, first, nofat, nofat ? size : UINT64_MAX);
	while (!d->end && !x->err && run_next(x, &r, &c))
		for (uint64_t o = 0; o < x->cs && !d->end && !x->err; o += blk)
			dir_block(x, d, coff(x, c) + o, blk);
	free(d);
}

int lb_rescue_exfat_files(int fd, uint64_t base, uint64_t len, uint32_t part,
			  const struct lb_rmap *m, struct lb_bad_list *out)
{
	struct xf *x = calloc(1, sizeof *x);
	int r;

	if (!x)
		return -ENOMEM;
	*x = (struct xf){ .fd = fd, .base = base, .m = m, .out = out,
			  .part = part, .cache_at = UINT64_MAX };
	r = parse_boot(x, len);
	if (!r) {
		add(x, "/", run_bad(x, x->root, 0, 0, 1));
		walk_dir(x, x->root, 0, 0, "", 0);
		r = x->err;
	}
	free(x);
	return r;
}
