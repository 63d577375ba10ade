/*
 * copy_pipe.c — the reader thread behind copy_pipe.h.
 *
 * One producer (the reader) and one consumer (the caller) share a ring of
 * COPY_SLOTS buffers under one mutex and one condition variable.  The
 * reader waits while every slot is full, the consumer while none is; both
 * wake on any change.  The reader stops after a failed read (it has put
 * the error into the slot) or when the consumer sets stop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "copy_pipe.h"

static void *reader(void *arg)
{
	struct copy_pipe *p = arg;
	uint64_t off = 0, size = p->src->size;

	pthread_mutex_lock(&p->mu);
	while (off < size && !p->stop) {
		struct copy_slot *s;
		int64_t n;

		while (p->filled == COPY_SLOTS && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		s = &p->slot[(p->head + p->filled) % COPY_SLOTS];
		pthread_mutex_unlock(&p->mu);
		s->off = off;
		s->len = size - off < COPY_CHUNK ? (size_t)(size - off) : COPY_CHUNK;
		n = lb_dev_pread(p->src, s->buf, s->len, off);
		s->err = n < 0 ? (int)n : (n < (int64_t)s->len ? -EIO : 0);
		pthread_mutex_lock(&p->mu);
		p->filled++;
		pthread_cond_broadcast(&p->cv);
		if (s->err)
			break;
		off += s->len;
	}
	p->eof = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int copy_pipe_start(struct copy_pipe *p, struct lb_dev *src)
{
	memset(p, 0, sizeof *p);
	p->src = src;
	for (int i = 0; i < COPY_SLOTS; i++)
		if (posix_memalign((void **)&p->slot[i].buf, 4096, COPY_CHUNK)) {
			copy_pipe_stop(p);
			return -ENOMEM;
		}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thread, NULL, reader, p) != 0) {
		copy_pipe_stop(p);
		return -EAGAIN;
	}
	p->started = 1;
	return 0;
}

struct copy_slot *copy_pipe_next(struct copy_pipe *p)
{
	struct copy_slot *s = NULL;

	pthread_mutex_lock(&p->mu);
	while (p->filled == 0 && !p->eof)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->filled)
		s = &p->slot[p->head];
	pthread_mutex_unlock(&p->mu);
	return s;
}

void copy_pipe_release(struct copy_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->head = (p->head + 1) % COPY_SLOTS;
	p->filled--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void copy_pipe_stop(struct copy_pipe *p)
{
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		p->started = 0;
	}
	for (int i = 0; i < COPY_SLOTS; i++) {
		free(p->slot[i].buf);
		p->slot[i].buf = NULL;
	}
}
