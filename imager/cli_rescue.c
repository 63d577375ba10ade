/*
 * cli_rescue.c — `lifeboat rescue SOURCE IMAGE`: get every readable byte
 * off a failing disk (rescue.h), with a progress line, and at the end a
 * report: bytes rescued, bytes and areas that could not be read (as byte
 * ranges and LBAs), reads sent, and the files that touch bad sectors.
 * Also the rescue part of `lifeboat info IMAGE` (cli_rescue_info): the
 * unreadable ranges and bad files stored with the map in the image.
 *
 * Exit codes: 0 when the rescue ran to its end (even with bad sectors:
 * the report says so), otherwise those of lb_exit_code (4 source gone,
 * 5 image not writable, 8 cancelled, 2 usage...).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "rescue.h"

enum { O_RESUME = 300, O_EXPORT, O_IMPORT, O_RETRIES, O_REVERSE, O_SLOW,
       O_NODATA, O_COMPRESS, O_HELP, O_PART, O_OFFSET, O_LENGTH, O_KEEPTO,
       O_CKPT, O_RTO, O_TABLE, O_FORCE };

static const struct option opts[] = {
	{ "resume", no_argument, 0, O_RESUME },
	{ "export-map", required_argument, 0, O_EXPORT },
	{ "import-map", required_argument, 0, O_IMPORT },
	{ "retries", required_argument, 0, O_RETRIES },
	{ "reverse", no_argument, 0, O_REVERSE },
	{ "slow-ms", required_argument, 0, O_SLOW },
	{ "no-data-first", no_argument, 0, O_NODATA },
	{ "keep-timeouts", no_argument, 0, O_KEEPTO },
	{ "checkpoint-ms", required_argument, 0, O_CKPT },
	{ "read-timeout-ms", required_argument, 0, O_RTO },
	{ "compress", required_argument, 0, O_COMPRESS },
	{ "partition", required_argument, 0, O_PART },
	{ "offset", required_argument, 0, O_OFFSET },
	{ "length", required_argument, 0, O_LENGTH },
	{ "table", required_argument, 0, O_TABLE },
	{ "force", no_argument, 0, O_FORCE },
	{ "help", no_argument, 0, O_HELP },
	{ 0, 0, 0, 0 },
};

struct rargs {
	struct lb_rescue_opts o;
	const char *export_map, *off, *len;
	long part;
	int force;              /* --export-map may replace an existing file */
};

static int take(struct rargs *a, int c, const char *arg)
{
	int v;

	switch (c) {
	case O_RESUME: a->o.resume = 1; return 0;
	case O_EXPORT: a->export_map = arg; return 0;
	case O_FORCE: a->force = 1; return 0;
	case O_IMPORT: a->o.import_map = arg; return 0;
	case O_REVERSE: a->o.reverse = 1; return 0;
	case O_NODATA: a->o.no_data_first = 1; return 0;
	case O_KEEPTO: a->o.keep_timeouts = 1; return 0;
	case O_TABLE:           /* C013, as backup --table */
		if (!strcmp(arg, "gpt")) a->o.table = LB_TABLE_GPT;
		else if (!strcmp(arg, "mbr")) a->o.table = LB_TABLE_MBR;
		else return cli_usage_error("rescue", "--table takes gpt or mbr");
		return 0;
	case O_OFFSET: a->off = arg; return 0;
	case O_LENGTH: a->len = arg; return 0;
	case O_RETRIES:
		if (cli_parse_int(arg, 0, 1000, &a->o.retries))
			return cli_usage_error("rescue", "--retries takes 0..1000");
		return 0;
	case O_SLOW:
		if (cli_parse_int(arg, 0, 3600000, &v))
			return cli_usage_error("rescue", "--slow-ms takes "
					       "milliseconds, 0 for never");
		a->o.slow_ms = v ? (unsigned)v : UINT32_MAX;
		return 0;
	case O_CKPT:
		if (cli_parse_int(arg, 1, 3600000, &v))
			return cli_usage_error("rescue", "--checkpoint-ms takes "
					       "1..3600000");
		a->o.checkpoint_ms = (unsigned)v;
		return 0;
	case O_RTO:
		if (cli_parse_int(arg, 1, 3600000, &v))
			return cli_usage_error("rescue", "--read-timeout-ms takes "
					       "1..3600000");
		a->o.read_timeout_ms = (unsigned)v;
		return 0;
	case O_PART:
		if (cli_parse_int(arg, 1, 256, &v))
			return cli_usage_error("rescue", "--partition takes 1..256");
		a->part = v;
		return 0;
	case O_COMPRESS:
		if (!strcmp(arg, "zstd")) a->o.compress = LB_COMPRESS_ZSTD;
		else if (!strcmp(arg, "zlib")) a->o.compress = LB_COMPRESS_ZLIB;
		else return cli_usage_error("rescue", "--compress takes zstd or zlib");
		return 0;
	case O_HELP:
		cli_help_cmd("rescue");
		return -1;
	default:
		return cli_usage_error("rescue", "unknown option");
	}
}

static int parse(struct rargs *a, int argc, char **argv)
{
	int c, r;

	a->o.retries = 0;       /* as GNU ddrescue: retry in a later run */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if ((r = take(a, c == '?' ? 0 : c, optarg)))
			return r;
	if (argc - optind != 2)
		return cli_usage_error("rescue", "needs SOURCE and IMAGE");
	a->o.source.path = argv[optind];
	a->o.image = argv[optind + 1];
	return cli_span_table("rescue", &a->o.source, a->part, a->off,
			      a->len, a->o.table);     /* C013, F3 */
}

/* Prints the blocks that are not finished, as bytes and LBAs. */
static void print_ranges(FILE *f, const struct lb_rmap *m, uint32_t sec)
{
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct lb_rblock *b = &m->v[i];
		if (b->st == LB_RM_FINISHED)
			continue;
		if (total++ >= 50)
			continue;
		shown++;
		fprintf(f, "  bytes %" PRIu64 "-%" PRIu64 " (LBA %" PRIu64 "-%"
			PRIu64 ", %" PRIu64 " sectors of %u bytes)%s\n", b->pos,
			b->pos + b->size - 1, b->pos / sec,
			(b->pos + b->size - 1) / sec, (b->size + sec - 1) / sec,
			sec, b->st == LB_RM_BAD ? "" : " not tried to the end");
	}
	if (total > shown)
		fprintf(f, "  ... and %zu more areas (--export-map writes them "
			"all)\n", total - shown);
}

static void print_files(FILE *f, const char *text)
{
	const char *tag = "# bad file: ";
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, tag)); n++) {
		size_t k = strcspn(p + strlen(tag), "\n");
		if (!n)
			fprintf(f, "Files that touch unreadable sectors:\n");
		fprintf(f, "  %.*s\n", (int)k, p + strlen(tag));
		p += strlen(tag) + k;
	}
}

int cli_rescue_info(const char *image, FILE *f)
{
	struct lb_ctx ctx = { 0 };
	struct lb_image_info *info = calloc(1, sizeof *info);
	uint32_t sec = 512;
	struct lb_rmap m;
	char *text = NULL;
	uint64_t bad;

	int complete = 1;

	if (info && lb_image_info(&ctx, image, info) == 0) {
		complete = info->complete;
		if (info->logical_sector >= 512 && info->logical_sector <= 65536)
			sec = info->logical_sector; /* LBAs in the source's sectors */
	}
	free(info);
	int r = lb_rescue_map_load_text(&ctx, image, &m, &text);

	if (r == -EBADMSG || r == -EIO) {
		fprintf(f, "Rescue map: damaged, not shown: %s\n", ctx.msg);
		return 0;
	}
	if (r)
		return 0;       /* no rescue map: not made by a rescue */
	bad = m.size - lb_rmap_bytes(&m, LB_RM_FINISHED);
	if (!complete)
		fprintf(f, "Unfinished rescue: the map below is its last "
			"checkpoint; `lifeboat rescue SOURCE IMAGE --resume` "
			"goes on\n");
	/* bytes not tried yet are not unreadable (trial 2 F6) */
	fprintf(f, "Rescue map: %" PRIu64 " bytes rescued, %" PRIu64 " bytes "
		"unreadable in %zu areas, %" PRIu64 " bytes not tried yet\n",
		lb_rmap_bytes(&m, LB_RM_FINISHED), lb_rmap_bytes(&m, LB_RM_BAD),
		lb_rmap_count(&m, LB_RM_BAD), bad - lb_rmap_bytes(&m, LB_RM_BAD));
	if (bad) {
		fprintf(f, "%s (zeros in the image):\n", bad >
			lb_rmap_bytes(&m, LB_RM_BAD) ? "Not rescued" :
			"Unreadable");
		print_ranges(f, &m, sec);
		print_files(f, text);
	}
	free(text);
	lb_rmap_free(&m);
	return 0;
}

/* LEN bytes of S as the inside of a JSON string. */
static void jesc(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i]; i++)
		if (s[i] == '"' || s[i] == '\\')
			fprintf(f, "\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fprintf(f, "\\u%04x", (unsigned char)s[i]);
		else
			fputc(s[i], f);
}

/* The "bad file" lines of the map's comment as JSON objects: the line,
 * and its parts when it has the form "[partition N, FS] PATH (B bytes
 * unreadable)". */
static void json_files(FILE *f, const char *text)
{
	const char *tag = "# bad file: ";
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, tag)); n++) {
		const char *l = p + strlen(tag), *e, *o;
		size_t k = strcspn(l, "\n");
		unsigned part;
		char fs[32];
		int at = 0;
		unsigned long long b;

		fprintf(f, "%s\n      {\"line\": \"", n ? "," : "");
		jesc(f, l, k);
		fprintf(f, "\"");
		for (o = l + k; o > l && o[-1] != '('; o--)
			;
		if (sscanf(l, "[partition %u, %31[^]]] %n", &part, fs, &at) == 2 &&
		    at && o > l + at + 1 && sscanf(o, "%llu bytes", &b) == 1) {
			e = o - 2;      /* the blank before '(' */
			fprintf(f, ", \"partition\": %u, \"fstype\": \"", part);
			jesc(f, fs, sizeof fs);
			fprintf(f, "\", \"path\": \"");
			jesc(f, l + at, (size_t)(e - (l + at)));
			fprintf(f, "\", \"bad_bytes\": %llu", b);
		}
		fprintf(f, "}");
		p = l + k;
	}
	fprintf(f, "%s]", n ? "\n    " : "");
}

void cli_rescue_info_json(const char *image, FILE *f)
{
	struct lb_ctx ctx = { 0 };
	struct lb_rmap m;
	char *text = NULL;
	size_t n = 0;

	if (lb_rescue_map_load_text(&ctx, image, &m, &text))
		return;         /* no rescue map (or damaged: text says so) */
	fprintf(f, ",\n  \"rescue\": {\"finished_bytes\": %" PRIu64 ", "
		"\"unreadable_bytes\": %" PRIu64 ", \"not_tried_bytes\": %"
		PRIu64 ",\n    \"areas\": [", lb_rmap_bytes(&m, LB_RM_FINISHED),
		lb_rmap_bytes(&m, LB_RM_BAD), m.size -
		lb_rmap_bytes(&m, LB_RM_FINISHED) - lb_rmap_bytes(&m, LB_RM_BAD));
	for (size_t i = 0; i < m.n; i++) {
		const struct lb_rblock *b = &m.v[i];
		if (b->st == LB_RM_FINISHED)
			continue;
		fprintf(f, "%s\n      {\"start\": %" PRIu64 ", \"size\": %" PRIu64
			", \"status\": \"%s\"}", n++ ? "," : "", b->pos, b->size,
			b->st == LB_RM_BAD ? "unreadable" : "not tried");
	}
	fprintf(f, "%s],\n    \"files\": [", n ? "\n    " : "");
	json_files(f, text);
	fprintf(f, "}");
	free(text);
	lb_rmap_free(&m);
}

/* STOPPED: the rescue did not run to its end (IMAGE.part stays); bytes
 * it did not try to the end are then not called unreadable (F6). */
static void report(const struct lb_rescue_stats *st, const char *image,
		   int stopped)
{
	uint64_t open = st->nontried + st->nontrimmed + st->nonscraped;
	char a[32], b[32];

	cli_progress_end();
	printf("Rescued %s of %s %s %s%s\n", cli_human(st->finished, a, sizeof a),
	       cli_human(st->size, b, sizeof b), stopped ? "so far, in" : "into",
	       image, stopped ? ".part (unfinished)" : "");
	if (stopped && open)
		printf("Not tried to the end yet: %" PRIu64 " bytes\n", open);
	printf("Unreadable: %" PRIu64 " bytes in %zu bad areas; %" PRIu64
	       " reads, %" PRIu64 " failed, %" PRIu64 " slow; reads %s\n",
	       stopped ? st->bad : st->bad + open,
	       st->bad_areas, st->reads, st->failed_reads, st->slow_reads,
	       st->direct ? "direct (O_DIRECT)" : "through the page cache");
	if (!stopped && st->bad)
		printf("To try the unreadable areas again (every pass may be "
		       "the disk's last): lifeboat rescue SOURCE %s --resume "
		       "--retries 3\n", image);
}

/* Whether PATH names the same file as ST. */
static int same_file(const char *path, const struct stat *st)
{
	struct stat s2;

	return stat(path, &s2) == 0 && s2.st_dev == st->st_dev &&
	       s2.st_ino == st->st_ino;
}

/* PATH with its folder resolved (realpath), the file itself need not
 * exist: "x/../img" and "./img" name the same file.  "" on failure. */
static void canon(const char *path, char *out, size_t n)
{
	char dir[4200], real[PATH_MAX], *slash;
	const char *base = path;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/'))) {
		base = path + (slash - dir) + 1;
		slash[slash == dir] = 0;        /* "/x" -> "/" */
	} else
		snprintf(dir, sizeof dir, ".");
	if (!realpath(dir, real))
		snprintf(out, n, "%s", "");
	else
		snprintf(out, n, "%s/%s", real, base);
}

static int export_refuse(const char *file, const char *why)
{
	fprintf(stderr, "lifeboat: rescue FAILED: refusing to write %s: %s\n",
		file, why);
	return LB_EXIT_REFUSED;
}

/* The checks any output gets, run before the rescue starts (F12): the map
 * FILE is never a device node or other non-regular file, never the source
 * (same file, or a loop device / backing file over its bytes), never the
 * image, IMAGE.part or the work map, never a file backing a loop device
 * in use; an existing regular file is replaced only with --force (as
 * backup treats an existing image: exit 1).  0 or an exit code. */
static int export_check(const struct rargs *a)
{
	const char *file = a->export_map, *image = a->o.image;
	struct lb_span src = { .path = a->o.source.path }, out = { .path = file };
	char name[4200];
	struct lb_ctx ctx = { 0 };
	struct stat st;
	char cf[4200], cn[4200], why[4400];
	int r;

	canon(file, cf, sizeof cf);
	for (int i = 0; i < 3; i++) {   /* by name: IMAGE may not exist yet */
		snprintf(name, sizeof name, "%s%s", image,
			 i == 0 ? "" : i == 1 ? ".part" : ".rescue-map");
		canon(name, cn, sizeof cn);
		if (cf[0] && !strcmp(cf, cn)) {
			snprintf(why, sizeof why, "it is %s, written by this "
				 "rescue; choose another name for the map", name);
			return export_refuse(file, why);
		}
	}
	if (stat(file, &st) < 0)
		return 0;               /* a new file */
	if (!S_ISREG(st.st_mode))
		return export_refuse(file, "it exists and is not a regular file "
				     "(a device node, directory or pipe); the "
				     "map is written as a new regular file");
	if ((r = lb_check_overlap(&ctx, &src, &out)) < 0 ||
	    (r = lb_check_target(&ctx, file, 0, a->o.source.path)) < 0)
		return cli_fail("rescue", &ctx, r);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "%s%s", image,
			 i == 0 ? "" : i == 1 ? ".part" : ".rescue-map");
		if (same_file(name, &st)) {
			snprintf(why, sizeof why, "it is %s, written by this "
				 "rescue; choose another name for the map", name);
			return export_refuse(file, why);
		}
	}
	if (!a->force) {
		fprintf(stderr, "lifeboat: rescue FAILED: %s already exists "
			"(give --force to replace it)\n", file);
		return LB_EXIT_FAILURE;
	}
	return 0;
}

/* The files a rescue writes beside IMAGE (rescue_job.c, rescue_store.c,
 * sysfs_timeout.c) get the checks of any output too: none may be the
 * source or over its bytes (lb_check_overlap), nor a device node or other
 * non-regular file (they are opened with O_TRUNC).  0 or an exit code. */
static int side_check(const struct rargs *a)
{
	static const char *const side[] = { ".rescue-map", ".rescue-map.tmp",
		".rescue-scan", ".rescue-sysfs", ".rescue-sysfs.tmp" };
	struct lb_span src = { .path = a->o.source.path };
	char name[4200], why[4400];
	struct lb_ctx ctx = { 0 };
	struct stat st;
	int r;

	for (size_t i = 0; i < sizeof side / sizeof *side; i++) {
		struct lb_span out = { .path = name };
		snprintf(name, sizeof name, "%s%s", a->o.image, side[i]);
		if (stat(name, &st) < 0)
			continue;
		if ((r = lb_check_overlap(&ctx, &src, &out)) < 0)
			return cli_fail("rescue", &ctx, r);
		if (!S_ISREG(st.st_mode)) {
			snprintf(why, sizeof why, "the rescue writes %s beside "
				 "the image, and it is not a regular file (a "
				 "device node, directory or pipe)", name);
			return export_refuse(a->o.image, why);
		}
	}
	return 0;
}

/* Writes M to FILE through a new temporary file next to it (created with
 * O_EXCL, so it never opens a device or someone's file), fsync, rename. */
static int save_map(const struct lb_rmap *m, const char *file)
{
	char tmp[4200];
	FILE *f;
	int fd, r;

	if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", file) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	r = lb_rmap_write(m, f, "Exported by lifeboat rescue");
	if (fflush(f) || fsync(fileno(f)))
		r = r ? r : -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, file) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

static int export_map(const char *file, const char *image)
{
	struct lb_ctx ctx = { 0 };
	struct lb_rmap m;
	char work[4200];
	int r;

	snprintf(work, sizeof work, "%s.rescue-map", image);
	if (lb_rmap_load(work, 0, &m, ctx.msg, sizeof ctx.msg) &&
	    lb_rescue_map_from_image(&ctx, image, &m)) {
		fprintf(stderr, "lifeboat: rescue: no map to export: %s\n",
			ctx.msg);
		return LB_EXIT_FAILURE;
	}
	r = save_map(&m, file);
	lb_rmap_free(&m);
	if (r)
		fprintf(stderr, "lifeboat: rescue: cannot write %s: %s\n", file,
			strerror(-r));
	return r ? LB_EXIT_TARGET_IO : 0;
}

static int has_rescue(const char *image)
{
	char work[4200];
	struct stat st;

	snprintf(work, sizeof work, "%s.rescue-map", image);
	return stat(image, &st) == 0 || stat(work, &st) == 0;
}

int cli_rescue(int argc, char **argv)
{
	struct rargs a;
	struct lb_rescue_stats st;
	struct lb_ctx ctx;
	int r, code;

	memset(&a, 0, sizeof a);
	if ((r = parse(&a, argc, argv)))
		return r < 0 ? 0 : r;
	if (a.export_map && (code = export_check(&a)))
		return code;
	if (a.export_map && !a.o.resume && !a.o.import_map &&
	    has_rescue(a.o.image)) {
		/* only export the map of a finished or interrupted rescue */
		if ((code = export_map(a.export_map, a.o.image)) == 0)
			printf("Exported the rescue map of %s to %s\n", a.o.image,
			       a.export_map);
		return code;
	}
	if ((code = side_check(&a)))
		return code;
	cli_ctx_init(&ctx);
	a.o.stats = &st;
	r = lb_rescue(&ctx, &a.o);
	if (r && r != -ECANCELED && r != -ENODEV)      /* as backup: 4 */
		return cli_fail_as("rescue", &ctx, r, LB_EXIT_SOURCE_IO);
	report(&st, a.o.image, r != 0);
	code = r ? cli_fail("rescue", &ctx, r) : 0;
	if (r)
		fprintf(stderr, "lifeboat: the map is saved in %s.rescue-map; "
			"`lifeboat rescue --resume` goes on\n", a.o.image);
	else
		cli_rescue_info(a.o.image, stdout);
	if (a.export_map && export_map(a.export_map, a.o.image) && !code)
		code = LB_EXIT_FAILURE;
	return code;
}
