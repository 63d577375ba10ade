/* t_extmap.c — the extent map against a plain per-byte reference:
 * random bitmaps entered as bitmaps and bit by bit must give the same
 * extents, and overlap queries must agree with the reference. */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "extmap.h"

#define NB 4000

static int same_maps(const struct lb_extmap *a, const struct lb_extmap *b)
{
	if (a->n != b->n)
		return 0;
	return memcmp(a->v, b->v, a->n * sizeof(*a->v)) == 0;
}

static void bitmap_vs_bits(unsigned seed)
{
	uint8_t bits[NB / 8];
	struct lb_extmap a, b;
	int ok = 1;

	srand(seed);
	for (size_t i = 0; i < sizeof(bits); i++)
		bits[i] = (rand() % 3 == 0) ? 0xff : (rand() % 2 ? 0 : rand());
	lb_extmap_init(&a);
	lb_extmap_init(&b);
	lb_extmap_add_bitmap(&a, bits, NB - 3, 512, 4096);
	for (int i = NB - 4; i >= 0; i--)   /* reverse order: exercises sort */
		if (bits[i / 8] >> (i % 8) & 1)
			lb_extmap_add(&b, 512 + (uint64_t)i * 4096, 4096);
	lb_extmap_finish(&a);
	lb_extmap_finish(&b);
	CHECK("extmap: bitmap and bit-by-bit give the same extents", same_maps(&a, &b));
	for (int q = 0; q < 2000 && ok; q++) {
		uint64_t off = (uint64_t)rand() % ((uint64_t)NB * 4096);
		uint64_t len = 1 + (uint64_t)rand() % 20000;
		int ref = 0;
		for (uint64_t i = 0; i < NB - 3; i++) {
			uint64_t s = 512 + i * 4096;
			if ((bits[i / 8] >> (i % 8) & 1) && s < off + len && off < s + 4096)
				ref = 1;
		}
		ok = lb_extmap_overlaps(&a, off, len) == ref;
	}
	CHECK("extmap: overlap queries match the reference", ok);
	{
		static uint8_t buf[3 * 4096 + 7];
		uint64_t off = 4096 * 17 + 100;
		int same = 1;
		memset(buf, 0xaa, sizeof(buf));
		lb_extmap_mask(&a, buf, off, sizeof(buf));
		for (uint64_t k = 0; k < sizeof(buf); k++) {
			uint64_t p = off + k;
			int used = p >= 512 && (p - 512) / 4096 < NB - 3 &&
				   (bits[(p - 512) / 4096 / 8] >> ((p - 512) / 4096 % 8) & 1);
			same &= buf[k] == (used ? 0xaa : 0);
		}
		CHECK("extmap: mask zeroes exactly the unused bytes", same);
	}
	lb_extmap_free(&a);
	lb_extmap_free(&b);
}

int main(void)
{
	struct lb_extmap m;

	lb_extmap_init(&m);
	lb_extmap_add(&m, 100, 50);
	lb_extmap_add(&m, 0, 10);
	CHECK("extmap: unfinished map answers used", lb_extmap_overlaps(&m, 20, 5) == 1);
	lb_extmap_add(&m, 140, 100);
	lb_extmap_add(&m, 10, 5);
	lb_extmap_finish(&m);
	CHECK("extmap: merges touching and overlapping", m.n == 2 && m.v[0].len == 15 && m.v[1].off == 100 && m.v[1].len == 140);
	CHECK("extmap: bytes", lb_extmap_bytes(&m) == 155);
	CHECK("extmap: gap is unused", lb_extmap_overlaps(&m, 15, 85) == 0);
	CHECK("extmap: edge is used", lb_extmap_overlaps(&m, 15, 86) == 1);
	CHECK("extmap: wrap refused", lb_extmap_add(&m, UINT64_MAX - 1, 5) < 0);
	lb_extmap_clip(&m, 120);
	CHECK("extmap: clip", m.n == 2 && m.v[1].len == 20);
	lb_extmap_free(&m);
	bitmap_vs_bits(1);
	bitmap_vs_bits(7);
	UNIT_EXIT();
}
