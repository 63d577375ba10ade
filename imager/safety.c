/*
 * safety.c — the checks that stand between a person and a wiped disk
 * (brief rule 2): lb_check_target refuses a restore or clone target that
 * is mounted (the device or any partition of it), used as swap or held by
 * md/dm, opened exclusively by another program (O_EXCL), holds the running
 * Lifeboat medium, holds the image being restored (case C034), or is too
 * small, and a file target that backs a loop device in use.
 * lb_check_source refuses a source with a filesystem mounted
 * read-write unless forced (case C035).  lb_check_image_dest refuses an
 * image that would be written onto the source itself (brief rule 1).
 *
 * Every refusal returns -LB_EREFUSED (exit code 3) and ctx->msg names the
 * device, the reason and, for sizes, bytes and human units.  Nothing here
 * writes, mounts or unmounts anything (case C036).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lifeboat.h"
#include "devices_sys.h"
#include "image_io.h"
#include "safety_loop.h"

#define FAULT_PREFIX "fault:"
#define MAX_LOOP_DEPTH 8

static int pieces_overlap(struct lb_ctx *ctx, const char *image,
			  const struct lb_span *span, int image_read);

static const char *strip_fault(const char *path)
{
	size_t n = strlen(FAULT_PREFIX);

	return strncmp(path, FAULT_PREFIX, n) == 0 ? path + n : path;
}

static int refuse(struct lb_ctx *ctx, const char *path, const char *why)
{
	snprintf(ctx->msg, sizeof ctx->msg, "refusing to write %.100s: %.380s", path,
		 why);
	return -LB_EREFUSED;
}

/* Mounted, swap or held: any member of SET.  Fills WHY on a hit. */
static int in_use(const struct lb_diskset *set, char *why, size_t n)
{
	char mp[PATH_MAX], holder[64];
	int rw;

	for (size_t i = 0; i < set->n; i++) {
		const char *name = set->d[i].name;
		if (lb_sys_mounted(set->d[i].dev, mp, sizeof mp, &rw)) {
			snprintf(why, n, "%s is mounted at %.200s (%s)", name, mp,
				 rw ? "read-write" : "read-only");
			return 1;
		}
		if (lb_sys_swap(set->d[i].dev)) {
			snprintf(why, n, "%s is in use as swap", name);
			return 1;
		}
		if (lb_sys_holder(name, holder)) {
			snprintf(why, n, "%s is in use by %s (device mapper, "
				 "RAID or LVM)", name, holder);
			return 1;
		}
	}
	return 0;
}

/* Whether DEV is a member of SET. */
static int in_set(const struct lb_diskset *set, dev_t dev)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->d[i].dev == dev)
			return 1;
	return 0;
}

/* Whether the file IMAGE lives on SET, also through loop devices whose
 * backing files live there (bounded: MAX_LOOP_DEPTH hops). */
static int holds_file(const struct lb_diskset *set, const char *image,
		      char *via, size_t n)
{
	char name[64], backing[PATH_MAX];
	struct stat st;

	lb_sys_copy(backing, sizeof backing, image);
	for (int depth = 0; depth < MAX_LOOP_DEPTH; depth++) {
		if (stat(backing, &st) < 0)
			return 0;
		if (in_set(set, st.st_dev) ||
		    (S_ISBLK(st.st_mode) && in_set(set, st.st_rdev)))
			return 1;
		if (lb_sys_name(st.st_dev, name) < 0 ||
		    lb_sys_loop_backing(name, backing, sizeof backing) < 0)
			return 0;
		snprintf(via, n, " (through %s, backed by %.200s)", name, backing);
	}
	return 0;
}

/* Whether anyone else holds PATH open exclusively, or it is mounted. */
static int excl_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EBUSY;
}

static int too_small(struct lb_ctx *ctx, const char *path, uint64_t have,
		     uint64_t need)
{
	char a[32], b[32], why[256];

	if (have >= need)
		return 0;
	snprintf(why, sizeof why, "it is too small: it holds %llu bytes (%s) "
		 "but %llu bytes (%s) are needed", (unsigned long long)have,
		 lb_human_size(have, a, sizeof a), (unsigned long long)need,
		 lb_human_size(need, b, sizeof b));
	return refuse(ctx, path, why);
}

/* Whether one of the loop devices PEERS (NP of them) is in use: mounted,
 * swap, held or opened exclusively.  Fills WHY naming it (F7). */
static int peers_busy(char (*peers)[64], int np, const char *what,
		      char *why, size_t n)
{
	struct lb_diskset *set = malloc(sizeof *set);
	char use[400], dev[80];
	int hit = 0;

	for (int i = 0; set && i < np && !hit; i++) {
		snprintf(dev, sizeof dev, "/dev/%.63s", peers[i]);
		if (lb_sys_diskset(peers[i], set) == 0 &&
		    in_use(set, use, sizeof use)) {
			snprintf(why, n, "%.260s %.30s, and %.300s", what, dev,
				 use);
			hit = 1;
		} else if (excl_busy(dev)) {
			snprintf(why, n, "%.260s %.30s, which another program holds "
				 "open exclusively", what, dev);
			hit = 1;
		}
	}
	free(set);
	return hit;
}

/* Whether the loop device DISK shares bytes of its backing file with
 * another loop device that is in use (a filesystem mounted through
 * /dev/loop4 is written through /dev/loop3 just the same).  Fills WHY. */
static int loop_peer_busy(const char *disk, char *why, size_t n)
{
	char peers[LB_LOOP_PEERS_MAX][64], what[PATH_MAX + 120];
	char backing[PATH_MAX];
	struct stat fst;
	uint64_t lo, hi;
	int np;

	if (lb_loop_file_range(disk, &fst, &lo, &hi) < 0 ||
	    lb_sys_loop_backing(disk, backing, sizeof backing) < 0)
		return 0;
	np = lb_loop_peers(&fst, lo, hi, disk, peers, LB_LOOP_PEERS_MAX);
	snprintf(what, sizeof what, "it covers the same bytes of %.200s as "
		 "loop device", backing);
	return peers_busy(peers, np, what, why, n);
}

static int check_block(struct lb_ctx *ctx, const char *path,
		       const struct stat *st, uint64_t need, const char *image)
{
	struct lb_diskset *set;
	char name[64], disk[64], why[700], via[300] = "";
	int r = 0;

	if (lb_sys_name(st->st_rdev, name) < 0 || lb_sys_disk_of(name, disk) < 0)
		return refuse(ctx, path, "the kernel does not list it in /sys");
	if (!(set = malloc(sizeof *set)))
		return -ENOMEM;
	/* A partition node: check it (and its own holders); a disk: all. */
	if (strcmp(name, disk) == 0)
		r = lb_sys_diskset(disk, set);
	else if ((r = lb_sys_diskset(disk, set)) == 0) {
		for (size_t i = 0; i < set->n; i++)
			if (strcmp(set->d[i].name, name) == 0)
				set->d[0] = set->d[i];
		set->n = 1;
	}
	if (r < 0)
		r = refuse(ctx, path, "the kernel does not list it in /sys");
	else if (image && holds_file(set, image, via, sizeof via)) {
		snprintf(why, sizeof why, "it holds %.150s%.200s, which is "
			 "being read for this job", image, via);
		r = refuse(ctx, path, why);
	} else if (lb_sys_is_medium(disk))
		r = refuse(ctx, path, "it holds the running Lifeboat medium");
	else if (in_use(set, why, sizeof why) ||
		 loop_peer_busy(disk, why, sizeof why))
		r = refuse(ctx, path, why);
	else if (excl_busy(path))
		r = refuse(ctx, path, "it is in use: another program holds it "
			   "open exclusively (O_EXCL failed with EBUSY)");
	else
		r = too_small(ctx, path, set->d[0].size, need);
	free(set);
	return r;
}

/* Whether the regular file ST backs a loop device that is in use
 * (mounted, swap, held or opened exclusively): writing it would change a
 * mounted filesystem under the kernel's feet.  Fills WHY. */
static int backs_busy_loop(const struct stat *st, char *why, size_t n)
{
	char name[64], backing[PATH_MAX], dev[80], use[400];
	struct lb_diskset *set;
	struct stat bst;
	int hit = 0;

	if (!(set = malloc(sizeof *set)))
		return 0;
	for (int i = 0; i < 1024 && !hit; i++) {
		snprintf(name, sizeof name, "loop%d", i);
		if (lb_sys_loop_backing(name, backing, sizeof backing) < 0 ||
		    stat(backing, &bst) < 0 || bst.st_dev != st->st_dev ||
		    bst.st_ino != st->st_ino || lb_sys_diskset(name, set) < 0)
			continue;
		snprintf(dev, sizeof dev, "/dev/%s", name);
		if (in_use(set, use, sizeof use)) {
			snprintf(why, n, "it backs loop device %.30s, and %.300s",
				 dev, use);
			hit = 1;
		} else if (excl_busy(dev)) {
			snprintf(why, n, "it backs loop device %.30s, which another "
				 "program holds open exclusively", dev);
			hit = 1;
		}
	}
	free(set);
	return hit;
}

static int check_file(struct lb_ctx *ctx, const char *path,
		      const struct stat *st, const char *image)
{
	struct stat ist;
	char why[400];

	if (!S_ISREG(st->st_mode))
		return refuse(ctx, path, "it is neither a regular file nor a "
			      "block device");
	if (image && stat(image, &ist) == 0 && ist.st_dev == st->st_dev &&
	    ist.st_ino == st->st_ino)
		return refuse(ctx, path, "it is the file being read for this "
			      "job");
	if (backs_busy_loop(st, why, sizeof why))
		return refuse(ctx, path, why);
	return 0;               /* a file target grows to the size needed */
}

int lb_check_target(struct lb_ctx *ctx, const char *path, uint64_t need,
		    const char *image)
{
	struct stat st;

	path = strip_fault(path);
	if (image)
		image = strip_fault(image);
	/* Rule 1: the target is not what is read, nor over its bytes
	 * (a loop device over the image or source file, ...). */
	struct lb_span tspan = { .path = path };
	int ro;
	if (image && (ro = pieces_overlap(ctx, image, &tspan, 1)) < 0)
		return ro;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;       /* a new file, created sparse */
		snprintf(ctx->msg, sizeof ctx->msg, "%s: %s", path,
			 strerror(errno));
		return -errno;
	}
	if (S_ISBLK(st.st_mode))
		return check_block(ctx, path, &st, need, image);
	return check_file(ctx, path, &st, image);
}

/* Whether a loop device over bytes [LO, HI) of file FST (but SELF) has a
 * filesystem mounted read-write: MP[N] and its name into PEER[64]. */
static int peer_mounted_rw(const struct stat *fst, uint64_t lo, uint64_t hi,
			   const char *self, char *mp, size_t n, char *peer)
{
	char peers[LB_LOOP_PEERS_MAX][64];
	struct lb_diskset *set = malloc(sizeof *set);
	int np = lb_loop_peers(fst, lo, hi, self, peers, LB_LOOP_PEERS_MAX);
	int rw = 0, hit = 0;

	for (int i = 0; set && i < np && !hit; i++) {
		if (lb_sys_diskset(peers[i], set) < 0)
			continue;
		for (size_t j = 0; j < set->n && !hit; j++)
			hit = lb_sys_mounted(set->d[j].dev, mp, n, &rw) && rw;
		if (hit)
			lb_sys_copy(peer, 64, peers[i]);
	}
	free(set);
	return hit;
}

/* A source with a filesystem mounted read-write on it, on a partition of
 * it, or through another loop device over the same bytes of the same file
 * (a regular-file source backing it, or a loop device sharing its backing
 * file: F7).  Fills MP[N] and VIA[N2]; 1 on a hit. */
static int source_mounted_rw(const char *path, char *mp, size_t n,
			     char *via, size_t n2)
{
	struct lb_diskset *set;
	char name[64], disk[64], peer[64] = "";
	struct stat st, fst;
	uint64_t lo, hi;
	int rw = 0, hit = 0;

	if (stat(path, &st) < 0)
		return 0;
	if (S_ISREG(st.st_mode))
		hit = peer_mounted_rw(&st, 0, UINT64_MAX, NULL, mp, n, peer);
	else if (!S_ISBLK(st.st_mode) || lb_sys_name(st.st_rdev, name) < 0 ||
		 lb_sys_disk_of(name, disk) < 0)
		return 0;
	else if ((set = malloc(sizeof *set))) {
		if (lb_sys_diskset(strcmp(name, disk) ? name : disk, set) == 0)
			for (size_t i = 0; i < set->n && !hit; i++)
				hit = lb_sys_mounted(set->d[i].dev, mp, n, &rw)
				      && rw;
		free(set);
		if (!hit && lb_loop_file_range(disk, &fst, &lo, &hi) == 0)
			hit = peer_mounted_rw(&fst, lo, hi, disk, mp, n, peer);
	}
	if (hit && peer[0])
		snprintf(via, n2, " (through loop device /dev/%s over the same "
			 "bytes)", peer);
	return hit;
}

int lb_check_source(struct lb_ctx *ctx, const char *path, int force)
{
	char mp[PATH_MAX], via[160] = "";
	int hit;

	path = strip_fault(path);
	hit = source_mounted_rw(path, mp, sizeof mp, via, sizeof via);
	if (hit)
		snprintf(ctx->msg, sizeof ctx->msg, "%s: a filesystem on it is "
			 "mounted read-write at %.150s%s, so the copy may be "
			 "inconsistent%s", path, mp, via, force ? " (going on: "
			 "--force)" : "; unmount it, remount it read-only, or "
			 "use --force");
	return hit ? (force ? 1 : -LB_EREFUSED) : 0;
}

/* The set of block devices a source at PATH (a block device) covers: the
 * partition itself, or the whole disk with its partitions. */
static int source_set(const struct stat *st, struct lb_diskset *set)
{
	char name[64], disk[64];

	if (lb_sys_name(st->st_rdev, name) < 0 || lb_sys_disk_of(name, disk) < 0 ||
	    lb_sys_diskset(disk, set) < 0)
		return -1;
	if (strcmp(name, disk))
		for (size_t i = 0; i < set->n; i++)
			if (strcmp(set->d[i].name, name) == 0) {
				set->d[0] = set->d[i];
				set->n = 1;
				return 0;
			}
	return 0;
}

/* Whether PATH exists and is the same file as ST. */
static int same_file(const char *path, const struct stat *st)
{
	struct stat s2;

	return stat(path, &s2) == 0 && s2.st_dev == st->st_dev &&
	       s2.st_ino == st->st_ino;
}

/* Whether the loop device ST is backed by the file IMAGE (or a loop
 * device backed by it, MAX_LOOP_DEPTH hops). */
static int loop_backed_by(const struct stat *st, const char *image,
			  char *via, size_t n)
{
	char name[64], backing[PATH_MAX];
	struct stat is, bs;
	dev_t dev = st->st_rdev;

	if (stat(image, &is) < 0)
		return 0;
	for (int depth = 0; depth < MAX_LOOP_DEPTH; depth++) {
		if (lb_sys_name(dev, name) < 0 ||
		    lb_sys_loop_backing(name, backing, sizeof backing) < 0 ||
		    stat(backing, &bs) < 0)
			return 0;
		if (bs.st_dev == is.st_dev && bs.st_ino == is.st_ino) {
			snprintf(via, n, " (%s is backed by it)", name);
			return 1;
		}
		if (!S_ISBLK(bs.st_mode))
			return 0;
		dev = bs.st_rdev;
	}
	return 0;
}

int lb_check_image_dest(struct lb_ctx *ctx, const char *source,
			const char *image)
{
	char part[PATH_MAX], dir[PATH_MAX], via[300] = "", *slash;
	struct lb_diskset *set;
	struct stat st;
	int hit = 0;

	source = strip_fault(source);
	/* Never replace or unlink a device node with the image file. */
	if (stat(image, &st) == 0 && !S_ISREG(st.st_mode))
		return refuse(ctx, image, "it exists and is not a regular file "
			      "(a device node or directory); an image is "
			      "written as a new file");
	struct lb_span sspan = { .path = source };
	int ro;
	if ((ro = pieces_overlap(ctx, image, &sspan, 0)) < 0)
		return ro;
	if (stat(source, &st) < 0)
		return 0;               /* lb_dev_open names the problem */
	snprintf(part, sizeof part, "%s.part", image);
	if (!S_ISBLK(st.st_mode)) {
		if (same_file(image, &st) || same_file(part, &st))
			return refuse(ctx, image, "it is the source being backed "
				      "up; choose another image name");
		return 0;
	}
	lb_sys_copy(dir, sizeof dir, image);
	if ((slash = strrchr(dir, '/')))
		slash[slash == dir] = 0;        /* "/x" -> "/", "a/b" -> "a" */
	else
		snprintf(dir, sizeof dir, ".");
	if (!(set = malloc(sizeof *set)))
		return -ENOMEM;
	if (source_set(&st, set) == 0)
		hit = holds_file(set, image, via, sizeof via) ||
		      holds_file(set, dir, via, sizeof via) ||
		      loop_backed_by(&st, image, via, sizeof via);
	free(set);
	if (hit) {
		char why[640];
		snprintf(why, sizeof why, "it would be written onto %.100s%.200s, "
			 "the source being backed up (nothing may write to a "
			 "source); put the image on another disk", source, via);
		return refuse(ctx, image, why);
	}
	return 0;
}

/* ---- Rule 1: byte-range overlap of two spans (lb_check_overlap) --------
 * A span is resolved to every (file identity, byte range) it reaches: the
 * file itself (st_dev, st_ino) or the whole disk a block node belongs to
 * (its dev_t; a partition adds its start), then, for a loop device, its
 * backing file with loop/offset and loop/sizelimit (sysfs), and so on for
 * up to MAX_LOOP_DEPTH hops.  Two spans overlap when any identity of one
 * equals one of the other and the byte ranges intersect. */
struct ov_id {
	int blk;                /* 1: id is a whole disk's dev_t; 0: a file */
	dev_t dev;
	ino_t ino;
	uint64_t lo, hi;        /* bytes [lo, hi) of that file or disk */
};

#define OV_MAX (2 * MAX_LOOP_DEPTH + 2)

static uint64_t ov_end(uint64_t lo, uint64_t len)
{
	return len && lo + len >= lo ? lo + len : UINT64_MAX;
}

/* Fills V (at most OV_MAX) with what PATH's bytes [LO, HI) are; returns the
 * count, 0 when PATH does not exist. */
static int ov_resolve(const char *path, uint64_t lo, uint64_t hi,
		      struct ov_id *v)
{
	char cur[PATH_MAX], name[64], disk[64], buf[80];
	struct stat st;
	int n = 0;

	lb_sys_copy(cur, sizeof cur, path);
	for (int depth = 0; depth < MAX_LOOP_DEPTH && n < OV_MAX - 1; depth++) {
		if (stat(cur, &st) < 0)
			return n;
		if (!S_ISBLK(st.st_mode) || lb_sys_name(st.st_rdev, name) < 0 ||
		    lb_sys_disk_of(name, disk) < 0) {
			v[n++] = (struct ov_id){ 0, st.st_dev, st.st_ino, lo, hi };
			return n;
		}
		if (strcmp(name, disk)) {       /* a partition: disk bytes */
			uint64_t s = lb_sys_read_u64(name, "start", 0) * 512;
			lo += s;
			hi = hi == UINT64_MAX ? hi : hi + s;
		}
		/* The disk's dev_t from sysfs ("MAJ:MIN"): needs no /dev node. */
		unsigned ma, mi;
		dev_t dd = st.st_rdev;
		if (lb_sys_read(disk, "dev", buf, sizeof buf) == 0 &&
		    sscanf(buf, "%u:%u", &ma, &mi) == 2)
			dd = makedev(ma, mi);
		v[n++] = (struct ov_id){ 1, dd, 0, lo, hi };
		if (lb_sys_loop_backing(disk, cur, sizeof cur) < 0)
			return n;
		uint64_t off = lb_sys_read_u64(disk, "loop/offset", 0);
		uint64_t lim = lb_sys_read_u64(disk, "loop/sizelimit", 0);
		if (lim && hi > lim)
			hi = lim;
		lo += off;
		hi = hi == UINT64_MAX ? hi : hi + off;
	}
	return n;
}

int lb_check_overlap(struct lb_ctx *ctx, const struct lb_span *a,
		     const struct lb_span *b)
{
	struct ov_id va[OV_MAX], vb[OV_MAX];
	const char *pa = strip_fault(a->path), *pb = strip_fault(b->path);
	int na = ov_resolve(pa, a->offset, ov_end(a->offset, a->length), va);
	int nb = ov_resolve(pb, b->offset, ov_end(b->offset, b->length), vb);

	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++) {
			const struct ov_id *x = &va[i], *y = &vb[j];
			if (x->blk != y->blk || x->dev != y->dev ||
			    (!x->blk && x->ino != y->ino) ||
			    x->hi <= y->lo || y->hi <= x->lo)
				continue;
			snprintf(ctx->msg, sizeof ctx->msg, "refusing to write "
				 "%.150s: it would write onto %.150s, the source "
				 "being read for this job (the same file or "
				 "device, or a loop device or backing file over "
				 "the same bytes); nothing may write to a source",
				 pb, pa);
			return -LB_EREFUSED;
		}
	return 0;
}

/* Whether any file of IMAGE (IMAGE, IMAGE.part, split pieces IMAGE.NNN and
 * IMAGE.NNN.part) overlaps SPAN: IMAGE_READ says which side is read. */
static int pieces_overlap(struct lb_ctx *ctx, const char *image,
			  const struct lb_span *span, int image_read)
{
	char name[PATH_MAX + 16];
	struct stat st;
	int r = 0;

	for (int i = 0; i < 1000 && !r; i++) {
		int found = 0;
		for (int part = 0; part < 2 && !r; part++) {
			lb_piece_name(name, sizeof name, image, i, part);
			if (stat(name, &st) < 0)
				continue;
			struct lb_span ps = { .path = name };
			found = 1;
			r = image_read ? lb_check_overlap(ctx, &ps, span) :
			    lb_check_overlap(ctx, span, &ps);
		}
		if (i && !found)
			break;          /* past the last piece */
	}
	return r;
}
