/*
 * rescue_hash.c — the SHA-256 of the rescued disk, computed while the
 * rescue still reads.
 *
 * The image's SHA-256 covers the whole disk in order, as the image holds
 * it at the end; clusters are written out of order and a cluster keeps
 * changing while the map still has something to read in it ('?', '*' or
 * '/').  The reading thread publishes, through the compression pipe (a
 * job with no cluster, rescue_store.c), how many leading clusters have
 * nothing left to read but bad ('-') and non-scraped ('/') sectors, which
 * stay the zeros they are now as a rule; when the pipe's writer thread
 * reaches that job, everything before it is in the image, and it raises
 * the hasher's limit.
 * The hasher thread reads those clusters back from the image (under
 * s->wmu, as the writer thread writes) and hashes them, one after the
 * other, while the rescue goes on.  Only a scrape or retry read that
 * succeeds after all changes a cluster below the limit: the reading thread
 * notes the lowest such cluster (s->hash_inval), hands the cluster to the
 * image again and publishes the rewind with the next limit; the hasher
 * then starts again from its last saved state at or before that cluster
 * (one every RS_SNAP clusters).  At the end (rescue_store.c, hash_disk)
 * the rest is read back with the workers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rescue_int.h"

#define RS_SNAP 16      /* clusters between saved hash states */

struct lb_rs_hasher {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rs *s;
	uint64_t limit;         /* clusters final in the image (writer) */
	uint64_t next;          /* clusters hashed (hasher) */
	uint64_t gen;           /* rewinds so far */
	uint64_t n;             /* clusters of the disk */
	int quit;
	struct sha256_ctx sha;
	struct sha256_ctx *snap;        /* before cluster k * RS_SNAP */
	struct lb_codec codec;
	uint8_t *buf, *pk;
};

/* Reads cluster C back from the image; *D: its LEN bytes (0 or a
 * negative errno). */
static int read_one(struct lb_rs_hasher *h, uint64_t c, const uint8_t **d,
		    size_t *len)
{
	struct rs *s = h->s;
	struct lb_ctx tmp = { 0 };
	struct lb_cluster_map m;
	uint64_t cs = s->cs, off = c * cs;
	int r;

	*len = (size_t)(s->map.size - off < cs ? s->map.size - off : cs);
	*d = h->buf;
	pthread_mutex_lock(&s->wmu);
	r = lb_imgw_get(&tmp, s->w, c, &m, h->pk, 2 * cs);
	pthread_mutex_unlock(&s->wmu);
	if (r)
		return r;
	if (m.kind == LB_CL_ZERO)
		memset(h->buf, 0, cs);
	else if (m.kind == LB_CL_RAW)
		*d = h->pk;
	else if (lb_codec_decompress(&h->codec, h->pk, m.len, h->buf, cs))
		return -EBADMSG;
	return 0;
}

/* Hashes cluster after cluster up to the limit.  The hash state is
 * copied out and back under the lock, so that a rewind (lb_rs_hash_limit)
 * while a cluster is being read simply drops that cluster. */
static void *hasher_main(void *arg)
{
	struct lb_rs_hasher *h = arg;

	lb_rs_background();
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!h->quit && h->next >= h->limit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->quit)
			break;
		uint64_t c = h->next, gen = h->gen;
		struct sha256_ctx before = h->sha, after = h->sha;
		const uint8_t *d;
		size_t len;
		pthread_mutex_unlock(&h->mu);
		int r = read_one(h, c, &d, &len);
		if (!r)
			sha256_update(&after, len, d);
		pthread_mutex_lock(&h->mu);
		if (r)          /* the end reads it back again and says why */
			break;
		if (gen != h->gen)
			continue;       /* rewound meanwhile */
		if (c % RS_SNAP == 0)
			h->snap[c / RS_SNAP] = before;
		h->sha = after;
		h->next = c + 1;
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void hasher_free(struct lb_rs_hasher *h)
{
	lb_codec_free(&h->codec);
	free(h->snap);
	free(h->buf);
	free(h->pk);
	free(h);
}

int lb_rs_hash_start(struct rs *s, enum lb_compress c)
{
	struct lb_rs_hasher *h = calloc(1, sizeof *h);

	if (!h)
		return -ENOMEM;
	h->s = s;
	h->n = (s->map.size + s->cs - 1) / s->cs;
	sha256_init(&h->sha);
	h->snap = malloc((h->n / RS_SNAP + 1) * sizeof *h->snap);
	h->buf = malloc(s->cs);
	h->pk = malloc(2 * s->cs);
	if (!h->snap || !h->buf || !h->pk || lb_codec_init(&h->codec, c, 0)) {
		free(h->snap); free(h->buf); free(h->pk); free(h);
		return -ENOMEM;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->th, NULL, hasher_main, h)) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		hasher_free(h);
		return -EAGAIN;
	}
	s->hasher = h;
	return 0;
}

void lb_rs_hash_limit(struct rs *s, uint64_t clusters, uint64_t rewind)
{
	struct lb_rs_hasher *h = s->hasher;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	if (rewind < h->next) { /* hashed before it changed: again */
		h->sha = h->snap[rewind / RS_SNAP];
		h->next = rewind / RS_SNAP * RS_SNAP;
		h->gen++;
	}
	if (clusters > h->limit) {
		h->limit = clusters < h->n ? clusters : h->n;
		pthread_cond_signal(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
}

uint64_t lb_rs_hash_stop(struct rs *s, struct sha256_ctx *sha)
{
	struct lb_rs_hasher *h = s->hasher;
	uint64_t next = 0, k;

	sha256_init(sha);
	if (!h)
		return 0;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->th, NULL);
	next = h->next;
	*sha = h->sha;
	if (s->hash_inval < next) {     /* changed after it was hashed */
		k = s->hash_inval / RS_SNAP;
		next = k * RS_SNAP;
		*sha = h->snap[k];
	}
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	hasher_free(h);
	s->hasher = NULL;
	return next;
}
