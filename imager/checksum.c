/*
 * checksum.c — XXH3-64 per cluster, zero detection, hex digests
 * (checksum.h).  SHA-256 callers use nettle's sha256_* directly.
 */
#include <string.h>
#include <xxhash.h>

#include "checksum.h"

uint64_t lb_xxh3(const void *buf, size_t n)
{
	return XXH3_64bits(buf, n);
}

int lb_is_zero(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	const uint64_t *q;
	size_t i;

	while (n && ((uintptr_t)p & 7)) {
		if (*p++)
			return 0;
		n--;
	}
	q = (const uint64_t *)(const void *)p;
	for (i = 0; i + 4 <= n / 8; i += 4)
		if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
			return 0;
	for (; i < n / 8; i++)
		if (q[i])
			return 0;
	for (i = n & ~(size_t)7; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

void lb_hex(const uint8_t *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = 0;
}
