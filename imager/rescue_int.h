/*
 * rescue_int.h — private state shared by the rescue modules: the state
 * machine (rescue.c), source reads and checkpoints (rescue_io.c), and the
 * image it writes into (rescue_store.c).  Not public.
 */
#ifndef LB_RESCUE_INT_H
#define LB_RESCUE_INT_H

#include "dev.h"
#include "extmap.h"
#include "image.h"
#include "qcow2_codec.h"
#include "progress.h"
#include "rescue.h"

#define RS_CHUNK        (64u << 10)     /* bytes per copy read (ddrescue's
					 * default cluster: 128 sectors) */
#define RS_SKIP0        (64u << 10)     /* first skip after an error */

#define RS_SLOTS        8               /* cluster buffers (rescue_store.c) */

/* One guest cluster being filled (rescue_store.c). */
struct rs_slot {
	uint64_t idx;           /* guest cluster */
	uint8_t *buf;           /* cluster bytes, NULL: unused */
	int dirty;              /* changed since stored */
	uint64_t age;
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
	uint8_t *pk;            /* 2 clusters: compressed data */
	uint64_t cs;            /* cluster size, bytes */
	struct rs_slot slot[RS_SLOTS];
	uint64_t clock;
	char part_path[4200];   /* IMAGE.part */
	char map_path[4200];    /* IMAGE.rescue-map: a copy of the map after
				 * each checkpoint, for ddrescueview */
	struct lb_rmap map;
	uint8_t *buf;           /* RS_CHUNK bytes, 4096-aligned */
	struct lb_rescue_stats *st, own_st;
	struct lb_extmap used;  /* data first: bytes the filesystems use */
	int have_used;
	struct lb_prog prog;
	double last_ckpt, last_prog;
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

/* Opens the source read-only, plans the used blocks for data first,
 * switches reads to O_DIRECT (or logs why not). */
int lb_rs_open_source(struct rs *s);

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
 * image.  close: frees; IMAGE.part stays once checkpointed. */
int lb_rs_img_open(struct rs *s, int reopen);
int lb_rs_img_put(struct rs *s, const uint8_t *data, uint64_t pos, size_t len);
int lb_rs_img_checkpoint(struct rs *s, const char *comment);
int lb_rs_img_finish(struct rs *s, char *(*comment)(struct rs *, const char *));
void lb_rs_img_close(struct rs *s);

/* rescue.c: runs the phases (the state machine) on an open rescue. */
int lb_rs_run_steps(struct rs *s);

#endif
