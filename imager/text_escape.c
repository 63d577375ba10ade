/*
 * text_escape.c — text read from a disk or an image (file names, labels,
 * models) made safe to print on a terminal: control bytes (C0, DEL, and
 * the C1 range U+0080-U+009F), bytes that are not valid UTF-8, and the
 * backslash itself become "\xNN" escapes; valid UTF-8 passes unchanged.
 * One helper for the engine (rescue file lists) and the CLI/TUI alike.
 */
#include <stdio.h>
#include <string.h>

#include "lifeboat.h"

/* Length of the valid UTF-8 sequence at S (1-4; 0: not valid). */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 :
		s[0] >= 0xe0 && s[0] < 0xf0 ? 3 :
		s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) ||      /* overlong */
	    (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||     /* surrogate */
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) ||      /* overlong */
	    (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))       /* > U+10FFFF */
		return 0;
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;                               /* C1 control */
	return n;
}

size_t lb_text_escape(char *dst, size_t cap, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t at = 0;

	if (!cap)
		return 0;
	while (*s) {
		int n = utf8_len(s);
		int esc = !n || *s < 0x20 || *s == 0x7f || *s == '\\';
		size_t need = esc ? 4 : (size_t)n;

		if (at + need >= cap)
			break;
		if (esc)
			snprintf(dst + at, 5, "\\x%02x", *s);
		else
			memcpy(dst + at, s, need);
		at += need;
		s += esc ? 1 : n;
	}
	dst[at] = 0;
	return at;
}
