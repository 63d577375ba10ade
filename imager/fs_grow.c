/*
 * fs_grow.c — grows the ext2/3/4 filesystem of the last partition after
 * restore/clone --grow-last grew its table entry (see fs_grow.h).
 *
 * The one place where the engine runs another program: e2fsprogs'
 * e2fsck and resize2fs (ext2/3/4), ntfs-3g's ntfsresize (NTFS), found on
 * $PATH or in /usr/sbin, /sbin, started
 * with fork/execve (no shell), stdin /dev/null, stdout and stderr
 * captured for the log line, each wait bounded.  The partition is reached
 * through a loop device over its bytes of the target (lb_loop_attach,
 * dev_block.c), so files and disks without partition nodes work alike.
 * The sequence is Clonezilla's (e2fsck -f, then resize2fs) with a
 * read-only check first, so that a filesystem e2fsck would change is
 * left exactly as restored.  The filesystem's block count before and
 * after is read with libext2fs (the same library the backup uses).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>
#include "fs_grow.h"
#include "fs.h"
#include "pt.h"

#define GROW_LIMIT_S (6u * 3600u)    /* per program: e2fsck of a full TB */

/* ---- Running a helper program ------------------------------------------ */

/* Child side: stdin from /dev/null, stdout and stderr into the pipe, no
 * other descriptor (the target's, the loop device's) kept open, its own
 * process group (a Ctrl-C on the terminal reaches Lifeboat, which decides:
 * e2fsck may be stopped, a running resize2fs never), no blocked signals.
 * Only async-signal-safe calls: the TUI runs jobs on a thread. */
static void child(int wfd, const char *prog, char *const argv[])
{
	static char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				     "LC_ALL=C", NULL };
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int nul = open("/dev/null", O_RDONLY);

	if (nul < 0 || dup2(nul, 0) < 0 || dup2(wfd, 1) < 0 || dup2(wfd, 2) < 0)
		_exit(127);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	execve(prog, argv, env);
	_exit(127);
}

/* Appends C to OUT[N], dropping the oldest byte when full. */
static void put_tail(char *out, size_t n, size_t *have, char c)
{
	if (*have + 1 >= n) {
		memmove(out, out + 1, *have);
		(*have)--;
	}
	out[(*have)++] = c;
	out[*have] = 0;
}

/* Keeps the last N-1 bytes of what the program wrote, newlines as "; ",
 * other control characters dropped. */
static void keep_tail(char *out, size_t n, const char *buf, size_t len)
{
	size_t have = strlen(out);

	for (size_t i = 0; i < len && n > 4; i++) {
		if (buf[i] == '\n') {
			if (have && out[have - 1] != ' ') {
				put_tail(out, n, &have, ';');
				put_tail(out, n, &have, ' ');
			}
		} else if ((unsigned char)buf[i] >= ' ') {
			put_tail(out, n, &have, buf[i]);
		}
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Parent side: reads the pipe until EOF, then reaps; kills the child on
 * timeout or (KILLABLE) cancel.  Returns like lb_run_prog. */
static int watch(struct lb_ctx *ctx, pid_t pid, int rfd, unsigned limit,
		 int killable, char *out, size_t n)
{
	double end = now_s() + limit;
	int st, r = 0, eof = 0;
	char buf[512];

	for (;;) {
		if (!eof) {
			struct pollfd p = { .fd = rfd, .events = POLLIN };
			if (poll(&p, 1, 200) > 0) {
				ssize_t k = read(rfd, buf, sizeof buf);
				if (k > 0)
					keep_tail(out, n, buf, (size_t)k);
				else if (k == 0 || errno != EINTR)
					eof = 1;
			}
		} else {
			pid_t w = waitpid(pid, &st, WNOHANG);
			if (w == pid)
				break;
			if (w < 0 && errno != EINTR)
				return -errno;
			usleep(50000);
		}
		if (!r && now_s() > end)
			r = -ETIMEDOUT;
		else if (!r && killable && ctx->cancel)
			r = -ECANCELED;
		if (r) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return r;
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int lb_run_prog(struct lb_ctx *ctx, const char *prog, char *const argv[],
		unsigned limit, int killable, char *out, size_t n)
{
	int p[2], r;
	pid_t pid;

	if (n)
		out[0] = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0)
		child(p[1], prog, argv);
	close(p[1]);
	r = watch(ctx, pid, p[0], limit, killable, out, n);
	close(p[0]);
	return r;
}

/* NAME on $PATH, then in /usr/sbin and /sbin (not on a user's PATH on
 * Debian).  Returns 0 with the path in OUT, or -ENOENT. */
static int find_prog(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH");
	char list[1024];

	snprintf(list, sizeof list, "%s:/usr/sbin:/sbin", path ? path : "");
	for (char *save, *d = strtok_r(list, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')
			continue;       /* never a relative PATH entry */
		snprintf(out, n, "%s/%s", d, name);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* ---- The partition and its filesystem ----------------------------------- */

static const struct lb_pt_part *last_part(const struct lb_pt *pt)
{
	const struct lb_pt_part *best = NULL;

	for (size_t i = 0; i < pt->nparts && i < LB_PT_MAX; i++) {
		const struct lb_pt_part *p = &pt->parts[i];
		if (p->is_extended || p->is_logical || !p->size_lba)
			continue;
		if (!best || p->start_lba + p->size_lba >
			     best->start_lba + best->size_lba)
			best = p;
	}
	return best;
}

static int read_table(struct lb_ctx *ctx, struct lb_dev *dev,
		      enum lb_table_choice choice, struct lb_pt **out)
{
	struct lb_pt *pt = malloc(sizeof(*pt));
	int r;

	if (!pt)
		return -ENOMEM;
	if ((r = lb_pt_read_choice(ctx, dev, choice, pt)) ||
	    pt->kind == LB_PT_NONE) {
		free(pt);
		return r ? r : -ENOENT;
	}
	*out = pt;
	return 0;
}

int lb_fs_grow_prepare(struct lb_ctx *ctx, struct lb_dev *dev,
		       enum lb_table_choice choice, struct lb_fs_grow *g)
{
	struct lb_pt *pt = NULL;
	const struct lb_pt_part *p;
	int r;

	memset(g, 0, sizeof *g);
	g->choice = choice;
	if ((r = read_table(ctx, dev, choice, &pt)))
		return r == -ENOENT ? 0 : r;
	if ((p = last_part(pt))) {
		g->part = p->number;
		g->start = p->start_lba * pt->sector;
		g->size = p->size_lba * pt->sector;
	}
	free(pt);
	return 0;
}

/* Block count and size of the ext filesystem on PATH (the loop device). */
static int ext_size(const char *path, uint64_t *blocks, unsigned *bs,
		    char *why, size_t n)
{
	ext2_filsys fs = NULL;
	errcode_t e = ext2fs_open2(path, NULL, EXT2_FLAG_64BITS, 0, 0,
				   unix_io_manager, &fs);

	if (e) {
		snprintf(why, n, "libext2fs cannot open it: %s", error_message(e));
		return -EIO;
	}
	*blocks = ext2fs_blocks_count(fs->super);
	*bs = fs->blocksize;
	ext2fs_close_free(&fs);
	return 0;
}

/* Runs one step on the loop device LOOP; its exit status when that is 0
 * up to MAX_OK, else -1 with WHY saying which step said what. */
static int step_ok(struct lb_ctx *ctx, const char *prog, const char *flags,
		   const char *loop, int killable, const char *what,
		   const char *verb, int max_ok, char *why, size_t n)
{
	char out[400];
	char *argv[] = { (char *)prog, (char *)flags, (char *)loop, NULL };
	char *argv2[] = { (char *)prog, (char *)loop, NULL };
	int r = lb_run_prog(ctx, prog, flags ? argv : argv2, GROW_LIMIT_S,
			    killable, out, sizeof out);

	if (r >= 0 && r <= max_ok)
		return r;
	for (size_t k = strlen(out); k && (out[k - 1] == ' ' || out[k - 1] == ';');)
		out[--k] = 0;
	if (r == -ETIMEDOUT)
		snprintf(why, n, "%s did not finish within %u hours and was "
			 "stopped", what, GROW_LIMIT_S / 3600);
	else if (r == -ECANCELED)
		snprintf(why, n, "cancelled during %s", what);
	else if (r < 0)
		snprintf(why, n, "cannot start %s: %s", prog, strerror(-r));
	else
		snprintf(why, n, "%s %s (exit %d): %s", what,
			 r == 127 ? "could not be run" : verb, r, out);
	return -1;
}

/* The same when only exit 0 will do: 0 or -1. */
static int step(struct lb_ctx *ctx, const char *prog, const char *flags,
		const char *loop, int killable, const char *what,
		const char *verb, char *why, size_t n)
{
	return step_ok(ctx, prog, flags, loop, killable, what, verb, 0, why, n) ?
	       -1 : 0;
}

/* What a grower did: sizes in UNIT-byte blocks or sectors, the program. */
struct grown {
	uint64_t from, to;
	unsigned unit;
	const char *units;      /* "blocks", "sectors" */
	const char *checked;    /* how it was checked first */
	char prog[300];
};

/* e2fsck -f -n, e2fsck -f -p, resize2fs on LOOP.  0 when grown, else -1
 * with WHY. */
static int grow_ext(struct lb_ctx *ctx, const char *loop, struct grown *g,
		    char *why, size_t n)
{
	char fsck[300];

	g->units = "blocks";
	g->checked = "e2fsck -f clean before";
	if (find_prog("e2fsck", fsck, sizeof fsck) ||
	    find_prog("resize2fs", g->prog, sizeof g->prog)) {
		snprintf(why, n, "e2fsck and resize2fs (e2fsprogs) were not "
			 "found on PATH, in /usr/sbin or /sbin");
		return -1;
	}
	if (ext_size(loop, &g->from, &g->unit, why, n))
		return -1;
	/* Read-only first: a filesystem e2fsck would change stays as restored.
	 * After a clean -fn, -fp may still exit 1 for what -n does not count
	 * as an error (a stale free-blocks count in the superblock, which
	 * preen mode corrects): e2fsck(8) exit 1, "errors corrected". */
	if (step(ctx, fsck, "-fn", loop, 1, "e2fsck -fn", "found problems",
		 why, n))
		return -1;
	int p = step_ok(ctx, fsck, "-fp", loop, 1, "e2fsck -fp",
			"did not finish clean", 1, why, n);
	if (p < 0 ||
	    step(ctx, g->prog, NULL, loop, 0, "resize2fs", "refused", why, n))
		return -1;
	if (p == 1)
		g->checked = "e2fsck -fn clean before, then e2fsck -fp corrected "
			     "summary counts";
	return ext_size(loop, &g->to, &g->unit, why, n) ? -1 : 0;
}

/* NTFS volume size from its boot sector on PATH: TotalSectors (BPB 0x28,
 * the backup boot sector after them not counted) of BytesPerSector
 * (0x0B).  0 or -1 with WHY. */
static int ntfs_size(const char *path, uint64_t *sectors, unsigned *bps,
		     char *why, size_t n)
{
	uint8_t b[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k = fd < 0 ? -1 : pread(fd, b, sizeof b, 0);

	if (fd >= 0)
		close(fd);
	if (k != (ssize_t)sizeof b || memcmp(b + 3, "NTFS    ", 8)) {
		snprintf(why, n, "cannot read its NTFS boot sector on %s", path);
		return -1;
	}
	*bps = b[0x0b] | b[0x0c] << 8;
	*sectors = 0;
	for (int i = 7; i >= 0; i--)
		*sectors = *sectors << 8 | b[0x28 + i];
	return 0;
}

/* ntfsresize (ntfs-3g): -i without --force refuses a volume scheduled for
 * a check, a hibernated or inconsistent one; then a test run (-n), then
 * the resize to the partition's size.  --force only answers the question
 * it would otherwise ask.  0 when grown, else -1 with WHY. */
static int grow_ntfs(struct lb_ctx *ctx, const char *loop, struct grown *g,
		     char *why, size_t n)
{
	g->units = "sectors";
	g->checked = "ntfsresize -i and a test run clean before; Windows "
		     "checks the volume at its next start";
	if (find_prog("ntfsresize", g->prog, sizeof g->prog)) {
		snprintf(why, n, "ntfsresize (ntfs-3g) was not found on PATH, "
			 "in /usr/sbin or /sbin; extend the volume in Windows "
			 "(Disk Management, Extend Volume) to use the space");
		return -1;
	}
	if (ntfs_size(loop, &g->from, &g->unit, why, n) ||
	    step(ctx, g->prog, "-iP", loop, 1, "ntfsresize -i",
		 "found problems", why, n) ||
	    step(ctx, g->prog, "-nfP", loop, 1, "the test run ntfsresize -n",
		 "refused", why, n) ||
	    step(ctx, g->prog, "-fP", loop, 0, "ntfsresize", "refused", why, n))
		return -1;
	return ntfs_size(loop, &g->to, &g->unit, why, n) ? -1 : 0;
}

/* Why a filesystem of TYPE is not grown; NULL for ext2/3/4 and NTFS. */
static const char *no_grower(const char *type)
{
	if (!strcmp(type, "ext2") || !strcmp(type, "ext3") ||
	    !strcmp(type, "ext4") || !strcmp(type, "ntfs"))
		return NULL;
	if (!strcmp(type, "vfat") || !strcmp(type, "exfat"))
		return "Lifeboat grows only ext2/3/4 and NTFS filesystems; FAT "
		       "and exFAT keep their size (the space after them is free)";
	return "Lifeboat grows only ext2/3/4 and NTFS filesystems";
}

/* Attaches the loop device and runs the grower for TYPE. */
static int run_grower(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t start,
		      uint64_t size, const char *type, struct grown *g,
		      char *why, size_t n)
{
	char loop[64] = "";
	int lfd = lb_loop_attach(ctx, dev->path, dev->base + start, size, 0,
				 loop, sizeof loop), r;

	if (lfd < 0) {
		snprintf(why, n, "%s", ctx->msg);
		return -1;
	}
	r = strcmp(type, "ntfs") ? grow_ext(ctx, loop, g, why, n) :
				   grow_ntfs(ctx, loop, g, why, n);
	close(lfd);
	if (!r && g->to <= g->from) {
		snprintf(why, n, "%s left it at %llu %s", g->prog,
			 (unsigned long long)g->to, g->units);
		r = -1;
	}
	return r;
}

/* "47.0 MiB to 48.0 MiB", FROM and TO in bytes; the exact bytes ("from
 * 49283072 to 49807360 bytes") when both round to the same human size. */
static const char *from_to(uint64_t from, uint64_t to, char *out, size_t n)
{
	char a[32], b[32];

	lb_human_size(from, a, sizeof a);
	lb_human_size(to, b, sizeof b);
	if (strcmp(a, b))
		snprintf(out, n, "%s to %s", a, b);
	else
		snprintf(out, n, "%llu to %llu bytes", (unsigned long long)from,
			 (unsigned long long)to);
	return out;
}

/* The filesystem part of the line: grown from A to B, or not and why. */
static int grow_fs(struct lb_ctx *ctx, struct lb_dev *dev, uint64_t start,
		   uint64_t size, char *line, size_t n)
{
	struct lb_fs_info fi = { 0 };
	struct grown g = { 0 };
	char why[600] = "", ft[80];
	const char *no;

	if (lb_fs_probe(ctx, dev, start, size, &fi) != 0 || !fi.type[0]) {
		ctx->msg[0] = 0;
		snprintf(line, n, "; no filesystem was recognised in it, so none "
			 "was grown");
		return 0;
	}
	if ((no = no_grower(fi.type))) {
		snprintf(line, n, "; its %s filesystem was not grown: %s",
			 fi.type, no);
		return 0;
	}
	int ok = !run_grower(ctx, dev, start, size, fi.type, &g, why, sizeof why);
	ctx->msg[0] = 0;
	if (ok)
		snprintf(line, n, "; its %s filesystem grown from %s "
			 "(%llu to %llu %s of %u bytes; %s; %s)", fi.type,
			 from_to(g.from * g.unit, g.to * g.unit, ft, sizeof ft),
			 (unsigned long long)g.from, (unsigned long long)g.to,
			 g.units, g.unit, g.checked, g.prog);
	else
		snprintf(line, n, "; its %s filesystem was not grown (its data "
			 "is as restored): %s", fi.type, why);
	return ok;
}

int lb_fs_grow_last(struct lb_ctx *ctx, struct lb_dev *dev,
		    const struct lb_fs_grow *g, char *note, size_t n)
{
	struct lb_pt *pt = NULL;
	const struct lb_pt_part *p = NULL;
	char line[1200], fsl[900], ft[80];
	int grown = 0;

	if (note && n)
		note[0] = 0;
	if (!g->part || read_table(ctx, dev, g->choice, &pt)) {
		ctx->msg[0] = 0;
		free(pt);
		return 0;
	}
	for (size_t i = 0; i < pt->nparts && i < LB_PT_MAX; i++)
		if (pt->parts[i].number == g->part)
			p = &pt->parts[i];
	uint64_t size = p ? p->size_lba * pt->sector : 0;
	if (p && p->start_lba * pt->sector == g->start && size > g->size) {
		grown = grow_fs(ctx, dev, g->start, size, fsl, sizeof fsl);
		snprintf(line, sizeof line, "%spartition %u: entry grown from "
			 "%s%s", grown ? "" : "warning: ", g->part,
			 from_to(g->size, size, ft, sizeof ft), fsl);
		if (ctx->log)
			ctx->log(line, ctx->user);
		if (note && n)
			snprintf(note, n, "%s", line);
	}
	free(pt);
	return grown;
}
