/*
 * cli_jobs.c — `lifeboat backup | restore | clone`: parse the options,
 * run the safety checks early enough to ask the person only about a
 * target that could be written at all, confirm, run the engine job with
 * a progress display, and turn its result into words and an exit code.
 * A job that failed never prints a success line (case C066).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dev.h"
#include "image.h"      /* LB_DEFAULT_CLUSTER */

enum { OPT_COMPRESS = 256, OPT_LEVEL, OPT_CLUSTER, OPT_SPLIT, OPT_THREADS,
       OPT_PART, OPT_OFFSET, OPT_LENGTH, OPT_FORCE, OPT_YES, OPT_VERIFY,
       OPT_HELP, OPT_AGAINST, OPT_JSON, OPT_RAW, OPT_NOSPACE, OPT_GROW,
       OPT_NEWIDS, OPT_TABLE };

static const struct option job_opts[] = {
	{ "compress", required_argument, 0, OPT_COMPRESS },
	{ "level", required_argument, 0, OPT_LEVEL },
	{ "cluster-size", required_argument, 0, OPT_CLUSTER },
	{ "split", required_argument, 0, OPT_SPLIT },
	{ "threads", required_argument, 0, OPT_THREADS },
	{ "partition", required_argument, 0, OPT_PART },
	{ "offset", required_argument, 0, OPT_OFFSET },
	{ "length", required_argument, 0, OPT_LENGTH },
	{ "force", no_argument, 0, OPT_FORCE },
	{ "yes", no_argument, 0, OPT_YES },
	{ "verify", no_argument, 0, OPT_VERIFY },
	{ "against", required_argument, 0, OPT_AGAINST },
	{ "json", no_argument, 0, OPT_JSON },
	{ "raw", no_argument, 0, OPT_RAW },
	{ "no-space-check", no_argument, 0, OPT_NOSPACE },
	{ "grow-last", no_argument, 0, OPT_GROW },
	{ "new-ids", no_argument, 0, OPT_NEWIDS },
	{ "table", required_argument, 0, OPT_TABLE },
	{ "help", no_argument, 0, OPT_HELP },
	{ 0, 0, 0, 0 },
};

/* Letters naming the OPT_* values ('a' + OPT - 256) a command accepts. */
#define ALLOW_BACKUP  "abcdefghiops"    /* compress..force, raw, no-space, table */
#define ALLOW_RESTORE "efghjkqrs"       /* threads, span, yes, verify, pt,
					 * table (target's, for --partition) */
#define ALLOW_CLONE   "fghijkqrs"       /* span, force, yes, verify, pt, table */
#define ALLOW_VERIFY  "em"              /* threads, against */
#define ALLOW_INFO    "n"               /* json */

/* The one message for a bad --split (also in help and docs/cli.md): 0 is
 * not "no split", and a piece must hold at least one cluster. */
#define SPLIT_WORDS "--split takes a size of at least the cluster size " \
	"(1M, or --cluster-size), e.g. 4095M"

/* Every option any job takes; each command says which ones it accepts. */
struct job_args {
	const char *cmd, *allowed;      /* allowed: letters of OPT_* - 256 */
	const char *pos[2];
	int npos;
	enum lb_compress compress;
	int level, threads, force, yes, verify, json, help, raw, nospace;
	int grow_last, new_ids;
	enum lb_table_choice table;     /* --table gpt|mbr (C013) */
	long part;
	uint64_t cluster, split;
	const char *offset, *length, *against;
};

static int take(struct job_args *a, int c, const char *arg)
{
	int v;

	switch (c) {
	case OPT_COMPRESS:
		if (!strcmp(arg, "zstd")) a->compress = LB_COMPRESS_ZSTD;
		else if (!strcmp(arg, "zlib")) a->compress = LB_COMPRESS_ZLIB;
		else return cli_usage_error(a->cmd, "--compress takes zstd or zlib");
		return 0;
	case OPT_LEVEL:
		return cli_parse_int(arg, 1, 22, &a->level) ? cli_usage_error(
			a->cmd, "--level takes 1..22 (zstd) or 1..9 (zlib)") : 0;
	case OPT_CLUSTER:
		return cli_parse_size(arg, &a->cluster) || a->cluster < (64u << 10) ||
		       a->cluster > (2u << 20) || (a->cluster & (a->cluster - 1)) ?
		       cli_usage_error(a->cmd, "--cluster-size must be a power "
				       "of two from 64K to 2M") : 0;
	case OPT_SPLIT:
		return cli_parse_size(arg, &a->split) || !a->split ?
		       cli_usage_error(a->cmd, SPLIT_WORDS) : 0;
	case OPT_THREADS:
		return cli_parse_int(arg, 1, 1024, &a->threads) ? cli_usage_error(
			a->cmd, "--threads takes 1..1024") : 0;
	case OPT_PART:
		if (cli_parse_int(arg, 1, 1 << 20, &v))
			return cli_usage_error(a->cmd, "--partition takes a number from 1");
		a->part = v;
		return 0;
	case OPT_OFFSET: a->offset = arg; return 0;
	case OPT_LENGTH: a->length = arg; return 0;
	case OPT_FORCE: a->force = 1; return 0;
	case OPT_YES: a->yes = 1; return 0;
	case OPT_VERIFY: a->verify = 1; return 0;
	case OPT_AGAINST: a->against = arg; return 0;
	case OPT_JSON: a->json = 1; return 0;
	case OPT_RAW: a->raw = 1; return 0;
	case OPT_NOSPACE: a->nospace = 1; return 0;
	case OPT_GROW: a->grow_last = 1; return 0;
	case OPT_NEWIDS: a->new_ids = 1; return 0;
	case OPT_TABLE:
		if (!strcmp(arg, "gpt")) a->table = LB_TABLE_GPT;
		else if (!strcmp(arg, "mbr")) a->table = LB_TABLE_MBR;
		else return cli_usage_error(a->cmd, "--table takes gpt or mbr");
		return 0;
	case OPT_HELP: a->help = 1; return 0;
	}
	return cli_usage_error(a->cmd, "unknown option");
}

/* Parses ARGV for command A->cmd with NPOS positional arguments, of which
 * the last MIN_OPT may be missing.  Returns 0 or an exit code. */
static int parse(struct job_args *a, int argc, char **argv, int npos,
		 int min_opt)
{
	int c, r, li;

	optind = 1;
	opterr = 0;
	while (li = -1, (c = getopt_long(argc, argv, "h", job_opts, &li)) != -1) {
		if (c == 'h')
			c = OPT_HELP;
		if (c == '?' || (c != OPT_HELP && !strchr(a->allowed, 'a' + c - 256)))
			return cli_usage_error(a->cmd, "option '%s%s' is not known "
					       "to %s", li >= 0 ? "--" : "",
					       li >= 0 ? job_opts[li].name :
					       argv[optind - 1], a->cmd);
		if ((r = take(a, c, optarg)) != 0)
			return r;
	}
	if (a->help) {
		cli_help_cmd(a->cmd);
		return -1;
	}
	for (; optind < argc && a->npos < npos; optind++)
		a->pos[a->npos++] = argv[optind];
	if (optind < argc)
		return cli_usage_error(a->cmd, "unexpected argument '%s'", argv[optind]);
	if (a->npos < npos - min_opt)
		return cli_usage_error(a->cmd, "missing argument");
	return 0;
}

static void done_line(const char *verb, const char *from, const char *to,
		      uint64_t bytes, int verified)
{
	char h[32];

	cli_progress_end();
	printf("%s done: %s -> %s, %llu bytes (%s)%s\n", verb, from, to,
	       (unsigned long long)bytes, cli_human(bytes, h, sizeof h),
	       verified ? ", verified by reading back" : "");
}

/* A rescue image restored: the bytes it holds as zeros because its
 * rescue could not read them are zeros on the target too (trial 2 F14). */
static void rescue_note(const struct lb_image_info *i, const char *image,
			const char *target)
{
	uint64_t bad = i->rescue_bad + i->rescue_untried;

	if (i->rescue && bad)
		printf("note: %s is a rescue: %llu bytes in %llu areas were "
		       "unreadable and are zeros on %s (`lifeboat info %s` "
		       "lists them and the files they touch)\n", image,
		       (unsigned long long)bad,
		       (unsigned long long)i->rescue_areas, target, image);
}

/* The size of the clone source span, for the checks and the question. */
static int source_size(struct lb_ctx *ctx, const struct lb_span *sp,
		       uint64_t *size)
{
	struct lb_dev *d;
	int r = lb_dev_open(ctx, sp, LB_DEV_READ, 0, &d);

	if (r < 0)
		return r;
	*size = d->size;
	lb_dev_close(d);
	return 0;
}

/* The source checks of a backup or clone: lb_check_source (mounted
 * read-write: refused, or with --force a warning on stderr) and the
 * source's size in bytes.  0, or the exit code after the message. */
static int checked_source(const char *cmd, struct lb_ctx *ctx,
			  const struct lb_span *sp, int force, uint64_t *size)
{
	int warn = lb_check_source(ctx, sp->path, force), r;

	if (warn < 0)
		return cli_fail_as(cmd, ctx, warn, LB_EXIT_SOURCE_IO);
	if (warn == 1)
		fprintf(stderr, "lifeboat: warning: %s\n", ctx->msg);
	ctx->msg[0] = 0;
	if ((r = source_size(ctx, sp, size)) < 0)
		return cli_fail_as(cmd, ctx, r, LB_EXIT_SOURCE_IO);
	return 0;
}

/* Bytes a restore or clone of BYTES writes to SPAN: all of them, or what
 * a smaller disk (or --length) holds, which the engine's fit check allows
 * when every partition fits (C001; pt.h).  For the question asked before
 * writing, so that it names what will really be written. */
static uint64_t to_write(const struct lb_span *sp, uint64_t bytes)
{
	struct lb_span whole = { .path = sp->path };
	struct lb_ctx ctx = { 0 };
	uint64_t have = sp->offset ? 0 : sp->length;
	struct lb_dev *d;

	if (!sp->offset && !sp->length &&
	    lb_dev_open(&ctx, &whole, LB_DEV_READ, 0, &d) == 0) {
		have = d->is_block ? d->size : 0;
		lb_dev_close(d);
	}
	return have && have < bytes ? have : bytes;
}

/* Restore and clone run twice (every check, then the job): a line the
 * checks already said (the smaller target's "every partition fits") is
 * not said again by the job (trial 2 F1).  SEEN holds the check pass's
 * lines, "\n"-terminated; lines that do not fit are simply said again. */
static struct { lb_log_fn log; void *user; char seen[4096]; int job; } said;

static void log_once(const char *line, void *user)
{
	size_t len = strlen(said.seen), n = strlen(line);
	const char *p = said.seen;

	(void)user;
	for (; said.job && n && (p = strstr(p, line)); p += n)
		if ((p == said.seen || p[-1] == '\n') && p[n] == '\n')
			return;
	if (!said.job && len + n + 2 < sizeof said.seen)
		snprintf(said.seen + len, sizeof said.seen - len, "%s\n", line);
	if (said.log)
		said.log(line, said.user);
}

/* From here on CTX's lines go through log_once; JOB: the job pass. */
static void log_pass(struct lb_ctx *ctx, int job)
{
	if (ctx->log != log_once) {
		said.log = ctx->log;
		said.user = ctx->user;
		said.seen[0] = 0;
		ctx->log = log_once;
	}
	said.job = job;
}

/* Options of restore/clone that do not go together with a partition
 * (trial 2 F10, F3): --grow-last grows a whole disk's last partition;
 * restore's --table picks the target's table for --partition only (a
 * whole-disk restore uses the choice recorded in the image).  Returns 0 or
 * exit 2 after saying why. */
static int span_checks(const struct job_args *a)
{
	uint64_t off = 0;

	if (a->offset && cli_parse_size(a->offset, &off) < 0)
		off = 1;        /* cli_span says what is wrong with it */
	if (a->grow_last && (a->part > 0 || off))
		return cli_usage_error(a->cmd, "--grow-last grows the last "
				       "partition of a whole disk; it does not "
				       "apply with --partition (or a nonzero "
				       "--offset)");
	if (!strcmp(a->cmd, "restore") && a->table != LB_TABLE_AUTO &&
	    a->part <= 0)
		return cli_usage_error("restore", "--table chooses which table "
				       "of TARGET numbers --partition N (a disk "
				       "whose GPT and MBR disagree); a whole-disk "
				       "restore uses the choice recorded in the "
				       "image");
	return 0;
}

int cli_backup(int argc, char **argv)
{
	struct job_args a = { .cmd = "backup", .allowed = ALLOW_BACKUP };
	struct lb_backup_opts o = {0};
	struct lb_ctx ctx;
	uint64_t size;
	int r;

	if ((r = parse(&a, argc, argv, 2, 0)))
		return r < 0 ? 0 : r;
	/* the writer needs a piece to hold at least one cluster */
	if (a.split && a.split < (a.cluster ? a.cluster : LB_DEFAULT_CLUSTER))
		return cli_usage_error("backup", SPLIT_WORDS);
	o.source.path = a.pos[0];
	if ((r = cli_span_table("backup", &o.source, a.part, a.offset,
				a.length, a.table)))
		return r;
	o.image = a.pos[1];
	o.compress = a.compress;
	o.level = a.level;
	o.cluster_size = (uint32_t)a.cluster;
	o.split_size = a.split;
	o.threads = a.threads;
	o.overwrite = a.force;
	o.raw = a.raw;
	o.no_space_check = a.nospace;
	o.table = a.table;
	cli_ctx_init(&ctx);
	if ((r = checked_source("backup", &ctx, &o.source, a.force, &size)))
		return r;
	if ((r = lb_backup(&ctx, &o)) < 0)
		return cli_fail("backup", &ctx, r);
	done_line("backup", o.source.path, o.image, size, 0);
	return LB_EXIT_OK;
}

int cli_restore(int argc, char **argv)
{
	struct job_args a = { .cmd = "restore", .allowed = ALLOW_RESTORE };
	struct lb_restore_opts o = {0};
	struct lb_image_info info;
	struct lb_ctx ctx;
	int r;

	if ((r = parse(&a, argc, argv, 2, 0)))
		return r < 0 ? 0 : r;
	o.image = a.pos[0];
	o.target.path = a.pos[1];
	if ((r = span_checks(&a)) ||
	    (r = cli_span_table("restore", &o.target, a.part, a.offset,
				a.length, a.table)))
		return r;
	cli_ctx_init(&ctx);
	if ((r = lb_image_info(&ctx, o.image, &info)) < 0)
		return cli_fail("restore", &ctx, r);
	o.threads = a.threads;
	o.verify_after = a.verify;
	o.grow_last = a.grow_last;
	o.new_ids = a.new_ids;
	/* Every refusal (mounted, in use, medium, holds IMAGE, too small for
	 * the image's partitions, C001) before the person types a name. */
	o.check_only = 1;
	log_pass(&ctx, 0);
	if ((r = lb_restore(&ctx, &o)) < 0)
		return cli_fail("restore", &ctx, r);
	if ((r = cli_confirm("restore", o.target.path,
			     to_write(&o.target, info.virtual_size), a.yes)))
		return r;
	o.check_only = 0;
	o.confirmed = 1;
	log_pass(&ctx, 1);
	if ((r = lb_restore(&ctx, &o)) < 0)
		return cli_fail("restore", &ctx, r);
	/* what was written: less than the image on a smaller disk (C001) */
	done_line("restore", o.image, o.target.path,
		  cli_written() ? cli_written() : info.virtual_size, a.verify);
	rescue_note(&info, o.image, o.target.path);
	return LB_EXIT_OK;
}

int cli_clone(int argc, char **argv)
{
	struct job_args a = { .cmd = "clone", .allowed = ALLOW_CLONE };
	struct lb_clone_opts o = {0};
	struct lb_ctx ctx;
	uint64_t size;
	int r;

	if ((r = parse(&a, argc, argv, 2, 0)))
		return r < 0 ? 0 : r;
	o.source.path = a.pos[0];
	o.target.path = a.pos[1];
	if ((r = span_checks(&a)) ||
	    (r = cli_span_table("clone", &o.source, a.part, a.offset,
				a.length, a.table)))
		return r;
	cli_ctx_init(&ctx);
	if ((r = checked_source("clone", &ctx, &o.source, a.force, &size)))
		return r;
	o.force = a.force;
	o.threads = a.threads;
	o.verify_after = a.verify;
	o.grow_last = a.grow_last;
	o.new_ids = a.new_ids;
	o.table = a.table;
	/* Every refusal, including the fit of the source's partitions on
	 * the target (C001), before the person types a name. */
	o.check_only = 1;
	log_pass(&ctx, 0);
	if ((r = lb_clone(&ctx, &o)) < 0)
		return cli_fail("clone", &ctx, r);
	if ((r = cli_confirm("clone", o.target.path, to_write(&o.target, size),
			     a.yes)))
		return r;
	o.check_only = 0;
	o.confirmed = 1;
	log_pass(&ctx, 1);
	if ((r = lb_clone(&ctx, &o)) < 0)
		return cli_fail("clone", &ctx, r);
	/* what was written: less than the source on a smaller disk (C001,
	 * trial 2 F1), as restore says it */
	done_line("clone", o.source.path, o.target.path,
		  to_write(&o.target, size), a.verify);
	return LB_EXIT_OK;
}

/* Says what a successful verify proved, and no more: an image from
 * another tool has no checksums (its clusters only decoded); a used-block
 * image holds only the used bytes, so free space was not compared. */
static void verify_ok_line(const struct lb_verify_opts *o, const char *note)
{
	struct lb_image_info *i = calloc(1, sizeof *i);
	struct lb_ctx ctx = {0};
	int meta = 1, used_only = 0, rescue = 0;

	if (i && lb_image_info(&ctx, o->image, i) == 0) {
		meta = i->has_lifeboat_meta;
		rescue = i->rescue;
		for (uint32_t k = 0; k < i->nparts && k < LB_MAX_PART_MODES; k++)
			used_only |= !i->parts[k].raw;
	}
	free(i);
	if (meta)
		printf("verify OK: %s is complete, every cluster matches its "
		       "checksum and the whole disk matches its SHA-256%s", o->image,
		       rescue ? " (of the rescued disk, unreadable bytes as "
		       "zeros)" : used_only ? " (of the restored disk, free "
		       "space as zeros)" : "");
	else
		printf("verify OK: every cluster of %s decoded (it was not made "
		       "by Lifeboat and has no checksums to compare)", o->image);
	if (o->against && note && note[0])
		printf(";\nbut %s", note);
	else if (o->against && used_only)
		printf(";\nthe used (stored) bytes match %s; free space was not "
		       "compared (used-blocks image)", o->against);
	else if (o->against)
		printf(";\nit holds the same bytes as %s", o->against);
	printf("\n");
}

int cli_verify(int argc, char **argv)
{
	struct job_args a = { .cmd = "verify", .allowed = ALLOW_VERIFY };
	struct lb_verify_opts o = {0};
	struct lb_ctx ctx;
	uint64_t size;
	int r;

	if ((r = parse(&a, argc, argv, 1, 0)))
		return r < 0 ? 0 : r;
	o.image = a.pos[0];
	o.against = a.against;
	o.threads = a.threads;
	cli_ctx_init(&ctx);
	/* --against is read like a source: one that cannot be opened (no
	 * such device or file, permission) exits 4, naming the path */
	if (o.against && (r = source_size(&ctx, &(struct lb_span){
					  .path = o.against }, &size)) < 0)
		return cli_fail_as("verify", &ctx, r, LB_EXIT_SOURCE_IO);
	if ((r = lb_verify(&ctx, &o)) < 0)
		return cli_fail("verify", &ctx, r);
	cli_progress_end();
	verify_ok_line(&o, ctx.msg);
	return LB_EXIT_OK;
}

/* "2026-11-30 00:41:07 UTC" (ISO 8601 date and time, UTC). */
static const char *iso_utc(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, n, "%lld seconds since 1970 UTC", (long long)t);
	return out;
}

static void info_source(FILE *f, const struct lb_image_info *i)
{
	char h[32];

	fprintf(f, "source:         ");
	if (i->source_model[0])
		fprintf(f, "%s, ", i->source_model);
	if (i->source_serial[0])
		fprintf(f, "serial %s, ", i->source_serial);
	fprintf(f, "%llu bytes (%s), sectors %u logical / %u physical\n",
	       (unsigned long long)i->source_size,
	       cli_human(i->source_size, h, sizeof h), i->logical_sector,
	       i->physical_sector);
}

/* One partition (or the whole disk): where, how big, and how it was
 * imaged and why, on two lines. */
static void info_part(FILE *f, const struct lb_part_mode *m)
{
	char sz[32], used[32], at[32];

	if (m->number)
		fprintf(f, "  partition %u", m->number);
	else
		fprintf(f, "  whole disk");
	fprintf(f, " (%s): %s at byte %llu (%s), %s used\n",
	       m->fstype[0] ? m->fstype : "filesystem unknown",
	       cli_human(m->size, sz, sizeof sz), (unsigned long long)m->start,
	       cli_human(m->start, at, sizeof at), cli_human(m->used, used, sizeof used));
	fprintf(f, "      mode %s%s%s\n", m->raw ? "raw (every byte stored)" :
	       "used-blocks (only what the filesystem uses is stored; free "
	       "space restores as zeros)", m->reason[0] ? ": " : "", m->reason);
}

/* What the SHA-256 is of (trial 2 F5): a rescue image holds unreadable
 * bytes as zeros, a used-blocks image free space as zeros; an unfinished
 * image has none yet (F6).  JSON: "sha256_kind". */
static const char *hash_kind(const struct lb_image_info *i)
{
	static const char *const kind[] = {
		[LB_SHA_PENDING] = "not-computed", [LB_SHA_SOURCE] = "source",
		[LB_SHA_FREE_AS_ZEROS] = "restored-disk-free-space-as-zeros",
		[LB_SHA_UNREADABLE_AS_ZEROS] = "rescued-disk-unreadable-as-zeros",
	};
	return kind[lb_image_sha_kind(i)];
}

static void info_hash(FILE *f, const struct lb_image_info *i)
{
	int used = lb_image_sha_kind(i) == LB_SHA_FREE_AS_ZEROS;

	if (i->sha256_pending)
		fprintf(f, "sha256:         not computed yet (made when the %s "
		       "finishes)\n", i->rescue ? "rescue" : "backup");
	else if (i->rescue || used)
		fprintf(f, "sha256 of the %s disk (%s as zeros):\n                "
		       "%s\n", i->rescue ? "rescued" : "restored",
		       i->rescue ? "unreadable bytes" : "free space", i->sha256);
	else
		fprintf(f, "source sha256:  %s\n", i->sha256);
	if (i->rescue)
		fprintf(f, "rescue map:     %llu bytes rescued, %llu unreadable, "
		       "%llu not tried yet\n",
		       (unsigned long long)i->rescue_finished,
		       (unsigned long long)i->rescue_bad,
		       (unsigned long long)i->rescue_untried);
	else
		fprintf(f, "unreadable:     %llu bytes\n",
		       (unsigned long long)i->bad_bytes);
}

static void info_text(FILE *f, const char *image,
		      const struct lb_image_info *i)
{
	char h[32], fs[32];

	fprintf(f, "image:          %s%s\n", image, i->complete ? "" : i->rescue ?
	       "  (UNFINISHED RESCUE: stopped before its end; `lifeboat rescue "
	       "SOURCE IMAGE --resume` goes on)" :
	       "  (INCOMPLETE: the backup did not finish)");
	fprintf(f, "virtual size:   %llu bytes (%s)\n",
	       (unsigned long long)i->virtual_size, cli_human(i->virtual_size, h, sizeof h));
	if (i->joined_pieces)
		fprintf(f, "file size:      %llu bytes (%s) in one file (the %d "
		       "pieces of a split image, joined)\n",
		       (unsigned long long)i->file_size,
		       cli_human(i->file_size, fs, sizeof fs), i->joined_pieces);
	else
		fprintf(f, "file size:      %llu bytes (%s) in %d piece%s\n",
		       (unsigned long long)i->file_size,
		       cli_human(i->file_size, fs, sizeof fs), i->pieces,
		       i->pieces == 1 ? "" : "s");
	fprintf(f, "cluster size:   %u\ncompression:    %s\n", i->cluster_size,
	       i->compress == LB_COMPRESS_ZLIB ? "zlib" : "zstd");
	fprintf(f, "clusters:       %llu stored, %llu zero\n",
	       (unsigned long long)i->stored_clusters,
	       (unsigned long long)i->zero_clusters);
	if (!i->has_lifeboat_meta) {
		fprintf(f, "metadata:       none (not made by Lifeboat)\n");
		return;
	}
	info_source(f, i);
	fprintf(f, "created:        %s by lifeboat %s\n", iso_utc(i->created, h, sizeof h),
	       i->tool_version);
	/* A used-blocks image stores no free space: its SHA-256 is that of
	 * the disk as it restores, not of the source (trial finding 4). */
	info_hash(f, i);
	if (i->table != LB_TABLE_AUTO)   /* C013: the backup's --table */
		fprintf(f, "partition table: %s trusted (chosen with --table %s: the disk's GPT and MBR disagree)\n",
		       i->table == LB_TABLE_GPT ? "GPT" : "MBR",
		       i->table == LB_TABLE_GPT ? "gpt" : "mbr");
	if (i->nparts)
		fprintf(f, "imaged as:\n");
	for (uint32_t k = 0; k < i->nparts && k < LB_MAX_PART_MODES; k++)
		info_part(f, &i->parts[k]);
}

static void jstr(const char *k, const char *v)
{
	printf("  \"%s\": \"", k);
	for (; *v; v++)
		if (*v == '"' || *v == '\\')
			printf("\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			printf("\\u%04x", *v);
		else
			putchar(*v);
	printf("\",\n");
}

static void info_json(const char *image, const struct lb_image_info *i)
{
	printf("{\n  \"virtual_size\": %llu,\n  \"file_size\": %llu,\n"
	       "  \"cluster_size\": %u,\n  \"compression\": \"%s\",\n"
	       "  \"complete\": %s,\n  \"pieces\": %d,\n  \"joined_pieces\": %d,\n"
	       "  \"lifeboat_metadata\": %s,\n",
	       (unsigned long long)i->virtual_size, (unsigned long long)i->file_size,
	       i->cluster_size, i->compress == LB_COMPRESS_ZLIB ? "zlib" : "zstd",
	       i->complete ? "true" : "false", i->pieces, i->joined_pieces,
	       i->has_lifeboat_meta ? "true" : "false");
	jstr("source_model", i->source_model);
	jstr("source_serial", i->source_serial);
	jstr("tool_version", i->tool_version);
	jstr("sha256", i->sha256_pending ? "" : i->sha256);
	jstr("sha256_kind", hash_kind(i));     /* F5: what it is of */
	jstr("table_choice", i->table == LB_TABLE_GPT ? "gpt" :
	     i->table == LB_TABLE_MBR ? "mbr" : "");
	printf("  \"partitions\": [");
	for (uint32_t k = 0; k < i->nparts && k < LB_MAX_PART_MODES; k++) {
		const struct lb_part_mode *m = &i->parts[k];
		printf("%s\n    {\"number\": %u, \"start\": %llu, \"size\": %llu, "
		       "\"used\": %llu, \"mode\": \"%s\",\n    ", k ? "," : "",
		       m->number, (unsigned long long)m->start,
		       (unsigned long long)m->size, (unsigned long long)m->used,
		       m->raw ? "raw" : "used-blocks");
		jstr("fstype", m->fstype);
		printf("  \"reason\": \"");
		for (const char *c = m->reason; *c; c++)
			printf(*c == '"' || *c == '\\' ? "\\%c" :
			       (unsigned char)*c < 0x20 ? "\\u%04x" : "%c", *c);
		printf("\"}");
	}
	printf("%s],\n", i->nparts ? "\n  " : "");
	printf("  \"source_size\": %llu,\n  \"logical_sector\": %u,\n"
	       "  \"physical_sector\": %u,\n  \"created\": %lld,\n"
	       "  \"stored_clusters\": %llu,\n  \"zero_clusters\": %llu,\n"
	       "  \"bad_bytes\": %llu",
	       (unsigned long long)i->source_size, i->logical_sector,
	       i->physical_sector, (long long)i->created,
	       (unsigned long long)i->stored_clusters,
	       (unsigned long long)i->zero_clusters, (unsigned long long)i->bad_bytes);
	cli_rescue_info_json(image, stdout);    /* rescue: additive */
	printf("\n}\n");
}


/* The text form of info: the image's fields, then the rescue's map and
 * files (cli_rescue.c), each written to memory, then through
 * cli_put_escaped.  0 or an exit code. */
static int info_text_out(const char *image, const struct lb_image_info *i)
{
	for (int part = 0; part < 2; part++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (!m) {
			fprintf(stderr, "lifeboat: info FAILED: %s\n",
				strerror(errno));
			return LB_EXIT_FAILURE;
		}
		if (part == 0)
			info_text(m, image, i);
		else
			cli_rescue_info(image, m);      /* rescue: additive */
		fclose(m);
		if (buf)
			cli_put_escaped(buf, part);
		free(buf);
	}
	return LB_EXIT_OK;
}

int cli_info(int argc, char **argv)
{
	struct job_args a = { .cmd = "info", .allowed = ALLOW_INFO };
	struct lb_image_info info;
	struct lb_ctx ctx = {0};
	int r;

	if ((r = parse(&a, argc, argv, 1, 0)))
		return r < 0 ? 0 : r;
	memset(&info, 0, sizeof info);
	if ((r = lb_image_info(&ctx, a.pos[0], &info)) < 0)
		return cli_fail("info", &ctx, r);
	if (!a.json)
		return info_text_out(a.pos[0], &info);
	info_json(a.pos[0], &info);
	return LB_EXIT_OK;
}
