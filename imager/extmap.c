/*
 * extmap.c — sorted extent lists of used byte ranges (see extmap.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "extmap.h"

void lb_extmap_init(struct lb_extmap *m)
{
	memset(m, 0, sizeof(*m));
	m->finished = 1;
}

void lb_extmap_free(struct lb_extmap *m)
{
	free(m->v);
	lb_extmap_init(m);
}

int lb_extmap_add(struct lb_extmap *m, uint64_t off, uint64_t len)
{
	if (len == 0)
		return 0;
	if (off + len < off)
		return -EOVERFLOW;
	if (m->n && m->v[m->n - 1].off + m->v[m->n - 1].len == off) {
		m->v[m->n - 1].len += len;      /* common case: runs in order */
		return 0;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct lb_extent *v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	if (m->n && m->v[m->n - 1].off + m->v[m->n - 1].len > off)
		m->finished = 0;        /* out of order or overlapping */
	m->v[m->n].off = off;
	m->v[m->n].len = len;
	m->n++;
	return 0;
}

/* Next set bit at or after I, or NBITS; skips zero bytes whole. */
static uint64_t next_bit(const uint8_t *bits, uint64_t i, uint64_t nbits,
			 int want)
{
	while (i < nbits) {
		if ((i & 7) == 0 && i + 8 <= nbits &&
		    bits[i >> 3] == (want ? 0x00 : 0xff)) {
			i += 8;
			continue;
		}
		if (((bits[i >> 3] >> (i & 7)) & 1) == want)
			return i;
		i++;
	}
	return nbits;
}

int lb_extmap_add_bitmap(struct lb_extmap *m, const uint8_t *bits,
			 uint64_t nbits, uint64_t base, uint64_t unit)
{
	uint64_t i = 0;

	while ((i = next_bit(bits, i, nbits, 1)) < nbits) {
		uint64_t end = next_bit(bits, i, nbits, 0);
		int r = lb_extmap_add(m, base + i * unit, (end - i) * unit);
		if (r)
			return r;
		i = end;
	}
	return 0;
}

int lb_extmap_add_map(struct lb_extmap *m, const struct lb_extmap *src,
		      uint64_t shift)
{
	for (size_t i = 0; i < src->n; i++) {
		int r = lb_extmap_add(m, src->v[i].off + shift, src->v[i].len);
		if (r)
			return r;
	}
	return 0;
}

static int cmp_ext(const void *a, const void *b)
{
	const struct lb_extent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

int lb_extmap_finish(struct lb_extmap *m)
{
	size_t w = 0;

	if (m->finished)
		return 0;
	qsort(m->v, m->n, sizeof(*m->v), cmp_ext);
	for (size_t i = 0; i < m->n; i++) {
		struct lb_extent *last = w ? &m->v[w - 1] : NULL;
		uint64_t end = m->v[i].off + m->v[i].len;
		if (last && m->v[i].off <= last->off + last->len) {
			if (end > last->off + last->len)
				last->len = end - last->off;
		} else {
			m->v[w++] = m->v[i];
		}
	}
	m->n = w;
	m->finished = 1;
	return 0;
}

int lb_extmap_overlaps(const struct lb_extmap *m, uint64_t off, uint64_t len)
{
	size_t lo = 0, hi = m->n;

	if (!m->finished)
		return 1;
	if (len == 0)
		return 0;
	/* first extent whose end is > off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].off + m->v[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->v[lo].off < off + len;
}

void lb_extmap_mask(const struct lb_extmap *m, uint8_t *buf, uint64_t off,
		    uint64_t len)
{
	size_t lo = 0, hi = m->n;
	uint64_t pos = off, end = off + len;

	if (!m->finished)
		return;
	while (lo < hi) {       /* first extent ending after off */
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].off + m->v[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < m->n && pos < end; i++) {
		uint64_t s = m->v[i].off, e = s + m->v[i].len;
		if (s >= end)
			break;
		if (s > pos)
			memset(buf + (pos - off), 0, s - pos);
		if (e > pos)
			pos = e;
	}
	if (pos < end)
		memset(buf + (pos - off), 0, end - pos);
}

uint64_t lb_extmap_bytes(const struct lb_extmap *m)
{
	uint64_t t = 0;
	for (size_t i = 0; i < m->n; i++)
		t += m->v[i].len;
	return t;
}

void lb_extmap_clip(struct lb_extmap *m, uint64_t limit)
{
	size_t w = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].off >= limit)
			continue;
		if (m->v[i].off + m->v[i].len > limit)
			m->v[i].len = limit - m->v[i].off;
		m->v[w++] = m->v[i];
	}
	m->n = w;
}
