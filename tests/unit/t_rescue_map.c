/*
 * t_rescue_map.c — the rescue map (imager/rescue_map.c) against a per-byte
 * reference: random lb_rmap_set calls must leave the same statuses as a
 * plain array, with blocks contiguous, sorted and merged; the mapfile text
 * must round-trip; hostile or foreign mapfiles must be refused with a
 * message, never crash.
 */
#include <stdlib.h>
#include <string.h>

#include "rescue_map.h"
#include "unit.h"

#define SIZE 4096

static int well_formed(const struct lb_rmap *m)
{
	uint64_t pos = 0;

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].pos != pos || !m->v[i].size)
			return 0;
		if (i && m->v[i].st == m->v[i - 1].st)
			return 0;       /* not merged */
		pos += m->v[i].size;
	}
	return pos == m->size;
}

static int same_as(const struct lb_rmap *m, const char *ref)
{
	for (size_t i = 0; i < m->n; i++)
		for (uint64_t b = m->v[i].pos; b < m->v[i].pos + m->v[i].size; b++)
			if (ref[b] != m->v[i].st)
				return 0;
	return 1;
}

static void random_sets(void)
{
	static const char st[] = "?*/-+";
	struct lb_rmap m;
	char ref[SIZE];
	int ok = 1, merged = 1;

	srand(7);
	lb_rmap_init(&m, SIZE);
	memset(ref, '?', sizeof ref);
	for (int k = 0; k < 20000 && ok; k++) {
		uint64_t pos = (uint64_t)(rand() % (SIZE + 10));
		uint64_t len = (uint64_t)(rand() % 300);
		char s = st[rand() % 5];
		lb_rmap_set(&m, pos, len, s);
		for (uint64_t b = pos; b < pos + len && b < SIZE; b++)
			ref[b] = s;
		ok = same_as(&m, ref);
		merged = merged && well_formed(&m);
	}
	CHECK("rescue map: 20000 random sets match a per-byte reference", ok);
	CHECK("rescue map: blocks stay contiguous, sorted and merged", merged);
	uint64_t plus = 0;
	for (int b = 0; b < SIZE; b++)
		plus += ref[b] == '+';
	CHECK("rescue map: byte counts per status", lb_rmap_bytes(&m, '+') == plus);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	m.cur_pos = 0x1234;
	m.cur_st = '/';
	m.pass = 2;
	lb_rmap_write(&m, f, "two\nlines");
	fclose(f);
	struct lb_rmap back;
	char msg[256];
	int r = lb_rmap_parse(text, len, SIZE, &back, msg, sizeof msg);
	CHECK("rescue map: mapfile text parses back", r == 0);
	CHECK("rescue map: round trip keeps every block and the status line",
	      r == 0 && back.n == m.n && !memcmp(back.v, m.v, m.n * sizeof *m.v) &&
	      back.cur_pos == 0x1234 && back.cur_st == '/' && back.pass == 2);
	if (r == 0)
		lb_rmap_free(&back);
	free(text);
	lb_rmap_free(&m);
}

static int refused(const char *text, uint64_t size)
{
	struct lb_rmap m;
	char msg[256] = "";
	int r = lb_rmap_parse(text, strlen(text), size, &m, msg, sizeof msg);

	if (r == 0)
		lb_rmap_free(&m);
	return r < 0 && msg[0];
}

static void hostile(void)
{
	CHECK("rescue map: ddrescue's own style is accepted",
	      !refused("# Mapfile. Created by GNU ddrescue version 1.27\n"
		       "# current_pos  current_status  current_pass\n"
		       "0x00970000     ?               1\n"
		       "#      pos        size  status\n"
		       "0x00000000  0x02200000  +\n"
		       "0x02200000  0x00000200  -  # a comment\n"
		       "0x02200200  0x00001E00  ?\n", 0x2202000));
	CHECK("rescue map: a gap between blocks is refused",
	      refused("0 ? 1\n0 100 +\n200 100 -\n", 0));
	CHECK("rescue map: overlapping blocks are refused",
	      refused("0 ? 1\n0 100 +\n50 100 -\n", 0));
	CHECK("rescue map: an unknown status is refused",
	      refused("0 ? 1\n0 100 x\n", 0));
	CHECK("rescue map: a map of another size is refused",
	      refused("0 ? 1\n0 100 +\n", 4096));
	CHECK("rescue map: a zero-size block is refused",
	      refused("0 ? 1\n0 0 +\n", 0));
	CHECK("rescue map: a size that wraps around is refused",
	      refused("0 ? 1\n0 0xffffffffffffffff +\n0xffffffffffffffff 2 +\n", 0) &&
	      refused("0 ? 1\n0 0x1ffffffffffffffff +\n", 0));
	CHECK("rescue map: no status line or no blocks is refused",
	      refused("# only comments\n", 0) && refused("0 ? 1\n", 0));
	CHECK("rescue map: garbage is refused", refused("\x01\x02 garbage\n", 0));
}

int main(void)
{
	random_sets();
	hostile();
	UNIT_EXIT();
}
