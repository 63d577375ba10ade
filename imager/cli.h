/*
 * cli.h — private header of the `lifeboat` command (imager/cli*.c).
 *
 * cli.c holds main and the dispatch, cli_help.c the help texts,
 * cli_ui.c the progress display, confirmation and size parsing, cli_list.c
 * `list`, cli_jobs.c backup/restore/clone/verify/info.  Only this layer
 * prints and picks exit codes (enum lb_exit); the engine never does.
 */
#ifndef LB_CLI_H
#define LB_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "lifeboat.h"

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;   /* one line, after "lifeboat " */
	const char *help;       /* what `lifeboat help NAME` prints after it */
};

extern const struct cli_cmd cli_cmds[];

/* Help texts (cli_help.c). */
void cli_usage(FILE *f);
int cli_help_cmd(const char *name);
const struct cli_cmd *cli_find(const char *name);
/* Prints "try `lifeboat help CMD`" after a usage error; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Subcommands. */
int cli_list(int argc, char **argv);
int cli_backup(int argc, char **argv);
int cli_restore(int argc, char **argv);
int cli_clone(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_info(int argc, char **argv);
int cli_probe(int argc, char **argv);   /* cli_probe.c */
/* Added by rescue (cli_rescue.c), additive: `lifeboat rescue`, and the
 * rescue map part of `info` (unreadable ranges, bad files); prints
 * nothing for images without a rescue map. */
int cli_rescue(int argc, char **argv);
int cli_rescue_info(const char *image, FILE *f);
/* Added by rescue (trial 2 F5), additive: the same for `info --json`,
 * as one more member (",\n  \"rescue\": {...}"): finished, unreadable
 * and not-tried bytes, the areas not rescued, the bad files. */
void cli_rescue_info_json(const char *image, FILE *f);

/* cli_ui.c: progress, signals, confirmation, sizes, errors. */
/* Prints the lines of S to stdout with control bytes and invalid UTF-8
 * escaped (lb_text_escape); newlines kept.  With KEEP_CLEAN a line whose
 * only escapes would be backslashes is printed as it is (text escaped
 * already, e.g. newer rescue file lists).  cli_text.c. */
void cli_put_escaped(const char *s, int keep_clean);
/* printf through cli_put_escaped. */
void cli_put_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void cli_ctx_init(struct lb_ctx *ctx);
/* Parses "4096", "64K", "4M", "4G", "1T" (binary units, optional "iB"/"B").
 * Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_int(const char *s, int lo, int hi, int *out);
const char *cli_human(uint64_t bytes, char *buf, size_t n);
/* Asks the person to type the target's name (or takes --yes).  Returns 0
 * when confirmed, else prints why and returns LB_EXIT_REFUSED. */
int cli_confirm(const char *verb, const char *target, uint64_t bytes,
		int yes);
/* Prints the failure of job VERB and returns its exit code. */
int cli_fail(const char *verb, struct lb_ctx *ctx, int err);
/* As cli_fail, but an error lb_exit_code() does not classify (exit 1:
 * ENOENT, EACCES, ... from opening a path) gets ROLE instead: the exit
 * code of the thing that failed, e.g. LB_EXIT_SOURCE_IO for the source. */
int cli_fail_as(const char *verb, struct lb_ctx *ctx, int err, int role);
/* Bytes the running job reported written (lb_progress.written) in its
 * latest progress report; 0 before any. */
uint64_t cli_written(void);
/* Ends the progress line (call before printing after a job). */
void cli_progress_end(void);

/* Resolves --partition/--offset/--length onto SPAN (whose path is set).
 * Returns 0 or an exit code after printing why. */
int cli_span(const char *cmd, struct lb_span *span, long part,
	     const char *off, const char *len);
/* The same with --table: on a disk whose GPT and MBR disagree (C013),
 * --partition N numbers TABLE's partitions; with LB_TABLE_AUTO such a
 * disk is refused (exit 2) naming both tables' partition N. */
int cli_span_table(const char *cmd, struct lb_span *span, long part,
		   const char *off, const char *len,
		   enum lb_table_choice table);

#endif
