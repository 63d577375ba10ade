/*
 * fuzz_rescue_map.c — libFuzzer target for the rescue mapfile parser
 * (imager/rescue_map.c, lb_rmap_parse): any input either parses into a
 * well-formed map (contiguous, merged, covering its size) that survives
 * set operations and writes back to text that parses again to the same
 * blocks, or is refused with a message.  Never a crash, leak or hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rescue_map.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lb_rmap m, back;
	char msg[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	if (lb_rmap_parse((const char *)data, size, 0, &m, msg, sizeof msg))
		return 0;
	for (size_t i = 0; i < m.n; i++)
		if (i && m.v[i].pos != m.v[i - 1].pos + m.v[i - 1].size)
			abort();
	lb_rmap_set(&m, m.size / 3, m.size / 5 + 1, '-');
	if ((f = open_memstream(&text, &len))) {
		lb_rmap_write(&m, f, NULL);
		fclose(f);
		if (lb_rmap_parse(text, len, m.size, &back, msg, sizeof msg))
			abort();
		if (back.n != m.n || memcmp(back.v, m.v, m.n * sizeof *m.v))
			abort();
		lb_rmap_free(&back);
	}
	free(text);
	lb_rmap_free(&m);
	return 0;
}
