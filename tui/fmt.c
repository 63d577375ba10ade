/*
 * fmt.c — numbers in words a person reads: sizes in binary units
 * ("4.0 GiB"), rates, durations, and file-name-safe text.
 */
#include <stdio.h>
#include <string.h>
#include "tui_int.h"

char *tui_size(char *buf, size_t n, uint64_t bytes)
{
	return lb_human_size(bytes, buf, n);
}

char *tui_dev_label(char *buf, size_t n, const struct lb_device *d)
{
	snprintf(buf, n, d->model[0] ? "%s (%s)" : "%s", d->path, d->model);
	return buf;
}

char *tui_rate(char *buf, size_t n, double bps)
{
	char s[32];

	if (bps <= 0) {
		snprintf(buf, n, "-");
		return buf;
	}
	snprintf(buf, n, "%s/s", tui_size(s, sizeof s, (uint64_t)bps));
	return buf;
}

char *tui_duration(char *buf, size_t n, double sec)
{
	unsigned long s;

	if (sec < 0) {
		snprintf(buf, n, "unknown");
		return buf;
	}
	s = (unsigned long)(sec + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, n, "%lu:%02lu", s / 60, s % 60);
	return buf;
}

void tui_safe_name(char *buf, size_t n, const char *s)
{
	size_t o = 0;

	for (; *s && o + 1 < n; s++) {
		char c = *s;
		if (c == ' ' || c == '/')
			c = '_';
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
			if (c == '_' && o > 0 && buf[o - 1] == '_')
				continue;
			buf[o++] = c;
		}
	}
	while (o > 0 && buf[o - 1] == '_')
		o--;
	buf[o] = '\0';
}
