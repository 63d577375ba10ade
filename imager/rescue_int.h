/*
 * rescue_int.h — private state shared by the rescue modules: the state
 * machine (rescue.c), source reads and checkpoints (rescue_io.c), and the
 * image it writes into (rescue_store.c, with its compression workers,
 * threads.h).  Not public.
 */
#ifndef LB_RESCUE_INT_H
#define LB_RESCUE_INT_H

#include <pthread.h>
#include <nettle/sha2.h>

#include "dev.h"
#include "extmap.h"
#include "image.h"
#include "pipeline.h"
#include "qcow2_codec.h"
#include "progress.h"
#include "rescue.h"
#include "threads.h"

#define RS_CHUNK        (64u << 10)     /* bytes per copy read (ddrescue's
					 * default cluster: 128 sectors) */
#define RS_SKIP0        (64u << 10)     /* first skip after an error */
#define RS_BATCH        (1u << 20)      /* bytes the reader thread reads in
					 * one go (copy: RS_CHUNK reads) */
#define RS_PIECES       (RS_CHUNK / 512)        /* sector reads per batch */
#define RS_JOB          (RS_BATCH / 512)        /* reads in one job, at most */
#define RS_QUEUE        2               /* jobs the reader thread holds */

#define RS_SLOTS        128             /* buffers for clusters still being
					 * filled (rescue_store.c), allocated
					 * as needed */
#define RS_UNDO         64              /* statuses remembered per buffer */

/* What the map said of bytes put in a buffer and not yet handed over:
 * a checkpoint that leaves the buffer alone stores the map with these
 * bytes as they were (rescue_store.c). */
struct rs_undo {
	uint64_t pos, len;      /* bytes of the source */
	char st;
};

/* One guest cluster being filled (rescue_store.c). */
struct rs_slot {
	uint64_t idx;           /* guest cluster, UINT64_MAX: none */
	uint8_t *buf;           /* cs bytes, NULL: not allocated yet */
	int dirty;              /* changed since handed to the workers */
	uint64_t age;
	struct rs_undo *undo;   /* RS_UNDO entries, with buf */
	int nundo;
};

/* A checkpoint handed to the writer thread: the map (ddrescue mapfile
 * text) and metadata as they were when it was handed over. */
struct rs_ckpt {
	char *text;             /* NULL: no checkpoint, but the hasher's */
	size_t len;
	struct lb_meta meta;
	uint64_t limit, rewind; /* ... new limit (rescue_hash.c) */
};

/* The compression workers' argument: xargs first (lb_encode_work and
 * lb_xcodec_new take it as struct lb_xargs). */
struct rs_pipe_arg {
	struct lb_xargs xa;
	struct rs *s;
};

/* What one read of the source gave. */
enum rs_read { RS_OK = 0, RS_BAD = 1 };

struct rs {
	struct lb_ctx *ctx;
	const struct lb_rescue_opts *o;
	struct lb_dev *src;
	int direct;             /* O_DIRECT is on for src->fd */
	uint32_t sec;           /* logical sector, bytes */
	struct lb_imgw *w;      /* IMAGE.part (rescue_store.c) */
	struct lb_meta meta;
	struct lb_codec codec;
	int codec_ok;
	int img_failed;         /* a write to the image failed: no more
				 * checkpoints (one could point at data that
				 * never reached the disk) */
	uint8_t *pk;            /* 2 clusters: stored bytes read back */
	uint64_t cs;            /* cluster size, bytes */
	struct rs_slot slot[RS_SLOTS];
	uint64_t clock;
	/* compression off the reading thread: workers compress and hash the
	 * clusters handed to them, the pipe's writer thread stores them in
	 * order (lb_imgw_put, under wmu); see rescue_store.c */
	struct lb_xpool pool;
	struct lb_pipe *pipe;
	struct rs_pipe_arg pa;
	pthread_mutex_t wmu;    /* s->w between the writer thread and us */
	int wmu_ok;
	struct rs_ckpt *ckv;    /* by job index: checkpoints on their way
				 * to the writer thread (rescue_store.c) */
	struct {                /* the copy batch queued ahead */
		int on, ticket, n, slow;
		uint64_t pos;
		uint8_t *buf;
		int64_t res[RS_BATCH / RS_CHUNK];
		unsigned char sl[RS_BATCH / RS_CHUNK];
	} ahead;
	struct lb_rs_hasher *hasher;     /* rescue_hash.c */
	uint64_t hash_pub;      /* clusters published as final to it */
	uint64_t hash_inval;    /* lowest of them changed since, or
				 * UINT64_MAX */
	double last_full;       /* when a checkpoint last stored every
				 * buffer (CLOCK_MONOTONIC s) */
	uint64_t recent[64];    /* the clusters handed over last (ring) */
	unsigned nrecent;
	int trust_map;          /* bytes the map does not call finished are
				 * zeros in the image (not so after
				 * --resume --import-map) */
	char part_path[4200];   /* IMAGE.part */
	char map_path[4200];    /* IMAGE.rescue-map: a copy of the map after
				 * each checkpoint, for ddrescueview */
	struct lb_rmap map;
	uint8_t *buf;           /* RS_QUEUE * RS_BATCH bytes, 4096-aligned */
	struct lb_rescue_stats *st, own_st;
	struct lb_extmap used;  /* data first: bytes the filesystems use */
	int have_used;
	struct lb_prog prog;
	double last_ckpt, last_prog;
	uint64_t map_changes;   /* lb_rs_mark calls so far */
	uint64_t ckpt_changes;  /* ... when the last checkpoint was made */
	unsigned slow_ms, ckpt_ms;
	uint64_t skip_max;      /* bytes: the largest skip in copy passes */
	int last_slow;          /* the last good read was slower than slow_ms */
	struct lb_rs_reader *reader;    /* rescue_reader.c */
	unsigned read_timeout_ms;
	int reader_stuck;       /* a read never came back: leak, don't free */
	int fresh;              /* a new map: a new IMAGE.part */
};

/* rescue_reader.c: one thread that does the source reads, so that a read
 * can be given a deadline.  pread returns -ETIMEDOUT when TIMEOUT_MS
 * passed without an answer; stop returns 1 when the thread is stuck in
 * such a read (it then keeps the device and buffer: do not free them). */
struct lb_rs_reader;
int lb_rs_reader_start(struct lb_rs_reader **out, struct lb_dev *src);
int64_t lb_rs_reader_pread(struct lb_rs_reader *r, void *buf, size_t len,
			   uint64_t pos, unsigned timeout_ms);
int lb_rs_reader_stop(struct lb_rs_reader *r);
/* PIECES reads of LEN bytes each, forward from POS or (REV) backward
 * starting with the piece at POS, into BUF at their offsets from the
 * lowest piece; RES[i] is each read's result.  With STOP, ends after the
 * first read that is not whole.  Returns the reads done, or -ETIMEDOUT
 * when one read took longer than TIMEOUT_MS. */
int lb_rs_reader_batch(struct lb_rs_reader *r, void *buf, uint64_t pos,
		       size_t len, int pieces, int rev, int stop, int64_t *res,
		       unsigned timeout_ms);
/* The same, and with SLOW_MS (and STOP) a read slower than that also
 * ends the batch; SLOW (may be NULL) then tells which reads were. */
struct lb_rs_batch {
	void *buf;
	uint64_t pos;
	size_t len;
	int pieces, rev, stop;
	unsigned slow_ms;       /* 0: none */
	int64_t *res;
	unsigned char *slow;
	uint64_t *at;           /* -ETIMEDOUT: where the read that hung
				 * began (may be NULL) */
	int trim;               /* a trim of the PIECES pieces from POS:
				 * forward until one fails, then backward
				 * from the last until one fails; res: the
				 * forward reads, then the backward ones */
	int nfwd;               /* out (trim): forward reads */
	int cond;               /* read only when the job before ran to its
				 * end with every read whole and not slow
				 * (else 0 reads are done) */
	volatile int *cancel;   /* set: the job ends before its next read */
};
int lb_rs_reader_run(struct lb_rs_reader *r, const struct lb_rs_batch *b,
		     unsigned timeout_ms);
/* The same in two steps, so that the thread reads the next job while the
 * caller applies this one: submit returns a ticket (-EBUSY with
 * RS_QUEUE jobs given and not waited for); wait returns the reads done
 * and copies the results into B (res, slow, nfwd, at), or -ETIMEDOUT.
 * Jobs are read in the order given; wait for them in that order. */
int lb_rs_reader_submit(struct lb_rs_reader *r, const struct lb_rs_batch *b);
int lb_rs_reader_wait(struct lb_rs_reader *r, int ticket, struct lb_rs_batch *b,
		      unsigned timeout_ms);

/* One job of sector reads for lb_rs_read_jobs: TRIM the block [LO, HI)
 * (as rescue.c's trim_block does), or read each sector of it once,
 * marking failed ones FAIL_ST (backward with REV).  SLOW does the same
 * one read at a time (a job the reader cannot take whole; ONCE: the
 * sector reads), returning 0 or a negative errno. */
struct lb_rs_job {
	uint64_t lo, hi;
	int trim, rev;
	char fail_st;
	int (*slow)(struct rs *s, uint64_t lo, uint64_t hi, int once);
};
/* Runs the jobs NEXT gives (1: one more in *J, 0: no more, or a negative
 * errno) with up to RS_QUEUE of them in the reader's queue, applying each
 * in order: the reader reads the next while this thread applies one.
 * Returns 0 or a negative errno (-ECANCELED, -ENODEV...). */
int lb_rs_read_jobs(struct rs *s, int (*next)(struct rs *, void *,
					      struct lb_rs_job *), void *it);

/* Copy passes: up to N reads of RS_CHUNK bytes, forward from POS (or
 * backward, REV: the N chunks below POS), in one batch that ends after
 * the first failed read or (SLOW) slow one.  Stores good chunks, marks
 * failed ones non-trimmed.  *DONE: chunks read; s->last_slow: the last
 * was slow.  Returns RS_BAD when the last failed, RS_OK, or a negative
 * errno.  Forward with LIM: the next batch, up to LIM, is queued behind
 * this one, to be read only if this one ends without trouble (the call
 * that asks for it then finds it read), so the reader does not wait for
 * this thread between batches. */
int lb_rs_read_chunks(struct rs *s, uint64_t pos, int n, int rev, int slow,
		      int *done, uint64_t lim);

/* Reads the sectors of [LO, HI) one by one, a batch of at most RS_CHUNK
 * bytes from LO forward (or from HI backward, REV), storing good ones and
 * marking failed ones FAIL_ST; with STOP ends at the first failure.  Sets
 * *EDGE to where it got (forward: the end of the last sector read;
 * backward: its start).  Returns 1 when it stopped at a failure, 0, or a
 * negative errno (device gone, cancelled, cannot write). */
int lb_rs_read_run(struct rs *s, uint64_t lo, uint64_t hi, int rev, int stop,
		   char fail_st, uint64_t *edge);

double lb_rs_now(void);

/* rescue_plan.c: the used-block map for data first into s->used, waited
 * for at most s->read_timeout_ms.  Returns 1 when there is one, else 0
 * with the reason in WHY. */
int lb_rs_plan(struct rs *s, char *why, size_t whysz);

/* Opens the source read-only, switches reads to O_DIRECT (or logs why
 * not). */
int lb_rs_open_source(struct rs *s);

/* Data first: plans the used blocks into s->used (s->have_used), when
 * the map calls the first FIRST bytes finished; else, and when there is
 * no plan, logs why.  The planning reads go through the page cache on a
 * handle of their own (rescue_plan.c): reading (and trimming) the first
 * chunk as rescue reads first keeps a damaged first page from costing
 * reads of a bad area more than the copy itself (rescue.c). */
void lb_rs_plan_used(struct rs *s, uint64_t first);

/* rescue_same.c (--resume, F6): refuses (-LB_EREFUSED) when the source is
 * not the one IMAGE (a rescue image or IMAGE.part) holds, by the model and
 * serial recorded and by areas MAP calls finished read again and compared
 * with the image's bytes.  source_identity: the source's model and serial
 * (a loop device: its backing file as the model) into M. */
int lb_rs_same_source(struct rs *s, const char *image,
		      const struct lb_rmap *map);
void lb_rs_source_identity(struct rs *s, struct lb_meta *m);

/* Reads [POS, POS+LEN) of the source into s->buf (LEN <= RS_CHUNK).
 * Returns RS_OK, RS_BAD (a media error: the range holds a bad sector), or
 * a negative errno for a source that is gone (-ENODEV) or cancelled. */
int lb_rs_read(struct rs *s, uint64_t pos, size_t len);

/* Stores the bytes just read at POS in the image and marks them
 * finished in the map. */
int lb_rs_store(struct rs *s, uint64_t pos, size_t len);

/* Marks [POS, POS+LEN) with status ST (and tells the UI). */
int lb_rs_mark(struct rs *s, uint64_t pos, uint64_t len, char st);

/* Checkpoints the image and its map when CKPT_MS have passed
 * (or FORCE); reports progress.  Returns 0 or a negative errno
 * (-ECANCELED when the person asked to stop). */
int lb_rs_tick(struct rs *s, int force);

/* Refreshes s->st from the map. */
void lb_rs_stats(struct rs *s);

/* rescue_store.c: the image.  open: a new IMAGE.part (REOPEN 0, with a
 * first checkpoint) or the checkpoint left in it (REOPEN 1).  put: stores
 * LEN rescued bytes at POS (bytes of the source).  checkpoint: makes the
 * image on disk hold everything put so far and the map, with COMMENT.
 * finish: hashes the disk, asks COMMENT for the map's comment (given the
 * path of a raw copy of the disk, or NULL), finishes and renames the
 * image.  close: frees; IMAGE.part stays once checkpointed.
 * checkpoint without WAIT returns once the checkpoint is on its way: the
 * writer thread makes it after the clusters handed over before it, while
 * the reads go on; its error, if any, comes back from a later call.  wait:
 * returns once everything handed over is in the image (0 or the error). */
int lb_rs_img_open(struct rs *s, int reopen);
int lb_rs_img_put(struct rs *s, const uint8_t *data, uint64_t pos, size_t len);
/* Hands the clusters of [POS, POS+LEN) whose every byte the map now
 * calls finished or bad to the compression workers (only a successful
 * retry changes them again). */
int lb_rs_img_settle(struct rs *s, uint64_t pos, uint64_t len);
int lb_rs_img_checkpoint(struct rs *s, const char *comment, int wait);
int lb_rs_img_wait(struct rs *s);
int lb_rs_img_finish(struct rs *s, char *(*comment)(struct rs *, const char *));
void lb_rs_img_close(struct rs *s);

/* rescue_store.c: lowers the calling thread's priority (nice RS_NICE):
 * compression, storing and hashing yield to the reads. */
#define RS_NICE 10
void lb_rs_background(void);

/* rescue_store.c: publishes to the hasher, through the pipe, how many
 * leading clusters the map has nothing left to read in. */
int lb_rs_img_publish(struct rs *s);

/* rescue_hash.c: the hasher thread (see there).  start: with the image's
 * compression C.  limit (writer thread): the first CLUSTERS clusters are
 * final in the image, and those from REWIND on (UINT64_MAX: none) changed
 * since they were published.  stop: ends the thread; *SHA is the hash of the
 * clusters before the returned index, which are final (0 and a fresh
 * hash when there is no hasher). */
struct lb_rs_hasher;
int lb_rs_hash_start(struct rs *s, enum lb_compress c);
void lb_rs_hash_limit(struct rs *s, uint64_t clusters, uint64_t rewind);
uint64_t lb_rs_hash_stop(struct rs *s, struct sha256_ctx *sha);

/* rescue.c: runs the phases (the state machine) on an open rescue. */
int lb_rs_run_steps(struct rs *s);

#endif
