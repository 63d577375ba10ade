/*
 * rescue_files_ntfs.c — which files of an NTFS volume lost data in a
 * rescue.  NTFS structures as documented by the Linux-NTFS project: the
 * boot sector gives the cluster size, the $MFT's first cluster and the
 * MFT record size; records carry update-sequence fixups, applied (and
 * checked) before any field is read; record 0's unnamed $DATA runlist
 * locates every record.  For every record in use that is a base record,
 * the clusters of its unnamed non-resident $DATA and the record itself
 * are checked against the rescue map; a file that touches a byte not
 * finished is listed under the path built from its $FILE_NAME parents.
 *
 * Records in lost sectors are listed as runs ("MFT records 64-71 lost"),
 * then named through the $I30 indexes of the folders that still read
 * (INDEX_ROOT and INDX blocks; each key is a $FILE_NAME with its MFT
 * reference).
 *
 * Bounded: at most MAX_RUNS runs per runlist, MAX_RECORDS records, 64
 * parent levels (a loop gives "(parent loop)/name"), MAX_INDX index
 * blocks, MAX_LOST_RUNS runs named.  Not handled (not listed): $DATA spread over extension
 * records through an $ATTRIBUTE_LIST (very fragmented files), named
 * streams.  The reader is self-contained (fs_ntfs.c, which plans used
 * blocks, keeps its own static one).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rescue_files.h"

#define MAX_RUNS 4096
#define MAX_RECORDS (4u << 20)
#define MAX_DEPTH 64

struct nrun { uint64_t vcn, len; int64_t lcn; };        /* lcn -1: sparse */

#define MAX_LOST_RUNS 256       /* runs of lost records named by $I30 */
#define MAX_INDX (1u << 20)     /* index blocks read in all */

/* A run of MFT records whose bytes were not rescued. */
struct lost { uint64_t first, n, bad; };

struct ntfs {
	int fd;
	uint64_t base, csize;           /* partition start, cluster bytes */
	uint32_t bps, rsize;            /* sector, MFT record bytes */
	struct nrun mft[MAX_RUNS];
	int nmft;
	uint64_t nrec;
	const struct lb_rmap *m;
	struct lost lost[MAX_LOST_RUNS];        /* for naming through $I30 */
	int nlost;
	uint64_t indx;                          /* index blocks read */
};

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int rd(const struct ntfs *n, void *b, size_t len, uint64_t off)
{
	return pread(n->fd, b, len, (off_t)(n->base + off)) == (ssize_t)len ?
	       0 : -EIO;
}

static int parse_boot(struct ntfs *n, uint64_t len, uint64_t *mft_lcn)
{
	uint8_t s[512];
	int8_t cpr;

	if (rd(n, s, sizeof s, 0) || memcmp(s + 3, "NTFS    ", 8))
		return -EINVAL;
	n->bps = (uint32_t)le(s + 11, 2);
	cpr = (int8_t)s[64];
	if (n->bps < 256 || n->bps > 4096 || (n->bps & (n->bps - 1)) || !s[13])
		return -EINVAL;
	n->csize = (uint64_t)n->bps * s[13];
	n->rsize = cpr > 0 ? (uint32_t)(cpr * n->csize) :
		   cpr >= -31 && cpr < 0 ? 1u << -cpr : 0;
	*mft_lcn = le(s + 48, 8);
	if (n->rsize < 256 || n->rsize > 65536 || n->csize > (2u << 20) ||
	    *mft_lcn * n->csize >= len)
		return -EINVAL;
	return 0;
}

/* Checks and applies the update-sequence fixups of a SIZE-byte record
 * (FILE) or index block (INDX) R whose first bytes must be MAGIC. */
static int fixup_as(uint8_t *r, uint32_t size, const char *magic)
{
	uint32_t ofs = (uint32_t)le(r + 4, 2), cnt = (uint32_t)le(r + 6, 2);

	if (memcmp(r, magic, 4) || cnt < 2 || ofs + cnt * 2 > size ||
	    (cnt - 1) * 512 > size)
		return -EINVAL;
	for (uint32_t i = 1; i < cnt; i++) {
		uint8_t *end = r + i * 512 - 2;
		if (memcmp(end, r + ofs, 2))
			return -EINVAL;
		memcpy(end, r + ofs + 2 * i, 2);
	}
	return 0;
}

static int fixup(const struct ntfs *n, uint8_t *r)
{
	return fixup_as(r, n->rsize, "FILE");
}

/* Attribute TYPE (unnamed when UNNAMED) in record R, or NULL. */
static const uint8_t *find_attr(const struct ntfs *n, const uint8_t *r,
				uint32_t type, int unnamed, const uint8_t *from)
{
	uint32_t pos = from ? (uint32_t)(from - r) + (uint32_t)le(from + 4, 4)
			    : (uint32_t)le(r + 20, 2);

	for (int k = 0; k < 64 && pos + 24 <= n->rsize; k++) {
		uint32_t t = (uint32_t)le(r + pos, 4), alen = (uint32_t)le(r + pos + 4, 4);
		if (t == 0xffffffffu || alen < 24 || pos + alen > n->rsize)
			return NULL;
		if (t == type && (!unnamed || r[pos + 9] == 0))
			return r + pos;
		pos += alen;
	}
	return NULL;
}

/* Decodes the runlist of non-resident attribute A (bounded by its length). */
static int runlist(const uint8_t *a, struct nrun *runs, int max)
{
	uint32_t alen = (uint32_t)le(a + 4, 4), p = (uint32_t)le(a + 32, 2);
	uint64_t vcn = le(a + 16, 8);
	int64_t lcn = 0;
	int k = 0;

	while (p < alen && a[p] && k < max) {
		int ln = a[p] & 15, on = a[p] >> 4;
		if (!ln || ln > 8 || on > 8 || p + 1 + ln + on > alen)
			return -EINVAL;
		uint64_t len = le(a + p + 1, ln);
		int64_t d = on ? (int64_t)le(a + p + 1 + ln, on) : 0;
		if (on && on < 8 && (a[p + ln + on] & 0x80))
			d -= (int64_t)1 << (8 * on);    /* sign-extend */
		lcn += d;
		runs[k++] = (struct nrun){ vcn, len, on ? lcn : -1 };
		vcn += len;
		p += 1 + (uint32_t)(ln + on);
	}
	return k;
}

/* Reads MFT record NUM into R (rsize bytes) and applies fixups. */
static int record(const struct ntfs *n, uint64_t num, uint8_t *r,
		  uint64_t *at)
{
	uint64_t byte = num * n->rsize, vcn = byte / n->csize;

	for (int i = 0; i < n->nmft; i++) {
		const struct nrun *x = &n->mft[i];
		if (vcn < x->vcn || vcn >= x->vcn + x->len || x->lcn < 0)
			continue;
		if (byte + n->rsize > (x->vcn + x->len) * n->csize)
			return -EIO;    /* split across runs: not followed */
		*at = (uint64_t)x->lcn * n->csize + (byte - x->vcn * n->csize);
		return rd(n, r, n->rsize, *at) ? -EIO : fixup(n, r);
	}
	return -ENOENT;
}

static int fname(const uint8_t *v, char *name, size_t cap, uint64_t *parent);

/* The long (Win32 or POSIX) name of record R and its parent's number. */
static int file_name(const struct ntfs *n, const uint8_t *r, char *name,
		     size_t cap, uint64_t *parent)
{
	const uint8_t *a = NULL, *best = NULL;

	while ((a = find_attr(n, r, 0x30, 0, a))) {
		uint32_t vlen = (uint32_t)le(a + 16, 4), vofs = (uint32_t)le(a + 20, 2);
		const uint8_t *v = a + vofs;
		if (a[8] || vofs + vlen > le(a + 4, 4) || vlen < 66 ||
		    66 + 2u * v[64] > vlen)
			continue;
		if (!best || v[65] != 2)         /* 2: the DOS 8.3 name */
			best = v;
	}
	return best ? fname(best, name, cap, parent) : -ENOENT;
}

/* The name (UTF-8) and parent record of $FILE_NAME value V. */
static int fname(const uint8_t *v, char *name, size_t cap, uint64_t *parent)
{
	const uint8_t *best = v;
	size_t at = 0;

	*parent = le(best, 6);
	for (int i = 0; i < best[64] && at + 4 < cap; i++) {
		uint32_t u = (uint32_t)le(best + 66 + 2 * i, 2);
		if (u < 0x80) {
			name[at++] = (char)(u ? u : '?');
		} else if (u < 0x800) {
			name[at++] = (char)(0xc0 | u >> 6);
			name[at++] = (char)(0x80 | (u & 0x3f));
		} else {
			name[at++] = (char)(0xe0 | u >> 12);
			name[at++] = (char)(0x80 | ((u >> 6) & 0x3f));
			name[at++] = (char)(0x80 | (u & 0x3f));
		}
	}
	name[at] = 0;
	return 0;
}

/* "/dir/sub/file" for record R, following parents up to the root (5);
 * parents that loop (a record its own parent, or deeper than MAX_DEPTH)
 * give "(parent loop)/file". */
static void path_of(const struct ntfs *n, const uint8_t *r, uint64_t num,
		    char *out, size_t cap)
{
	uint8_t *p = malloc(n->rsize);
	char name[800], leaf[800];
	uint64_t parent, at, cur = num;
	int d, loop = 0;

	snprintf(out, cap, "(MFT record %llu)", (unsigned long long)num);
	if (!p || file_name(n, r, leaf, sizeof leaf, &parent)) {
		free(p);
		return;
	}
	snprintf(out, cap, "/%s", leaf);
	for (d = 0; d < MAX_DEPTH && parent != 5; d++) {
		if ((loop = parent == cur))
			break;
		cur = parent;
		if (record(n, parent, p, &at) ||
		    file_name(n, p, name, sizeof name, &parent))
			break;
		size_t k = strlen(name), o = strlen(out);
		if (k + 1 + o + 1 > cap)
			break;
		memmove(out + k + 1, out, o + 1);       /* prepend "/name" */
		out[0] = '/';
		memcpy(out + 1, name, k);
	}
	if (loop || d == MAX_DEPTH)
		snprintf(out, cap, "(parent loop)/%s", leaf);
	free(p);
}

/* Unfinished bytes of a file: its record, and the clusters of its unnamed
 * $DATA when non-resident (only its allocated, non-sparse runs). */
static uint64_t file_bad(const struct ntfs *n, const uint8_t *r,
			 uint64_t rec_at, struct nrun *runs)
{
	const uint8_t *a = find_attr(n, r, 0x80, 1, NULL);
	uint64_t bad = lb_rmap_unfinished(n->m, n->base + rec_at, n->rsize);
	int k;

	if (!a || !a[8] || (k = runlist(a, runs, MAX_RUNS)) < 0)
		return bad;
	for (int i = 0; i < k; i++)
		if (runs[i].lcn >= 0)
			bad += lb_rmap_unfinished(n->m, n->base +
				(uint64_t)runs[i].lcn * n->csize,
				runs[i].len * n->csize);
	return bad;
}

static int load_mft(struct ntfs *n, uint64_t mft_lcn, uint8_t *r)
{
	const uint8_t *a;
	int k;

	if (rd(n, r, n->rsize, mft_lcn * n->csize) || fixup(n, r) ||
	    !(a = find_attr(n, r, 0x80, 1, NULL)) || !a[8] ||
	    (k = runlist(a, n->mft, MAX_RUNS)) <= 0)
		return -EINVAL;
	n->nmft = k;
	n->nrec = le(a + 48, 8) / n->rsize;
	if (n->nrec > MAX_RECORDS)
		n->nrec = MAX_RECORDS;
	return 0;
}

/* Where record NUM lies (bytes from the partition start); -ENOENT. */
static int record_at(const struct ntfs *n, uint64_t num, uint64_t *at)
{
	uint64_t byte = num * n->rsize, vcn = byte / n->csize;

	for (int i = 0; i < n->nmft; i++) {
		const struct nrun *x = &n->mft[i];
		if (vcn >= x->vcn && vcn < x->vcn + x->len && x->lcn >= 0) {
			*at = (uint64_t)x->lcn * n->csize +
			      (byte - x->vcn * n->csize);
			return 0;
		}
	}
	return -ENOENT;
}

/* 1 when record NUM lost bytes (it joins the run L), else 0. */
static int record_lost(const struct ntfs *n, uint64_t num, struct lost *l)
{
	uint64_t at, bad;

	if (record_at(n, num, &at) ||
	    !(bad = lb_rmap_unfinished(n->m, n->base + at, n->rsize)))
		return 0;
	if (!l->n)
		l->first = num;
	l->n++;
	l->bad += bad;
	return 1;
}

/* "MFT records A-B lost: up to N files or folders", and L emptied. */
static int lost_line(struct ntfs *n, struct lost *l, uint32_t part,
		     struct lb_bad_list *out)
{
	if (n->nlost < MAX_LOST_RUNS)
		n->lost[n->nlost++] = *l;
	char text[160];

	snprintf(text, sizeof text, "MFT records %llu-%llu lost: up to %llu "
		 "files or folders", (unsigned long long)l->first,
		 (unsigned long long)(l->first + l->n - 1),
		 (unsigned long long)l->n);
	if (l->n == 1)
		snprintf(text, sizeof text, "MFT record %llu lost: a file or "
			 "folder", (unsigned long long)l->first);
	int e = lb_bad_list_add(out, part, "ntfs", text, l->bad);
	*l = (struct lost){ 0, 0, 0 };
	return e;
}

/* 1 when record NUM is in a lost run. */
static int is_lost(const struct ntfs *n, uint64_t num)
{
	for (int i = 0; i < n->nlost; i++)
		if (num >= n->lost[i].first && num < n->lost[i].first + n->lost[i].n)
			return 1;
	return 0;
}

struct names { struct ntfs *n; const char *dir; uint32_t part;
	       struct lb_bad_list *out; int err; };

/* Index entries from E to END ($I30 keys are $FILE_NAME values): each one
 * whose MFT reference is a lost record is listed under DIR/name. */
static void idx_entries(struct names *w, const uint8_t *e, const uint8_t *end)
{
	char name[800], text[1200];
	uint64_t at, dummy;

	for (int k = 0; k < 65536 && e + 16 <= end && !w->err; k++) {
		uint32_t len = (uint32_t)le(e + 8, 2), klen = (uint32_t)le(e + 10, 2);
		const uint8_t *key = e + 16;
		uint64_t ref = le(e, 6);
		if (le(e + 12, 4) & 2 || len < 16 || e + len > end)
			return;                 /* last entry, or damaged */
		if (klen >= 66 && 16 + klen <= len && 66 + 2u * key[64] <= klen &&
		    key[65] != 2 && is_lost(w->n, ref) &&
		    !fname(key, name, sizeof name, &dummy) &&
		    !record_at(w->n, ref, &at)) {
			snprintf(text, sizeof text, "%s/%s (MFT record %llu, lost)",
				 w->dir, name, (unsigned long long)ref);
			w->err = lb_bad_list_add(w->out, w->part, "ntfs", text,
				lb_rmap_unfinished(w->n->m, w->n->base + at,
						   w->n->rsize));
		}
		e += len;
	}
}

/* The index header at H (of a root or index block of LEN bytes from H). */
static void idx_header(struct names *w, const uint8_t *h, uint32_t len)
{
	uint32_t first = (uint32_t)le(h, 4), total = (uint32_t)le(h + 4, 4);

	if (len >= 16 && first < total && total <= len)
		idx_entries(w, h + first, h + total);
}

/* The $INDEX_ALLOCATION blocks (ISZ bytes each) of folder record R. */
static void idx_blocks(struct names *w, const uint8_t *r, uint32_t isz,
		       struct nrun *runs, uint8_t *b)
{
	struct ntfs *n = w->n;
	const uint8_t *a = find_attr(n, r, 0xa0, 0, NULL);
	int k;

	if (!a || !a[8] || (k = runlist(a, runs, MAX_RUNS)) < 0)
		return;
	for (int i = 0; i < k && !w->err; i++) {
		uint64_t bytes = runs[i].len * n->csize;
		for (uint64_t o = 0; runs[i].lcn >= 0 && o + isz <= bytes &&
		     n->indx++ < MAX_INDX && !w->err; o += isz)
			if (!rd(n, b, isz, (uint64_t)runs[i].lcn * n->csize + o) &&
			    !fixup_as(b, isz, "INDX"))
				idx_header(w, b + 24, isz - 24);
	}
}

/* Names the lost records through the $I30 indexes of the folders that
 * still read (root index and index blocks). */
static int name_lost(struct ntfs *n, uint8_t *r, struct nrun *runs,
		     uint32_t part, struct lb_bad_list *out)
{
	char dir[1024];
	uint8_t *b = malloc(65536);
	struct names w = { n, dir, part, out, b ? 0 : -ENOMEM };
	uint64_t at;

	for (uint64_t i = 0; i < n->nrec && !w.err; i++) {
		const uint8_t *a;
		if (record(n, i, r, &at) || (le(r + 22, 2) & 3) != 3 ||
		    le(r + 32, 8) != 0 || !(a = find_attr(n, r, 0x90, 0, NULL)) ||
		    a[8])
			continue;       /* not a readable folder base record */
		uint32_t vlen = (uint32_t)le(a + 16, 4), vofs = (uint32_t)le(a + 20, 2);
		if (vofs + vlen > le(a + 4, 4) || vlen < 32)
			continue;
		const uint8_t *v = a + vofs;
		uint32_t isz = (uint32_t)le(v + 8, 4);
		dir[0] = 0;
		if (i != 5)
			path_of(n, r, i, dir, sizeof dir);
		idx_header(&w, v + 16, vlen - 16);
		if (isz >= 512 && isz <= 65536 && !(isz & (isz - 1)))
			idx_blocks(&w, r, isz, runs, b);
	}
	free(b);
	return w.err;
}

int lb_rescue_ntfs_files(int fd, uint64_t base, uint64_t len, uint32_t part,
			 const struct lb_rmap *m, struct lb_bad_list *out)
{
	struct ntfs *n = calloc(1, sizeof *n);
	struct nrun *runs = malloc(MAX_RUNS * sizeof *runs);
	uint8_t *r = NULL;
	uint64_t mft_lcn, at;
	struct lost lost = { 0, 0, 0 };
	char path[1024];
	int e = -ENOMEM;

	if (!n || !runs)
		goto out;
	*n = (struct ntfs){ .fd = fd, .base = base, .m = m };
	if ((e = parse_boot(n, len, &mft_lcn)) || !(r = malloc(n->rsize)) ||
	    (e = load_mft(n, mft_lcn, r)))
		goto out;
	for (uint64_t i = 0; i < n->nrec && !e; i++) {
		uint64_t bad;
		if (record_lost(n, i, &lost))
			continue;
		if (lost.n)
			e = lost_line(n, &lost, part, out);
		if (record(n, i, r, &at) || !(le(r + 22, 2) & 1) ||
		    le(r + 32, 8) != 0)
			continue;       /* unreadable, free, or an extension */
		if (!(bad = file_bad(n, r, at, runs)))
			continue;
		path_of(n, r, i, path, sizeof path);
		e = lb_bad_list_add(out, part, "ntfs", path, bad);
	}
	if (!e && lost.n)
		e = lost_line(n, &lost, part, out);
	if (!e && n->nlost)
		e = name_lost(n, r, runs, part, out);
out:
	free(r);
	free(runs);
	free(n);
	return e;
}
