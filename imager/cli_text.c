/*
 * cli_text.c — the CLI's one way of printing text that came from a disk
 * or an image (labels, models, serials, partition names, paths, reasons,
 * the rescue's file lists): every line through lb_text_escape, so that a
 * hostile label cannot clear the terminal or set its title (trial 2,
 * F16).  list, probe and info print through here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_put_escaped(const char *s, int keep_clean)
{
	while (*s) {
		size_t n = strcspn(s, "\n"), bs = 0;
		char *line = strndup(s, n), *esc = malloc(4 * n + 1);

		if (!line || !esc) {
			free(line);
			free(esc);
			return;
		}
		for (size_t k = 0; k < n; k++)
			bs += line[k] == '\\';
		size_t e = lb_text_escape(esc, 4 * n + 1, line);
		fputs(keep_clean && e == n + 3 * bs ? line : esc, stdout);
		free(line);
		free(esc);
		s += n;
		if (*s == '\n') {
			putchar('\n');
			s++;
		}
	}
}

void cli_put_text(const char *fmt, ...)
{
	char *raw = NULL;
	va_list ap;

	va_start(ap, fmt);
	int n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n >= 0)
		cli_put_escaped(raw, 0);
	free(raw);
}
