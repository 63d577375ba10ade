/*
 * cli_args.c — argument helpers of the `lifeboat` command: sizes with
 * binary units, bounded integers, partition addressing (--partition N or
 * --offset/--length, turned into an lb_span so that partitions work
 * without kernel partition nodes) and the typed confirmation that every
 * destructive command needs unless --yes was given.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "devices_sys.h"

int cli_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "BKMGTPE";
	char *end;
	unsigned long long v;
	const char *u;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end && (u = strchr(units, toupper((unsigned char)*end)))) {
		shift = (int)(u - units) * 10;
		end++;
		if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
			end += strlen(end);
	}
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_span(const char *cmd, struct lb_span *span, long part,
	     const char *off, const char *len)
{
	return cli_span_table(cmd, span, part, off, len, LB_TABLE_AUTO);
}

int cli_span_table(const char *cmd, struct lb_span *span, long part,
		   const char *off, const char *len,
		   enum lb_table_choice table)
{
	struct lb_ctx ctx = {0};
	uint64_t o = 0, l = 0;
	int r;

	if (part > 0 && (off || len))
		return cli_usage_error(cmd, "--partition and --offset/--length "
				       "exclude each other");
	if (part > 0) {
		/* C013 (trial 2 F3): N numbers the --table's partitions on a
		 * disk whose GPT and MBR disagree; no guess without it. */
		if ((r = lb_partition_span_table(&ctx, span->path,
						 (uint32_t)part, table,
						 span)) < 0) {
			fprintf(stderr, "lifeboat %s: %s\n", cmd, ctx.msg);
			return r == -ENOENT || r == -ENOTUNIQ ? LB_EXIT_USAGE :
			       lb_exit_code(r);
		}
		return 0;
	}
	if ((off && cli_parse_size(off, &o) < 0) ||
	    (len && cli_parse_size(len, &l) < 0))
		return cli_usage_error(cmd, "--offset and --length take a "
				       "size in bytes (suffixes K, M, G, T)");
	if (len && l == 0)
		return cli_usage_error(cmd, "--length must be more than 0");
	span->offset = o;
	span->length = l;
	return 0;
}

/* One line saying what TARGET is: size, model, mounted filesystems. */
static void describe(const char *target, char *out, size_t n)
{
	char name[64], model[64] = "", size[32];
	struct stat st;

	if (stat(target, &st) < 0) {
		snprintf(out, n, "%s (a new file)", target);
	} else if (S_ISBLK(st.st_mode) && lb_sys_name(st.st_rdev, name) == 0) {
		lb_sys_read(name, "device/model", model, sizeof model);
		cli_human(lb_sys_read_u64(name, "size", 0) * 512, size, sizeof size);
		snprintf(out, n, "%s (%s%s%s)", target, size, model[0] ? ", " : "",
			 model);
	} else {
		snprintf(out, n, "%s (a file of %s)", target,
			 cli_human((uint64_t)st.st_size, size, sizeof size));
	}
}

/* The name the person must type: the kernel name of a device, else the
 * path as given. */
static void expected(const char *target, char *out, size_t n)
{
	struct stat st;
	char name[64];

	if (stat(target, &st) == 0 && S_ISBLK(st.st_mode) &&
	    lb_sys_name(st.st_rdev, name) == 0)
		snprintf(out, n, "%s", name);
	else
		snprintf(out, n, "%s", target);
}

int cli_confirm(const char *verb, const char *target, uint64_t bytes,
		int yes)
{
	char what[512], want[300], line[512], sz[32];
	struct stat st;

	if (yes || (stat(target, &st) < 0 && errno == ENOENT))
		return 0;       /* --yes, or a new file: nothing is lost */
	describe(target, what, sizeof what);
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "lifeboat %s: refusing to overwrite %s without "
			"confirmation: no terminal to ask on; give --yes\n",
			verb, what);
		return LB_EXIT_REFUSED;
	}
	expected(target, want, sizeof want);
	fprintf(stderr, "%s will OVERWRITE %s with %s of data.\n"
		"Everything on it will be lost.  Type %s to go on: ", verb, what,
		cli_human(bytes, sz, sizeof sz), want);
	if (!fgets(line, sizeof line, stdin))
		line[0] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (strcmp(line, want) == 0 || strcmp(line, target) == 0)
		return 0;
	fprintf(stderr, "lifeboat %s: not confirmed (typed \"%s\", expected "
		"\"%s\"); nothing was written\n", verb, line, want);
	return LB_EXIT_REFUSED;
}
