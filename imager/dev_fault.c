/*
 * dev_fault.c — TEST ONLY: a wrapper around another lb_dev that fails the
 * byte ranges a GNU ddrescue-style map marks as bad, so tests can make a
 * source (or target) return "Input/output error" at chosen offsets.
 *
 * Selected by opening "fault:PATH" with LIFEBOAT_FAULT_MAP=MAPFILE in the
 * environment (dev.c).  The map format is ddrescue's (GNU ddrescue manual,
 * "Mapfile structure"): '#' comments, one status line "pos status [pass]",
 * then block lines "pos size status" with numbers in C notation (0x.. hex
 * accepted).  Blocks with status '-' (bad sector), '*' (non-trimmed) or
 * '/' (non-scraped) fail with -EIO; '+' and '?' read and write normally.
 * Map positions are bytes from the start of the underlying file or disk,
 * not of the span.  At most FAULT_MAX_BLOCKS block lines are read.
 *
 * LIFEBOAT_FAULT_ALIAS=BYTES (also test-only) makes the device behave like
 * a counterfeit-capacity card (case C007): it still reports its full size,
 * but byte positions at or past BYTES (counted from the start of the
 * underlying device) land on position % BYTES, overwriting earlier data.
 *
 * Slow reads (also test-only; added for the rescue tests): with
 * LIFEBOAT_FAULT_DELAY_MS=N every read sleeps N ms first; with
 * LIFEBOAT_FAULT_SLOW=POS+LEN@MS a read touching bytes [POS, POS+LEN) of
 * the underlying file sleeps MS ms (a slow area, as a weak disk has).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev_backend.h"

#define FAULT_MAX_BLOCKS 65536

struct fault_range { uint64_t pos, size; };

struct fault {
	struct lb_dev *inner;
	uint64_t alias;         /* real capacity in bytes, 0: none */
	unsigned delay_ms;      /* every read sleeps this long */
	uint64_t slow_pos, slow_len;    /* reads touching this range ... */
	unsigned slow_ms;       /* ... sleep this long */
	size_t n;
	struct fault_range r[];
};

/* Returns non-zero when [off, off+len) of the span touches a bad range. */
static int is_bad(const struct lb_dev *d, uint64_t off, uint64_t len)
{
	const struct fault *f = d->priv;
	uint64_t a = d->base + off, b = a + len;

	for (size_t i = 0; i < f->n; i++)
		if (a < f->r[i].pos + f->r[i].size && f->r[i].pos < b)
			return 1;
	return 0;
}

/* Runs one inner transfer per piece of [off, off+len) that does not cross
 * a multiple of the alias size, at the aliased position.  WR: 0 read,
 * 1 write, 2 zero. */
static int64_t aliased(struct lb_dev *d, void *buf, size_t len, uint64_t off,
		       int wr)
{
	struct fault *f = d->priv;
	struct lb_dev *in = f->inner;
	size_t done = 0;

	while (done < len) {
		uint64_t pos = d->base + off + done, a = pos % f->alias;
		size_t n = len - done;
		int64_t r;

		if (n > f->alias - a)
			n = (size_t)(f->alias - a);
		/* inner offsets are span-relative: undo the base */
		if (a < in->base)
			return -EIO;
		if (wr == 0)
			r = in->ops->pread(in, (char *)buf + done, n, a - in->base);
		else if (wr == 1)
			r = in->ops->pwrite(in, (char *)buf + done, n, a - in->base);
		else
			r = in->ops->zero(in, a - in->base, n);
		if (r < 0)
			return r;
		done += n;
	}
	return (int64_t)len;
}

static void sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (ms && nanosleep(&t, &t) < 0)
		;
}

static int64_t fault_pread(struct lb_dev *d, void *buf, size_t len,
			   uint64_t off)
{
	struct fault *f = d->priv;
	uint64_t a = d->base + off;

	sleep_ms(f->delay_ms);
	if (f->slow_len && a < f->slow_pos + f->slow_len &&
	    f->slow_pos < a + len)
		sleep_ms(f->slow_ms);

	if (is_bad(d, off, len))
		return -EIO;
	if (f->alias) {
		if (off >= d->size)
			return 0;
		if (len > d->size - off)
			len = (size_t)(d->size - off);
		return aliased(d, buf, len, off, 0);
	}
	return f->inner->ops->pread(f->inner, buf, len, off);
}

static int64_t fault_pwrite(struct lb_dev *d, const void *buf, size_t len,
			    uint64_t off)
{
	struct fault *f = d->priv;

	if (is_bad(d, off, len))
		return -EIO;
	if (f->alias)
		return aliased(d, (void *)buf, len, off, 1);
	return f->inner->ops->pwrite(f->inner, buf, len, off);
}

static int fault_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	struct fault *f = d->priv;

	if (is_bad(d, off, len))
		return -EIO;
	if (f->alias)
		return (int)(aliased(d, NULL, (size_t)len, off, 2) < 0 ? -EIO : 0);
	return f->inner->ops->zero(f->inner, off, len);
}

static int fault_flush(struct lb_dev *d)
{
	struct fault *f = d->priv;

	return f->inner->ops->flush(f->inner);
}

static int fault_close(struct lb_dev *d)
{
	struct fault *f = d->priv;
	int r = f->inner->ops->close(f->inner);

	free(f);
	free(d);
	return r;
}

static const struct lb_dev_ops fault_ops = {
	.pread = fault_pread, .pwrite = fault_pwrite, .zero = fault_zero,
	.flush = fault_flush, .close = fault_close,
};

/* Reads the bad blocks of MAP into a new struct fault. */
static int load_map(struct lb_ctx *ctx, const char *map, struct fault **out)
{
	FILE *fp = map ? fopen(map, "r") : NULL;
	struct fault *f;
	char line[256], st;
	unsigned long long pos, size;
	int seen_status = 0, lineno = 0;

	if (!map) {
		*out = calloc(1, sizeof **out);
		return *out ? 0 : -ENOMEM;
	}
	if (!fp) {
		snprintf(ctx->msg, sizeof ctx->msg, "%s: cannot open the fault "
			 "map: %s", map, strerror(errno));
		return -errno;
	}
	f = calloc(1, sizeof *f + FAULT_MAX_BLOCKS * sizeof f->r[0]);
	if (!f) {
		fclose(fp);
		return -ENOMEM;
	}
	while (fgets(line, sizeof line, fp) && f->n < FAULT_MAX_BLOCKS) {
		lineno++;
		if (line[strspn(line, " \t")] == '#' || line[strspn(line, " \t\n")] == 0)
			continue;
		if (!seen_status++)
			continue;       /* "current_pos current_status [pass]" */
		if (sscanf(line, "%lli %lli %c", (long long *)&pos,
			   (long long *)&size, &st) != 3) {
			snprintf(ctx->msg, sizeof ctx->msg, "%s:%d: not a map "
				 "line \"pos size status\"", map, lineno);
			fclose(fp);
			free(f);
			return -EINVAL;
		}
		if (st == '-' || st == '*' || st == '/')
			f->r[f->n++] = (struct fault_range){ pos, size };
	}
	fclose(fp);
	*out = f;
	return 0;
}

int lb_dev_fault_wrap(struct lb_ctx *ctx, const char *map, uint64_t alias,
		      struct lb_dev *inner, struct lb_dev **out)
{
	struct lb_dev *d = calloc(1, sizeof *d);
	struct fault *f = NULL;
	int r;

	if (!d || (r = load_map(ctx, map, &f)) < 0) {
		free(d);
		inner->ops->close(inner);
		return d ? r : -ENOMEM;
	}
	*d = *inner;            /* same path, span, sizes and mode */
	d->ops = &fault_ops;
	d->priv = f;
	d->ro_was_set = 0;
	f->inner = inner;
	f->alias = alias;
	if (getenv("LIFEBOAT_FAULT_DELAY_MS"))
		f->delay_ms = (unsigned)strtoul(getenv("LIFEBOAT_FAULT_DELAY_MS"),
						NULL, 0);
	if (getenv("LIFEBOAT_FAULT_SLOW") &&
	    sscanf(getenv("LIFEBOAT_FAULT_SLOW"), "%" SCNi64 "+%" SCNi64 "@%u",
		   (int64_t *)&f->slow_pos, (int64_t *)&f->slow_len,
		   &f->slow_ms) != 3)
		f->slow_len = 0;
	*out = d;
	return 0;
}
