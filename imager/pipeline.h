/*
 * pipeline.h — the cluster jobs that the backup, restore and verify jobs
 * push through the ordered thread pipeline (threads.h).
 *
 * A job is a batch of consecutive guest clusters (about 1 MiB of disk).
 * Encoding (backup): the producer reads the source into job->raw, workers
 * decide per cluster zero / compressed / uncompressed and compute XXH3, the
 * writer thread hands the results to lb_imgw_put in order.  Decoding
 * (restore, verify): the producer maps the clusters and reads their stored
 * bytes, workers decompress and check each cluster's XXH3, and a sink
 * callback receives the batch in order in the writer thread.
 */
#ifndef LB_PIPELINE_H
#define LB_PIPELINE_H

#include <stdint.h>
#include "image.h"
#include "progress.h"
#include "qcow2_codec.h"

#define LB_CL_UNKNOWN 0xff     /* encode: for the workers to decide */

struct lb_xjob {
	uint64_t first;         /* first guest cluster */
	uint32_t n;             /* clusters in the batch */
	uint8_t *raw;           /* n * cs uncompressed bytes */
	uint8_t *pk;            /* stored bytes (compressed output / input) */
	size_t pk_cap;
	uint32_t *len;          /* per cluster: bytes in pk (encode) */
	uint64_t *pk_off;       /* per cluster: offset in pk (decode) */
	uint8_t *kind;          /* enum lb_cluster_kind; encode: the producer
				 * sets LB_CL_ZERO for clusters it knows are
				 * zeros (raw not filled), else LB_CL_UNKNOWN */
	uint64_t *xxh;
	struct lb_cluster_map *map;     /* decode */
};

/* Pool of jobs sized for THREADS workers and cluster size CS: the batch
 * holds max(1 MiB, cs) of disk; the pool stays under about 48 MiB. */
struct lb_xpool {
	int njobs, workers;
	uint32_t per_job;       /* clusters per job */
	uint64_t cs;
	struct lb_xjob *jobs;
	void **ptrs;
};

int lb_xpool_init(struct lb_xpool *p, int threads, uint64_t cs);
void lb_xpool_free(struct lb_xpool *p);

/* Worker functions (lb_work_fn) and per-worker codec state. */
struct lb_xargs {
	uint64_t cs;
	enum lb_compress compress;
	int level;
	const char *image;      /* for messages */
};
void *lb_xcodec_new(void *xargs);
void lb_xcodec_free(void *codec);
int lb_encode_work(void *job, void *codec, void *xargs, char *msg);
int lb_decode_work(void *job, void *codec, void *xargs, char *msg);

/* Decodes every cluster of R in order with THREADS workers, calling SINK
 * in the writer thread with each finished batch (kind[i] is LB_CL_ZERO for
 * clusters that read as zeros, whose raw bytes are not filled in).  Reports
 * progress in PHASE, with *WRITTEN (bytes the sink wrote so far, updated
 * atomically by the sink; NULL: 0) as lb_progress.written.  Returns 0 or
 * the first negative errno. */
typedef int (*lb_sink_fn)(struct lb_xjob *job, void *arg, char *msg);
int lb_decode_image(struct lb_ctx *ctx, struct lb_imgr *r, int threads,
		    enum lb_phase phase, lb_sink_fn sink, void *arg,
		    const uint64_t *written);

#endif
