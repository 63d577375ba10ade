/*
 * copy_pipe.h — a reader thread and a bounded ring of aligned buffers, so
 * that reading the source overlaps with whatever the caller does with the
 * data (clone: write it to the target).  Private to the engine.
 *
 * The reader fills COPY_SLOTS buffers of COPY_CHUNK bytes in order; the
 * caller takes them in order with copy_pipe_next() and gives each back
 * with copy_pipe_release().  Memory is COPY_SLOTS * COPY_CHUNK bytes
 * whatever the disk size.  A read error stops the reader; the failing
 * slot carries the negative errno and the byte offset.
 */
#ifndef LB_COPY_PIPE_H
#define LB_COPY_PIPE_H

#include <pthread.h>
#include <stdint.h>
#include "dev.h"

#define COPY_CHUNK (4u << 20)   /* bytes per buffer */
#define COPY_SLOTS 6

struct copy_slot {
	uint8_t *buf;
	uint64_t off;           /* bytes from the start of the source span */
	size_t len;
	int err;                /* negative errno of the read, or 0 */
};

struct copy_pipe {
	struct lb_dev *src;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct copy_slot slot[COPY_SLOTS];
	unsigned filled, head; /* slots ready; index of the next to take */
	int eof, stop, started;
};

/* Allocates the buffers and starts the reader.  Returns 0 or -errno. */
int copy_pipe_start(struct copy_pipe *p, struct lb_dev *src);
/* Waits for the next slot in order; NULL at the end of the source. */
struct copy_slot *copy_pipe_next(struct copy_pipe *p);
/* Gives back the slot copy_pipe_next() returned last. */
void copy_pipe_release(struct copy_pipe *p);
/* Stops the reader (early or at the end) and frees everything. */
void copy_pipe_stop(struct copy_pipe *p);

#endif
