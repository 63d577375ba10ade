/*
 * rescue_job.c — lb_rescue (rescue.h): sets a rescue up, runs the state
 * machine of rescue.c, and turns the result into the image.
 *
 * Where a rescue starts from, in this order:
 *   1. IMAGE.part exists: an interrupted rescue; only with --resume its
 *      last checkpoint is reopened (lb_imgw_reopen_part) with the map
 *      stored in it (--import-map replaces that map); without --resume,
 *      --import-map starts a new IMAGE.part;
 *   2. IMAGE exists (a finished rescue): only with --resume; it is
 *      renamed back to IMAGE.part and reopened the same way, so more
 *      passes can try the bad areas again;
 *   3. neither: a new IMAGE.part and map, all non-tried (or an imported
 *      ddrescue map, whose finished blocks are read again since their
 *      data is not here).
 * The source's sysfs timeouts are lowered for the reads and restored
 * before returning, whatever happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rescue_int.h"

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* FMT has one %s, for A. */
static int __attribute__((format(printf, 3, 0)))
refuse(struct rs *s, int err, const char *fmt, const char *a)
{
	snprintf(s->ctx->msg, sizeof s->ctx->msg, fmt, a);
	return err;
}

static int load_map(struct rs *s, const char *path)
{
	int r = lb_rmap_load(path, s->src->size, &s->map, s->ctx->msg,
			     sizeof s->ctx->msg);

	return r == -EBADMSG ? -LB_EBADIMAGE : r;
}

/* The map stored in the image at PATH, for a source of our size. */
static int map_of(struct rs *s, const char *path)
{
	int r = lb_rescue_map_from_image(s->ctx, path, &s->map);

	if (r)
		return r == -EBADMSG ? -LB_EBADIMAGE : r;
	if (s->map.size != s->src->size) {
		lb_rmap_free(&s->map);
		return refuse(s, -LB_EREFUSED, "%s holds the rescue of a "
			      "source of another size", path);
	}
	if ((r = lb_rs_same_source(s, path, &s->map)))
		lb_rmap_free(&s->map);
	return r;
}

/* Case 2: a finished image gives its map and becomes IMAGE.part again,
 * to be reopened. */
static int unfinish(struct rs *s)
{
	int r;

	if ((r = map_of(s, s->o->image)))
		return r;
	if (rename(s->o->image, s->part_path) < 0) {
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "cannot rename %.200s "
			 "to %.200s: %s", s->o->image, s->part_path,
			 strerror(errno));
		return -LB_ETARGET;
	}
	return 0;
}

/* An imported map without --resume: its finished blocks are not in this
 * image, so they are read again; its trouble spots keep their status so
 * that they are left for the later phases. */
static void forget_finished(struct lb_rmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].st == LB_RM_FINISHED)
			m->v[i].st = LB_RM_NONTRIED;
	/* re-merge neighbours that now share a status */
	for (size_t i = 0; i + 1 < m->n;) {
		if (m->v[i].st == m->v[i + 1].st) {
			m->v[i].size += m->v[i + 1].size;
			memmove(&m->v[i + 1], &m->v[i + 2],
				(m->n - i - 2) * sizeof m->v[0]);
			m->n--;
		} else {
			i++;
		}
	}
}

static int prepare_map(struct rs *s)
{
	const struct lb_rescue_opts *o = s->o;
	int work = exists(s->part_path), r;

	if (work && !o->resume && !o->import_map)
		return refuse(s, -LB_EREFUSED, "an interrupted rescue into %s "
			      "exists (IMAGE.part): go on with --resume",
			      o->image);
	if (!work && exists(o->image) && !o->resume)
		return refuse(s, -LB_EREFUSED, "%s exists; --resume tries its bad "
			      "areas again", o->image);
	if (!work && !exists(o->image) && o->resume)
		return refuse(s, -ENOENT, "nothing to resume: neither %s nor "
			      "its interrupted rescue (IMAGE.part) exists",
			      o->image);
	if (!o->resume) {
		s->fresh = 1;
		if (!o->import_map)
			return lb_rmap_init(&s->map, s->src->size);
		if ((r = load_map(s, o->import_map)))
			return r;
		forget_finished(&s->map);
		return 0;
	}
	r = work ? map_of(s, s->part_path) : unfinish(s);
	if (r == -ENOENT && work) {
		/* killed before its first checkpoint: it holds nothing */
		s->fresh = 1;
		return o->import_map ? load_map(s, o->import_map) :
		       lb_rmap_init(&s->map, s->src->size);
	}
	if (r)
		return r;
	if (o->import_map) {            /* replaces the map stored */
		lb_rmap_free(&s->map);
		return load_map(s, o->import_map);
	}
	return 0;
}

static int setup(struct rs *s)
{
	uint64_t size;
	int r;

	if ((r = lb_rs_open_source(s)))
		return r;
	size = s->src->size;
	if (!size)
		return refuse(s, -EINVAL, "%s is empty (0 bytes): nothing to "
			      "rescue", s->o->source.path);
	s->skip_max = size / 100 / s->sec * s->sec;
	if (s->skip_max < RS_SKIP0)
		s->skip_max = RS_SKIP0;
	if (s->skip_max > (1u << 30))
		s->skip_max = 1u << 30;
	if (posix_memalign((void **)&s->buf, 4096, RS_QUEUE * RS_BATCH))
		return -ENOMEM;
	if ((r = lb_rs_reader_start(&s->reader, s->src)))
		return r;
	if ((r = prepare_map(s)) || (r = lb_rs_img_open(s, !s->fresh)))
		return r;
	lb_rs_source_identity(s, &s->meta);     /* for the next --resume */
	return 0;
}

static void teardown(struct rs *s)
{
	int stuck = lb_rs_reader_stop(s->reader);

	lb_rs_img_close(s);
	if (!stuck) {           /* else the stuck reader still uses them */
		lb_dev_close(s->src);
		free(s->buf);
	}
	lb_rmap_free(&s->map);
	lb_extmap_free(&s->used);
}

/* The comment stored with the map: source, counts, and one line
 * "bad file: [partition N, fstype] PATH (B bytes unreadable)" per file
 * that touches a byte not rescued. */
static char *final_comment(struct rs *s, const char *raw)
{
	struct lb_bad_file *v = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n = 0;

	if (!f)
		return NULL;
	fprintf(f, "Rescue of %s by Lifeboat %s\n", s->o->source.path,
		LB_VERSION);
	if (raw && s->st->finished < s->map.size)
		n = lb_rescue_bad_files(s->ctx, raw, &s->map, &v);
	for (int i = 0; i < n; i++)
		fprintf(f, "bad file: [partition %u, %s] %s (%" PRIu64 " bytes "
			"unreadable)\n", v[i].part, v[i].fstype, v[i].path,
			v[i].bad_bytes);
	free(v);
	fclose(f);
	return text;
}

static int finish(struct rs *s)
{
	int r;

	lb_rs_stats(s);
	if (!(r = lb_rs_img_finish(s, final_comment)))
		unlink(s->map_path);
	return r;
}

/* Tells the UI what a resumed map already holds (finished, bad). */
static void show_map(struct rs *s)
{
	for (size_t i = 0; s->ctx->region && i < s->map.n; i++) {
		const struct lb_rblock *b = &s->map.v[i];
		if (b->st == LB_RM_FINISHED || b->st == LB_RM_BAD)
			s->ctx->region(b->pos, b->size, b->st == LB_RM_BAD ?
				       LB_REGION_BAD : LB_REGION_COPIED,
				       s->ctx->user);
	}
}

int lb_rescue(struct lb_ctx *ctx, const struct lb_rescue_opts *o)
{
	struct rs s = { .ctx = ctx, .o = o };
	struct lb_sysfs_saved saved = { .dir = "" };
	char sysfs_path[4200];
	int r;

	ctx->msg[0] = 0;
	/* Rule 1: the image must not land on the source. */
	if ((r = lb_check_image_dest(ctx, o->source.path, o->image)) < 0)
		return r;
	s.st = o->stats ? o->stats : &s.own_st;
	memset(s.st, 0, sizeof *s.st);
	s.st->started = s.st->last_good = lb_rs_now();
	s.slow_ms = o->slow_ms ? o->slow_ms : 1000;
	s.ckpt_ms = o->checkpoint_ms ? o->checkpoint_ms : 3000;
	s.read_timeout_ms = o->read_timeout_ms ? o->read_timeout_ms : 60000;
	lb_extmap_init(&s.used);
	snprintf(s.part_path, sizeof s.part_path, "%s.part", o->image);
	snprintf(s.map_path, sizeof s.map_path, "%s.rescue-map", o->image);
	snprintf(sysfs_path, sizeof sysfs_path, "%s.rescue-sysfs", o->image);
	if (!o->keep_timeouts)  /* originals kept beside the map (kill -9) */
		lb_sysfs_lower_timeouts(ctx, o->source.path, 5, 5, sysfs_path,
					&saved);
	if (!(r = setup(&s))) {
		if (o->live_map)
			*o->live_map = &s.map;
		show_map(&s);
		lb_prog_begin(&s.prog, ctx, LB_PHASE_RESCUE_COPY, s.map.size);
		r = lb_rs_run_steps(&s);
		if (!r)
			r = finish(&s);
		else if (s.w && r != -LB_ETARGET)
			lb_rs_tick(&s, 1);      /* the last good checkpoint */
		if (s.w)                /* written before the process ends */
			lb_rs_img_wait(&s);
		if (o->live_map)
			*o->live_map = NULL;
	}
	lb_sysfs_restore_timeouts(ctx, &saved);
	lb_rs_stats(&s);
	teardown(&s);
	return r;
}
