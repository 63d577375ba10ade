/*
 * rescue_store.c — the rescue writes straight into its qcow2 image.
 *
 * The image is IMAGE.part while the rescue runs (incomplete flag in the
 * Lifeboat extension), written by the image writer (image_writer.c) one
 * guest cluster (LB_DEFAULT_CLUSTER bytes) at a time.  Rescued bytes are
 * gathered in cluster buffers (RS_SLOTS).  A cluster that the map calls
 * wholly finished will never change again: it is handed to the
 * compression workers at once (lb_rs_img_settle), so that the reading
 * thread goes on reading while they compress it.  A cluster still holding
 * unread sectors stays in its buffer, and is handed over when another
 * cluster needs the buffer and at every checkpoint; it holds zeros where
 * sectors are not read yet.  When a later pass reads more of it and it is
 * no longer in a buffer, it is read back from the image (lb_imgw_get),
 * the new sectors are added and it is stored again (the writer replaces
 * it).  A cluster with no finished byte in the map is known to be zeros
 * and is not read back.
 *
 * The workers (threads.h, pipeline.c's lb_encode_work: zero test, XXH3,
 * compression) and the pipe's writer thread, which calls lb_imgw_put in
 * the order the clusters were handed over, so that the image does not
 * depend on the number of workers (LIFEBOAT_RESCUE_WORKERS, default one
 * per core).  The reading thread touches the image writer only under
 * s->wmu, and only after draining the pipe when the cluster it reads back
 * may still be on its way.
 *
 * A checkpoint (lb_rs_img_checkpoint) hands over every buffer, waits until
 * the writer thread has stored all of it (lb_pipe_drain), then lets the
 * image writer write its tables and the map (ddrescue mapfile text) after
 * the data, sync, and only then point the header at them
 * (lb_imgw_checkpoint).  So the file on disk is always a valid qcow2
 * whose stored map calls finished only bytes that are in it; a crash
 * leaves the last checkpoint, which lb_imgw_reopen_part opens again for
 * --resume.
 *
 * The end (lb_rs_img_finish): the SHA-256 of the whole disk is computed
 * by reading the image back (the clusters were written out of order), the
 * map with its comment is stored, and lb_imgw_finish writes the final
 * tables, marks the image complete and renames it to IMAGE.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <nettle/sha2.h>

#include "checksum.h"
#include "rescue_int.h"
#include "threads.h"

static void st_msg(struct rs *s, int r, const char *what)
{
	if (!s->ctx->msg[0])
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "%.300s.part: cannot %s: "
			 "%s", s->o->image, what, strerror(r < 0 ? -r : r));
}

/* Replaces the copy of the map beside the image (IMAGE.rescue-map) with
 * TEXT: a temporary name, synced, renamed, the folder synced. */
static int save_side_map(const char *path, const char *text, size_t len)
{
	char tmp[4300], *dir = strdup(path);
	int fd, r = 0;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!dir)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		r = -errno ?: -EIO;
	if (fd >= 0 && close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	else if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			r = -errno;
		close(fd);
	}
	free(dir);
	return r;
}

/* Writer thread: checkpoint C, handed over after the clusters stored
 * before it, then the copy of its map beside the image. */
static int late_checkpoint(struct rs *s, struct rs_ckpt *c, char *msg)
{
	struct lb_ctx wctx = { 0 };
	int r = lb_imgw_checkpoint(&wctx, s->w, &c->meta, c->text, c->len);

	if (r)
		snprintf(msg, 512, "%.200s.part: cannot write a checkpoint: "
			 "%.250s", s->o->image, wctx.msg[0] ? wctx.msg : strerror(-r));
	else if ((r = save_side_map(s->map_path, c->text, c->len)))
		snprintf(msg, 512, "%.300s: cannot save the map: %.150s",
			 s->map_path, strerror(-r));
	free(c->text);
	c->text = NULL;
	return r;
}

/* Writer thread: stores one compressed cluster, in hand-over order. */
static int store_job(void *job, void *arg, char *msg)
{
	struct lb_xjob *j = job;
	struct rs *s = ((struct rs_pipe_arg *)arg)->s;
	struct lb_ctx wctx = { 0 };
	const uint8_t *data = j->kind[0] == LB_CL_RAW ? j->raw :
			      j->kind[0] == LB_CL_COMPRESSED ? j->pk : NULL;
	int r;

	lb_rs_background();
	pthread_mutex_lock(&s->wmu);
	if (!j->n) {            /* a checkpoint, after the clusters before it */
		struct rs_ckpt *c = &s->ckv[j - s->pool.jobs];
		r = c->text ? late_checkpoint(s, c, msg) : 0;
		pthread_mutex_unlock(&s->wmu);
		if (!c->text)   /* all before it is stored: the hasher may */
			lb_rs_hash_limit(s, c->limit, c->rewind);
		return r;
	}
	r = lb_imgw_put(&wctx, s->w, j->first, j->kind[0], data, j->len[0],
			j->xxh[0]);
	pthread_mutex_unlock(&s->wmu);
	if (r)
		snprintf(msg, 512, "%s", wctx.msg[0] ? wctx.msg : strerror(-r));
	return r;
}

/* Samples of a cluster tried before compressing all of it. */
#define SAMPLE (16u << 10)
#define NSAMPLES 4

/* Every sample of the cluster IN (CS bytes) fails to shrink by 1/64 (the
 * cluster is random-looking: encrypted or compressed data): storing it
 * uncompressed saves compressing it whole (zstd spends about as long on
 * 1 MiB of such data as 60 reads of a sector take).  OUT: scratch. */
static int incompressible(struct lb_codec *c, const uint8_t *in, uint64_t cs,
			  uint8_t *out)
{
	if (cs < NSAMPLES * SAMPLE)
		return 0;
	for (unsigned k = 0; k < NSAMPLES; k++)
		if (lb_codec_compress(c, in + k * (cs / NSAMPLES), SAMPLE, out,
				      SAMPLE - SAMPLE / 64))
			return 0;
	return 1;
}

/* The calling thread yields to the reads: compression, storing and
 * hashing are background work, and on a machine with few cores every
 * moment they take from the reading thread (and from a FUSE or USB
 * stack's threads) makes the rescue slower.  Linux: per thread. */
void lb_rs_background(void)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RS_NICE);
}

/* Worker: zeros, uncompressed (LB_CL_RAW handed over: a cluster still
 * being filled, stored for a checkpoint and stored again later; or one
 * that does not compress) or compressed, with its XXH3.  A job with no
 * cluster is a checkpoint (store_job). */
static int rs_work(void *job, void *codec, void *arg, char *msg)
{
	struct lb_xjob *j = job;
	uint64_t cs = ((struct lb_xargs *)arg)->cs;

	lb_rs_background();
	if (!j->n)
		return 0;
	if (lb_is_zero(j->raw, cs)) {
		j->kind[0] = LB_CL_ZERO;
		return 0;
	}
	j->xxh[0] = lb_xxh3(j->raw, cs);
	if (j->kind[0] == LB_CL_RAW || incompressible(codec, j->raw, cs, j->pk))
		j->len[0] = 0;
	else
		j->len[0] = (uint32_t)lb_codec_compress(codec, j->raw, cs, j->pk,
							cs - 1);
	j->kind[0] = j->len[0] ? LB_CL_COMPRESSED : LB_CL_RAW;
	return 0;
}

/* Waits until everything handed over is stored.  Returns 0 or the first
 * error of the writer thread (then no more checkpoints). */
static int drain(struct rs *s)
{
	char msg[512] = "";
	int r;

	if (!s->pipe)
		return 0;
	s->nrecent = 0;
	if (!(r = lb_pipe_drain(s->pipe, msg, sizeof msg)))
		return 0;
	s->img_failed = 1;
	if (msg[0] && !s->ctx->msg[0])
		snprintf(s->ctx->msg, sizeof s->ctx->msg, "%s", msg);
	st_msg(s, r, "store a cluster");
	return r;
}

/* Cluster IDX may still be with the workers (handed over lately). */
static int in_flight(struct rs *s, uint64_t idx)
{
	unsigned n = s->nrecent < (unsigned)s->pool.njobs ? s->nrecent :
		     (unsigned)s->pool.njobs;

	if (s->pool.njobs > 64)         /* more than the ring remembers */
		return 1;
	for (unsigned k = 1; k <= n; k++)
		if (s->recent[(s->nrecent - k) % 64] == idx)
			return 1;
	return 0;
}

/* No byte of cluster IDX is finished in the map: the image holds zeros. */
static int map_says_zero(struct rs *s, uint64_t idx)
{
	uint64_t pos = idx * s->cs, end = pos + s->cs;

	if (!s->trust_map)
		return 0;
	end = end < s->map.size ? end : s->map.size;
	for (size_t i = pos < end ? lb_rmap_find(&s->map, pos) : s->map.n;
	     i < s->map.n && s->map.v[i].pos < end; i++)
		if (s->map.v[i].st == LB_RM_FINISHED)
			return 0;
	return 1;
}

/* Reads guest cluster IDX as stored so far into BUF (zeros when not). */
static int load_cluster(struct rs *s, uint64_t idx, uint8_t *buf)
{
	struct lb_cluster_map m;
	int r;

	if (map_says_zero(s, idx)) {
		memset(buf, 0, s->cs);
		return 0;
	}
	if (in_flight(s, idx) && (r = drain(s)))
		return r;
	pthread_mutex_lock(&s->wmu);
	r = lb_imgw_get(s->ctx, s->w, idx, &m, s->pk, 2 * s->cs);
	pthread_mutex_unlock(&s->wmu);
	if (r)
		return r;
	if (m.kind == LB_CL_ZERO)
		memset(buf, 0, s->cs);
	else if (m.kind == LB_CL_RAW)
		memcpy(buf, s->pk, s->cs);
	else if (lb_codec_decompress(&s->codec, s->pk, m.len, buf, s->cs))
		return -EBADMSG;
	return 0;
}

/* Hands a changed buffer to the workers: a copy of it when KEEP (the
 * slot goes on holding the cluster), else the buffer itself, which the
 * slot swaps for the job's (the slot then holds no cluster).  QUICK: a
 * copy for a checkpoint of a cluster still being filled, stored
 * uncompressed (it will be stored again; its host cluster is reused
 * after the next checkpoint). */
static int put_slot(struct rs *s, struct rs_slot *sl, int keep, int quick)
{
	struct lb_xjob *j;
	uint8_t *t;

	if (!sl->dirty)
		return 0;
	if (s->img_failed)
		return -LB_ETARGET;
	if (!(j = lb_pipe_get(s->pipe)))
		return drain(s) ?: -EIO;
	j->first = sl->idx;
	j->n = 1;
	j->kind[0] = quick ? LB_CL_RAW : LB_CL_UNKNOWN;
	j->len[0] = 0;
	j->xxh[0] = 0;
	if (keep) {
		memcpy(j->raw, sl->buf, s->cs);
	} else {
		t = j->raw;
		j->raw = sl->buf;
		sl->buf = t;
		sl->idx = UINT64_MAX;
	}
	s->recent[s->nrecent++ % 64] = j->first;
	lb_pipe_submit(s->pipe, j);
	sl->dirty = 0;
	sl->nundo = 0;
	return 0;
}

/* A buffer for another cluster: a free one (allocated already, if
 * any), else the least recently used, handed over first. */
static int victim(struct rs *s, struct rs_slot **out)
{
	struct rs_slot *v = NULL, *fresh = NULL;
	int r;

	for (int i = 0; i < RS_SLOTS; i++) {
		struct rs_slot *sl = &s->slot[i];
		if (sl->idx == UINT64_MAX && sl->buf) {
			v = sl;
			break;
		}
		if (sl->idx == UINT64_MAX && !fresh)
			fresh = sl;
		if (!fresh && (!v || sl->age < v->age))
			v = sl;
	}
	if (fresh && (!v || v->idx != UINT64_MAX))
		v = fresh;
	if ((r = put_slot(s, v, 0, 0)))
		return r;
	if (!v->buf && (!(v->buf = malloc(s->cs)) ||
			!(v->undo = malloc(RS_UNDO * sizeof *v->undo)))) {
		free(v->buf);
		v->buf = NULL;
		return -ENOMEM;
	}
	v->idx = UINT64_MAX;
	v->nundo = 0;
	*out = v;
	return 0;
}

/* The buffer holding cluster IDX, loaded from the image if need be. */
static int slot_of(struct rs *s, uint64_t idx, struct rs_slot **out)
{
	struct rs_slot *v = NULL;
	int r;

	for (int i = 0; i < RS_SLOTS && !v; i++)
		if (s->slot[i].idx == idx)
			v = &s->slot[i];
	if (!v) {
		if ((r = victim(s, &v)))
			return r;
		if ((r = load_cluster(s, idx, v->buf))) {
			s->img_failed = 1;
			return st_msg(s, r, "read a cluster back"), r;
		}
		v->idx = idx;
	}
	v->age = ++s->clock;
	*out = v;
	return 0;
}

/* Notes in SL what the map says of [POS, POS+LEN) before these bytes
 * are put and marked finished; too many notes: nundo -1 (the buffer is
 * then handed over at the next checkpoint). */
static void remember(struct rs *s, struct rs_slot *sl, uint64_t pos,
		     uint64_t len)
{
	uint64_t end = pos + len;

	for (size_t i = lb_rmap_find(&s->map, pos);
	     sl->nundo >= 0 && i < s->map.n && s->map.v[i].pos < end; i++) {
		const struct lb_rblock *b = &s->map.v[i];
		uint64_t a = b->pos > pos ? b->pos : pos;
		uint64_t z = b->pos + b->size < end ? b->pos + b->size : end;
		struct rs_undo *u = sl->nundo ? &sl->undo[sl->nundo - 1] : NULL;
		if (b->st == LB_RM_FINISHED)
			continue;       /* stored already */
		if (u && u->pos + u->len == a && u->st == b->st)
			u->len += z - a;
		else if (sl->nundo == RS_UNDO)
			sl->nundo = -1;
		else
			sl->undo[sl->nundo++] = (struct rs_undo){ a, z - a, b->st };
	}
}

int lb_rs_img_put(struct rs *s, const uint8_t *data, uint64_t pos, size_t len)
{
	while (len) {
		uint64_t idx = pos / s->cs, at = pos % s->cs;
		size_t n = s->cs - at < len ? (size_t)(s->cs - at) : len;
		struct rs_slot *sl;
		int r;

		if ((r = slot_of(s, idx, &sl)))
			return r;
		if (idx < s->hash_pub && idx < s->hash_inval)
			s->hash_inval = idx;    /* a scrape or retry read
						 * more of it */
		remember(s, sl, pos, n);
		memcpy(sl->buf + at, data, n);
		sl->dirty = 1;
		data += n;
		pos += n;
		len -= n;
	}
	return 0;
}

/* No byte of cluster IDX waits for a read in the phases to come: each
 * is finished or bad ('-', which only a retry pass reads again, and
 * seldom with success: the cluster is then read back and stored again). */
static int cluster_done(struct rs *s, uint64_t idx)
{
	uint64_t pos = idx * s->cs, end = pos + s->cs;

	if (pos >= s->map.size)
		return 0;
	end = end < s->map.size ? end : s->map.size;
	for (size_t i = lb_rmap_find(&s->map, pos);
	     i < s->map.n && s->map.v[i].pos < end; i++)
		if (s->map.v[i].st != LB_RM_FINISHED &&
		    s->map.v[i].st != LB_RM_BAD)
			return 0;
	return 1;
}

int lb_rs_img_settle(struct rs *s, uint64_t pos, uint64_t len)
{
	uint64_t first = pos / s->cs, last = (pos + len - 1) / s->cs;
	int r;

	if (!len)
		return 0;
	for (int i = 0; i < RS_SLOTS; i++) {
		struct rs_slot *sl = &s->slot[i];
		if (sl->idx >= first && sl->idx <= last && sl->dirty &&
		    cluster_done(s, sl->idx) && (r = put_slot(s, sl, 0, 0)))
			return r;
	}
	return 0;
}

/* Hands a copy of every changed buffer (ALL) or of those whose notes
 * overflowed to the workers, uncompressed when QUICK. */
static int submit_slots(struct rs *s, int all, int quick)
{
	int r = 0;

	for (int i = 0; i < RS_SLOTS && !r; i++)
		if (s->slot[i].idx != UINT64_MAX &&
		    (all || s->slot[i].nundo < 0))
			r = put_slot(s, &s->slot[i], 1, quick);
	return r;
}

/* The map to store with a checkpoint that left buffers alone: the live
 * map with the bytes only those buffers hold given back the status they
 * had (latest notes first, so the oldest status wins).  *OUT is the live
 * map itself when no buffer holds such bytes. */
static int checkpoint_map(struct rs *s, struct lb_rmap *copy,
			  const struct lb_rmap **out)
{
	int r = 0;

	*out = &s->map;
	for (int i = 0; i < RS_SLOTS && !r; i++) {
		struct rs_slot *sl = &s->slot[i];
		if (sl->idx == UINT64_MAX || !sl->dirty || sl->nundo <= 0)
			continue;
		if (*out == &s->map) {
			*copy = s->map;
			copy->cap = s->map.n;
			if (!(copy->v = malloc(copy->cap * sizeof *copy->v)))
				return -ENOMEM;
			memcpy(copy->v, s->map.v, s->map.n * sizeof *copy->v);
			*out = copy;
		}
		for (int k = sl->nundo - 1; k >= 0 && !r; k--)
			r = lb_rmap_set(copy, sl->undo[k].pos, sl->undo[k].len,
					sl->undo[k].st);
	}
	return r;
}

int lb_rs_img_wait(struct rs *s)
{
	return s->img_failed ? -LB_ETARGET : drain(s);
}

static char *map_text(const struct lb_rmap *m, const char *comment,
		      size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	if (lb_rmap_write(m, f, comment)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static void fill_meta(struct rs *s, const struct lb_rmap *map)
{
	struct lb_meta *m = &s->meta;

	m->source_size = map->size;
	m->logical_sector = s->src->logical_sector;
	m->physical_sector = s->src->physical_sector;
	snprintf(m->source_path, sizeof m->source_path, "%.127s", s->src->path);
	snprintf(m->tool_version, sizeof m->tool_version, "%s", LB_VERSION);
	m->bad_bytes = map->size - lb_rmap_bytes(map, LB_RM_FINISHED);
}

/* Makes the checkpoint now, in this thread (everything handed over is
 * stored first). */
static int checkpoint_now(struct rs *s, char *text, size_t len)
{
	int r;

	if ((r = drain(s))) {
		free(text);
		return r;
	}
	pthread_mutex_lock(&s->wmu);    /* the writer thread is idle: drained */
	r = lb_imgw_checkpoint(s->ctx, s->w, &s->meta, text, len);
	pthread_mutex_unlock(&s->wmu);
	free(text);
	if (r) {
		s->img_failed = 1;
		st_msg(s, r, "write a checkpoint");
	}
	return r;
}

int lb_rs_img_publish(struct rs *s)
{
	size_t i = lb_rmap_find(&s->map, s->hash_pub * s->cs < s->map.size ?
				s->hash_pub * s->cs : s->map.size - 1);
	uint64_t n = (s->map.size + s->cs - 1) / s->cs, p;
	struct lb_xjob *j;
	int r;

	if (!s->hasher || !s->pipe ||
	    (s->hash_pub >= n && s->hash_inval == UINT64_MAX))
		return 0;
	/* non-scraped bytes lie between two failed reads and are bad as a
	 * rule: the hasher takes them as the zeros they are now (a scrape
	 * read that succeeds after all sets hash_inval) */
	while (i < s->map.n && (s->map.v[i].st == LB_RM_FINISHED ||
				s->map.v[i].st == LB_RM_BAD ||
				s->map.v[i].st == LB_RM_NONSCRAPE))
		i++;
	p = i < s->map.n ? s->map.v[i].pos / s->cs : n;
	if (p <= s->hash_pub && s->hash_inval == UINT64_MAX)
		return 0;
	p = p > s->hash_pub ? p : s->hash_pub;
	for (int k = 0; k < RS_SLOTS; k++)      /* such clusters: to the image */
		if (s->slot[k].idx < p && s->slot[k].dirty &&
		    (r = put_slot(s, &s->slot[k], 1, 0)))
			return r;
	if (!(j = lb_pipe_get(s->pipe)))
		return drain(s) ?: -EIO;
	j->n = 0;
	free(s->ckv[j - s->pool.jobs].text);
	s->ckv[j - s->pool.jobs] = (struct rs_ckpt){ .limit = p,
						     .rewind = s->hash_inval };
	lb_pipe_submit(s->pipe, j);
	s->hash_pub = p;
	s->hash_inval = UINT64_MAX;
	return 0;
}

/* Hands the checkpoint to the writer thread, behind the clusters. */
static int checkpoint_later(struct rs *s, char *text, size_t len)
{
	struct lb_xjob *j;
	struct rs_ckpt *c;

	if (!(j = lb_pipe_get(s->pipe))) {
		free(text);
		return drain(s) ?: -EIO;
	}
	j->n = 0;               /* the workers leave it alone */
	c = &s->ckv[j - s->pool.jobs];
	free(c->text);          /* one dropped after an error */
	c->text = text;
	c->len = len;
	c->meta = s->meta;
	lb_pipe_submit(s->pipe, j);
	return 0;
}

/* Every s->ckpt_ms (and when WAIT) a checkpoint stores every buffer;
 * in between (phase changes come close together) it leaves the buffers
 * of clusters still being filled alone and stores the map as it was for
 * their bytes, so that such a cluster is not compressed and written again
 * at each phase: a crash then reads those bytes again on --resume, as it
 * would the reads since the checkpoint before. */
int lb_rs_img_checkpoint(struct rs *s, const char *comment, int wait)
{
	int all = wait || (lb_rs_now() - s->last_full) * 1000.0 >= s->ckpt_ms;
	const struct lb_rmap *m;
	struct lb_rmap copy = { 0 };
	size_t len = 0;
	char *text = NULL;
	int r;

	if (s->img_failed)      /* keep the last good checkpoint */
		return -LB_ETARGET;
	if ((r = submit_slots(s, all, 1)))
		return r;
	if (all)
		s->last_full = lb_rs_now();
	if (!(r = checkpoint_map(s, &copy, &m)))
		text = map_text(m, comment, &len);
	if (text)
		fill_meta(s, m);
	if (m != &s->map)
		lb_rmap_free(&copy);
	if (!text)
		return st_msg(s, -ENOMEM, "write the map"), -ENOMEM;
	return wait ? checkpoint_now(s, text, len) :
		      checkpoint_later(s, text, len);
}

/* The compression of an image being reopened (its header's type). */
static enum lb_compress part_compress(struct rs *s)
{
	struct lb_imgr *r;
	char part[4200];
	enum lb_compress c = s->o->compress;
	struct lb_ctx tmp = { 0 };

	snprintf(part, sizeof part, "%s.part", s->o->image);
	if (!lb_imgr_open(&tmp, part, 1, &r)) {
		c = r->h.compression_type == QCOW2_COMPRESS_ZSTD ?
		    LB_COMPRESS_ZSTD : LB_COMPRESS_ZLIB;
		s->cs = (uint64_t)1 << r->h.cluster_bits;
		lb_imgr_close(r);
	}
	return c;
}

/* The workers: LIFEBOAT_RESCUE_WORKERS of them (1 to 8), else one per
 * core (at most 8). */
static int workers(void)
{
	const char *e = getenv("LIFEBOAT_RESCUE_WORKERS");
	int n = e ? atoi(e) : lb_cpu_count();

	return n < 1 ? 1 : n > 8 ? 8 : n;
}

/* Starts the compression workers and the writer thread (store_job). */
static int start_pipe(struct rs *s, enum lb_compress c)
{
	struct lb_pipe_cfg cfg = {
		.work = rs_work, .write = store_job, .arg = &s->pa,
		.wstate_new = lb_xcodec_new, .wstate_free = lb_xcodec_free,
	};
	int r;

	for (int i = 0; i < RS_SLOTS; i++)
		s->slot[i].idx = UINT64_MAX;
	if (pthread_mutex_init(&s->wmu, NULL))
		return -ENOMEM;
	s->wmu_ok = 1;
	s->pa.xa.cs = s->cs;
	s->pa.xa.compress = c;
	s->pa.xa.image = s->o->image;
	s->pa.s = s;
	if ((r = lb_xpool_init(&s->pool, workers(), s->cs)))
		return r;
	if (!(s->ckv = calloc(s->pool.njobs, sizeof *s->ckv)))
		return -ENOMEM;
	s->hash_inval = UINT64_MAX;
	cfg.workers = s->pool.workers;
	cfg.njobs = s->pool.njobs;
	cfg.jobs = s->pool.ptrs;
	return lb_pipe_start(&cfg, &s->pipe);
}

int lb_rs_img_open(struct rs *s, int reopen)
{
	struct lb_imgw_opts wo = {
		.cluster_bits = 20, .size = s->src->size,
		.compress = s->o->compress,
	};
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	int r;

	s->cs = LB_DEFAULT_CLUSTER;
	if (reopen)
		wo.compress = part_compress(s);   /* and s->cs */
	if (!(s->pk = malloc(2 * s->cs)) ||
	    lb_codec_init(&s->codec, wo.compress, 0))
		return -ENOMEM;
	s->codec_ok = 1;
	s->trust_map = !(s->o->resume && s->o->import_map);
	if ((r = start_pipe(s, wo.compress)) ||
	    (r = lb_rs_hash_start(s, wo.compress)))
		return r;
	if (reopen) {
		if ((r = lb_imgw_reopen_part(s->ctx, s->o->image, &s->meta, &s->w)))
			return r == -EBADMSG ? -LB_EBADIMAGE : r;
		return 0;
	}
	memset(&s->meta, 0, sizeof s->meta);
	s->meta.version = LB_META_VERSION;
	s->meta.created = sde ? strtoll(sde, NULL, 10) : (int64_t)time(NULL);
	if ((r = lb_imgw_create(s->ctx, s->o->image, &wo, &s->w)))
		return r;
	return lb_rs_img_checkpoint(s, "Rescue started", 0);
}

/* Reading the image back for its SHA-256 (and the raw copy for the file
 * lists): this thread reads the stored bytes, the workers decompress and
 * check them (lb_decode_work), the pipe's writer thread hashes them in
 * disk order (hash_sink). */
struct rs_hash {
	struct lb_xargs xa;     /* first: lb_xcodec_new takes it */
	struct rs *s;
	struct sha256_ctx sha;
	const uint8_t *zeros;   /* one cluster */
	int raw_fd;
};

static int hash_sink(void *job, void *arg, char *msg)
{
	struct lb_xjob *j = job;
	struct rs_hash *h = arg;
	uint64_t cs = h->xa.cs, off = j->first * cs, size = h->s->map.size;
	size_t len = (size_t)(size - off < cs ? size - off : cs);
	const uint8_t *d = j->kind[0] == LB_CL_ZERO ? h->zeros :
			   j->kind[0] == LB_CL_RAW ? j->pk : j->raw;

	sha256_update(&h->sha, len, d);
	if (h->raw_fd >= 0 && d != h->zeros &&
	    pwrite(h->raw_fd, d, len, (off_t)off) != (ssize_t)len) {
		snprintf(msg, 512, "%.300s.rescue-scan: %s", h->s->o->image,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

/* Worker: decompresses a compressed cluster (the others are used as
 * read: stored bytes or zeros). */
static int unpack(void *job, void *codec, void *arg, char *msg)
{
	struct lb_xjob *j = job;
	struct rs_hash *h = arg;

	j->kind[0] = j->map[0].kind;
	if (j->kind[0] == LB_CL_COMPRESSED &&
	    lb_codec_decompress(codec, j->pk, j->map[0].len, j->raw, h->xa.cs)) {
		snprintf(msg, 512, "%.300s.part: guest cluster %" PRIu64
			 " does not decompress", h->s->o->image, j->first);
		return -EBADMSG;
	}
	return 0;
}

/* This thread's part: maps and reads cluster after cluster from FROM. */
static int hash_feed(struct rs *s, struct lb_pipe *p, uint64_t from)
{
	uint64_t n = (s->map.size + s->cs - 1) / s->cs;
	int r = 0;

	for (uint64_t i = from; i < n && !r; i++) {
		struct lb_xjob *j = lb_pipe_get(p);
		if (!j)
			break;
		j->first = i;
		j->n = 1;
		if (map_says_zero(s, i))
			j->map[0] = (struct lb_cluster_map){ .kind = LB_CL_ZERO };
		else if ((r = lb_imgw_get(s->ctx, s->w, i, &j->map[0], j->pk,
					  j->pk_cap)))
			lb_pipe_fail(p, r, s->ctx->msg);
		lb_pipe_submit(p, j);
	}
	return r;
}

/* The SHA-256 of the whole disk (as the image holds it) into META: the
 * hasher's part, then the rest read back; with RAW_FD, all of it read
 * back and its non-zero clusters written there too.  The compression pipe
 * is stopped (everything was stored) and its jobs serve this one. */
static int hash_disk(struct rs *s, int raw_fd)
{
	struct rs_hash h = {
		.xa = s->pa.xa, .s = s, .raw_fd = raw_fd,
		.zeros = calloc(1, s->cs),
	};
	struct lb_pipe_cfg cfg = {
		.workers = s->pool.workers, .njobs = s->pool.njobs,
		.jobs = s->pool.ptrs, .work = unpack,
		.write = hash_sink, .arg = &h, .wstate_new = lb_xcodec_new,
		.wstate_free = lb_xcodec_free,
	};
	struct lb_pipe *p;
	uint64_t from = lb_rs_hash_stop(s, &h.sha);
	int r, e;

	if (raw_fd >= 0) {
		from = 0;
		sha256_init(&h.sha);
	}
	if ((r = lb_pipe_finish(s->pipe, s->ctx->msg, sizeof s->ctx->msg)))
		return free((void *)h.zeros), r;
	s->pipe = NULL;
	if (!h.zeros || (r = lb_pipe_start(&cfg, &p)))
		return free((void *)h.zeros), r ? r : -ENOMEM;
	r = hash_feed(s, p, from);
	e = lb_pipe_finish(p, s->ctx->msg, sizeof s->ctx->msg);
	sha256_digest(&h.sha, SHA256_DIGEST_SIZE, s->meta.sha256);
	free((void *)h.zeros);
	return r ? r : e;
}

/* A disk whose first sector looks like a partition table or a boot
 * sector (0x55AA), or holds an ext superblock, may have files to list. */
static int may_have_files(struct rs *s)
{
	uint8_t *b = malloc(s->cs);
	int yes = 0;

	if (b && !load_cluster(s, 0, b))
		yes = (b[510] == 0x55 && b[511] == 0xaa) ||
		      (s->cs > 1081 && b[1080] == 0x53 && b[1081] == 0xef);
	free(b);
	return yes;
}

int lb_rs_img_finish(struct rs *s, char *(*comment)(struct rs *, const char *))
{
	char scan[4200];
	int fd = -1, r;
	char *text;

	if ((r = submit_slots(s, 1, 0)) || (r = lb_rs_img_wait(s)))
		return r;
	snprintf(scan, sizeof scan, "%s.rescue-scan", s->o->image);
	/* the file walkers read a raw disk: a sparse copy, only when some
	 * bytes were lost and there may be files to name */
	if (lb_rmap_bytes(&s->map, LB_RM_FINISHED) < s->map.size &&
	    may_have_files(s)) {
		fd = open(scan, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0 && ftruncate(fd, (off_t)s->map.size) < 0) {
			close(fd);
			fd = -1;
		}
	}
	r = hash_disk(s, fd);
	if (fd >= 0)
		close(fd);
	text = r ? NULL : comment(s, fd >= 0 ? scan : NULL);
	unlink(scan);
	if (r)
		return st_msg(s, r, "read the image back"), r;
	r = lb_rs_img_checkpoint(s, text ? text : "Rescue by Lifeboat", 1);
	free(text);
	if (r)
		return r;
	r = lb_imgw_finish(s->ctx, s->w, &s->meta);
	s->w = NULL;            /* freed by finish either way */
	if (r)
		st_msg(s, r, "finish the image");
	return r;
}

void lb_rs_img_close(struct rs *s)
{
	struct sha256_ctx sha;

	lb_rs_hash_stop(s, &sha);       /* before the pipe: it reads s->w */
	if (s->pipe)            /* the writer thread is done with s->w */
		lb_pipe_finish(s->pipe, NULL, 0);
	s->pipe = NULL;
	for (int i = 0; s->ckv && i < s->pool.njobs; i++)
		free(s->ckv[i].text);   /* dropped after an error */
	free(s->ckv);
	s->ckv = NULL;
	lb_xpool_free(&s->pool);
	if (s->wmu_ok)
		pthread_mutex_destroy(&s->wmu);
	s->wmu_ok = 0;
	for (int i = 0; i < RS_SLOTS; i++) {
		free(s->slot[i].buf);
		free(s->slot[i].undo);
	}
	if (s->w)
		lb_imgw_abort(s->w);    /* keeps IMAGE.part once checkpointed */
	s->w = NULL;
	if (s->codec_ok)
		lb_codec_free(&s->codec);
	free(s->pk);
}
