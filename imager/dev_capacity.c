/*
 * dev_capacity.c — a quick probe for counterfeit-capacity media (case
 * C007) before a restore or clone spends hours writing a disk.
 *
 * Fake cards report a size larger than their flash and map every position
 * to position % real_size, where real_size is in practice a power of two,
 * so writing near the end silently overwrites the beginning.  We write one
 * unique marker (a random 64-bit value and the offset) into the last
 * logical sector below NEED, drop the page cache, read it back, and read
 * the sectors at marker_pos % 2^k for every power of two 2^k (1 MiB and
 * up) below it.  Finding the marker there means the device wraps at 2^k.
 * Non-power-of-two fakes are caught by verify-after (clone --verify).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dev_backend.h"

#define MARK "LIFEBOAT capacity probe"

static void make_marker(uint8_t *buf, size_t n, uint64_t pos)
{
	struct timespec ts;
	uint64_t seed;

	/* unique per call, so no marker left by an earlier run can match */
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	seed ^= ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)buf ^ pos;

	memset(buf, 0, n);
	memcpy(buf, MARK, sizeof MARK);
	for (size_t i = 32; i + 8 <= n; i += 8) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memcpy(buf + i, &seed, 8);
	}
	memcpy(buf + 24, &pos, 8);
}

static int wrapped(struct lb_ctx *ctx, struct lb_dev *d, uint64_t pos,
		   uint64_t at, uint64_t cap)
{
	uint32_t sec = d->logical_sector ? d->logical_sector : 512;

	snprintf(ctx->msg, sizeof ctx->msg, "refusing to write %.200s: a marker "
		 "written at byte %llu (LBA %llu) reads back at byte %llu (LBA "
		 "%llu): the device wraps around and probably holds only %llu "
		 "bytes (%.1f GiB) although it reports %llu — fake capacity?",
		 d->path, (unsigned long long)(d->base + pos),
		 (unsigned long long)((d->base + pos) / sec),
		 (unsigned long long)(d->base + at),
		 (unsigned long long)((d->base + at) / sec),
		 (unsigned long long)cap, cap / 1073741824.0,
		 (unsigned long long)(d->base + d->size));
	return -LB_ETARGET;
}

static int not_kept(struct lb_ctx *ctx, struct lb_dev *d, uint64_t pos)
{
	uint32_t sec = d->logical_sector ? d->logical_sector : 512;

	snprintf(ctx->msg, sizeof ctx->msg, "refusing to write %.200s: a marker "
		 "written at byte %llu (LBA %llu) reads back differently: the "
		 "device does not keep data near its end — fake capacity or "
		 "failing?", d->path, (unsigned long long)(d->base + pos),
		 (unsigned long long)((d->base + pos) / sec));
	return -LB_ETARGET;
}

static int io_fail(struct lb_ctx *ctx, struct lb_dev *d, const char *what,
		   uint64_t pos, int64_t r)
{
	snprintf(ctx->msg, sizeof ctx->msg, "%s %.200s at byte %llu: %s", what,
		 d->path, (unsigned long long)(d->base + pos),
		 r < 0 ? strerror((int)-r) : "short transfer");
	return -LB_ETARGET;
}

/* Reads the sectors where a power-of-two wrap would have put the marker. */
static int look_for_wrap(struct lb_ctx *ctx, struct lb_dev *d,
			 const uint8_t *mark, uint8_t *buf, uint32_t sec,
			 uint64_t pos)
{
	for (int k = 20; k < 63 && (1ULL << k) <= pos; k++) {
		uint64_t cap = 1ULL << k, at = pos & (cap - 1);
		if (lb_dev_pread(d, buf, sec, at) != (int64_t)sec)
			continue;       /* unreadable there: the copy will say */
		if (memcmp(buf, mark, sec) == 0)
			return wrapped(ctx, d, pos, at, cap);
	}
	return 0;
}

int lb_dev_check_capacity(struct lb_ctx *ctx, struct lb_dev *d, uint64_t need)
{
	uint32_t sec = d->logical_sector ? d->logical_sector : 512;
	uint8_t *mark, *buf;
	uint64_t pos;
	int64_t n;
	int r;

	if (need > d->size)
		need = d->size;
	if (need < (2u << 20) || posix_memalign((void **)&mark, 4096, sec))
		return 0;
	if (posix_memalign((void **)&buf, 4096, sec)) {
		free(mark);
		return 0;
	}
	pos = (need - sec) / sec * sec;
	make_marker(mark, sec, d->base + pos);
	if ((n = lb_dev_pwrite(d, mark, sec, pos)) != (int64_t)sec)
		r = io_fail(ctx, d, "writing a capacity marker to", pos, n);
	else if ((r = lb_dev_flush(d)) < 0)
		r = io_fail(ctx, d, "flushing", pos, r);
	else if (lb_dev_drop_cache(d), (n = lb_dev_pread(d, buf, sec, pos)) != (int64_t)sec)
		r = io_fail(ctx, d, "reading back a capacity marker from", pos, n);
	else if (memcmp(buf, mark, sec) != 0)
		r = not_kept(ctx, d, pos);
	else
		r = look_for_wrap(ctx, d, mark, buf, sec, pos);
	free(mark);
	free(buf);
	return r;
}
