/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crypt-mt: dm-crypt's tables and on-disk format, with per-CPU transforms,
 * global per-CPU workers and the crypto of one large bio spread over idle
 * CPUs.
 *
 * Where things live:
 *   dm-crypt-mt.c  table parsing, keys, target ops (ctr/dtr/map/status/message)
 *   io.c           one bio: clone, reserves, submit, complete
 *   convert.c      the crypto of one bio: chunks, helpers on other CPUs
 *   workqueue.c    the global per-CPU workers, CPU load and CPU choice
 *   control.c      runtime controls (module parameters, per-mapping messages)
 *                  and the per-CPU counters in debugfs
 *   percpu.c       per-CPU transforms of a mapping (made for online CPUs)
 *   essiv.c, iv.c  IV generators
 */
#ifndef _DM_CRYPT_MT_H
#define _DM_CRYPT_MT_H

#include <linux/bio.h>
#include <linux/blk_types.h>
#include <linux/completion.h>
#include <linux/device-mapper.h>
#include <linux/llist.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <linux/wait.h>
#include <crypto/skcipher.h>

#define CMT_TARGET_NAME	"crypt-mt"
#define DM_MSG_PREFIX	CMT_TARGET_NAME

struct cmt_config;
struct cmt_sector;

/* ---- IV generators (essiv.c, iv.c) ---- */

struct cmt_iv_ops {
	const char *name;
	/* Called once the cipher transforms exist, before the key is set. */
	int (*ctr)(struct cmt_config *cc, struct dm_target *ti, const char *opts);
	void (*dtr)(struct cmt_config *cc);
	/* Derive IV keys from cc->key after every key change. */
	int (*init)(struct cmt_config *cc);
	int (*wipe)(struct cmt_config *cc);
	/* Before the cipher runs on one sector, and after it.  Any context. */
	int (*gen)(struct cmt_config *cc, u8 *iv, struct cmt_sector *s);
	int (*post)(struct cmt_config *cc, u8 *iv, struct cmt_sector *s);
	unsigned int flags;
};

/* The generator needs a per-CPU block cipher (struct cmt_tfms::ivc). */
#define CMT_IV_CIPHER	BIT(0)

const struct cmt_iv_ops *cmt_iv_lookup(const char *name);
extern const struct cmt_iv_ops cmt_iv_essiv_ops;

/* ---- per-CPU transforms (percpu.c) ---- */

/*
 * One set of transforms: the cipher of each key part and, for ESSIV/EBOIV,
 * the IV block cipher of each key part.  A set is made for every CPU that
 * is online while the mapping exists (CPU hotplug callback) and kept until
 * the mapping goes.  Sets are only a locality choice: a keyed transform is
 * read-only while I/O runs, so any CPU may use any set and a task that
 * migrates mid-bio stays correct.  All request state is per I/O, never per
 * CPU (the seed patch's per-CPU request broke when a work item slept).
 */
struct cmt_tfms {
	struct crypto_cipher **ivc;	/* [tfms_count] or NULL */
	struct crypto_skcipher *tfms[];	/* [tfms_count] */
};

/* The alloc_percpu part of a mapping: which set a CPU uses. */
struct cmt_cpu {
	struct cmt_tfms *set;		/* NULL until the CPU was online */
};

int cmt_tfms_init(struct cmt_config *cc, const char *cipher_api,
		  const char *ivc_name);
int cmt_tfms_online(struct cmt_config *cc);
void cmt_tfms_free(struct cmt_config *cc);
int cmt_tfms_setkey(struct cmt_config *cc);
int cmt_tfms_set_ivc_key(struct cmt_config *cc, unsigned int idx,
			 const u8 *key, unsigned int len);
int cmt_percpu_init(void);
void cmt_percpu_exit(void);

/* ---- the mapping ---- */

enum cmt_flags {
	CMT_SUSPENDED,
	CMT_KEY_VALID,
	/* stock dm-crypt's performance flags */
	CMT_SAME_CPU,
	CMT_HIGH_PRIORITY,
	CMT_NO_OFFLOAD,
	CMT_NO_READ_WQ,
	CMT_NO_WRITE_WQ,
	CMT_IV_LARGE_SECTORS,
};

/* Runtime controls: module parameters, each overridable per mapping. */
enum cmt_knob {
	CMT_INLINE_MAX,		/* bytes: bios up to this are converted in place */
	CMT_SPREAD_MAX,		/* CPUs one bio may use, 0: as many as chunks */
	CMT_SPREAD_MIN,		/* bytes: smaller bios are not spread */
	CMT_CHUNK_SIZE,		/* bytes converted by one CPU at a time */
	CMT_NR_KNOBS
};

#define CMT_KNOB_UNSET	UINT_MAX

/*
 * A mapping's reserve of write bounce pages: full when nothing is in
 * flight, taken from and refilled a bio at a time (io.c).
 */
struct cmt_page_reserve {
	spinlock_t lock;		/* taken in any context: irqsave */
	unsigned int nr;		/* pages in page[] */
	wait_queue_head_t wait;		/* for pages to come back */
	struct page *page[BIO_MAX_VECS];
};

/* A CPU list for the `cpus` control, replaced as a whole (RCU). */
struct cmt_cpus {
	struct rcu_head rcu;
	struct cpumask mask;		/* allocated to cpumask_size() */
};

struct cmt_config {
	struct dm_dev *dev;
	sector_t start;			/* on the underlying device */
	u64 iv_offset;

	char *cipher_string;		/* as given in the table */
	char *key_string;		/* "<type>:<desc>" for keyring keys */

	const struct cmt_iv_ops *iv_ops;
	void *iv_private;
	unsigned int iv_size;

	/* transforms: per CPU, made for online CPUs (percpu.c) */
	struct cmt_cpu __percpu *cpu;
	struct cmt_tfms *any_set;	/* the first set made */
	struct hlist_node cpuhp_node;
	bool cpuhp_added;
	struct mutex tfms_lock;		/* set creation vs. key changes */
	/*
	 * Key messages, the key in the table line, resume: dm serialises
	 * none of them with the others.
	 */
	struct mutex key_lock;
	char driver[CRYPTO_MAX_ALG_NAME];	/* every set uses these drivers */
	char ivc_driver[CRYPTO_MAX_ALG_NAME];
	u8 *ivc_keys;			/* IV cipher keys, kept for new sets */
	unsigned int ivc_key_len;
	unsigned int tfms_count;

	unsigned int sector_size;
	unsigned int sector_shift;	/* log2(sector_size) - SECTOR_SHIFT */
	bool whole_segments;		/* no IV, one key: a request per segment */

	/* Layout of the per-bio data: struct cmt_io, request, IVs */
	unsigned int per_bio_data_size;
	unsigned int conv_req_offset;	/* of the request, from a cmt_conv */
	unsigned int conv_iv_offset;	/* of the IVs, from a cmt_conv */
	unsigned int iv_align;		/* the transform's alignmask + 1 */

	struct cmt_page_reserve bounce;	/* write bounce pages (io.c) */
	struct bio_set write_bs;	/* write clones */
	struct bio_set read_bs;		/* read clones */
	struct mutex alloc_lock;	/* serialises blocking page allocation */
	atomic_t pages_out;		/* bounce pages in flight */
	wait_queue_head_t pages_wait;	/* for pages_out to drop below the cap */

	mempool_t helper_pool;		/* chunk state for helpers on other CPUs */
	atomic_t helpers_out;		/* helper states not yet returned */
	bool is_client;			/* counted in the bounce-page cap */

	/* per-mapping controls; CMT_KNOB_UNSET: the module parameter */
	unsigned int knobs[CMT_NR_KNOBS];
	struct cmt_cpus __rcu *cpus;	/* NULL: the module parameter */

	unsigned long flags;

	unsigned int key_size;
	unsigned int key_parts;		/* subkeys, cipher's + IV generator's */
	unsigned int key_extra_size;	/* bytes of key used by the IV generator */
	u8 key[];
};

static inline unsigned int cmt_subkey_size(struct cmt_config *cc)
{
	return (cc->key_size - cc->key_extra_size) >> ilog2(cc->tfms_count);
}

/*
 * The set of the CPU we run on, or any set if that CPU has none (it came
 * online while the set could not be made).  See struct cmt_tfms for why a
 * stale answer after a migration is fine.
 */
static inline struct cmt_tfms *cmt_tfms_near(struct cmt_config *cc)
{
	struct cmt_tfms *set;

	set = READ_ONCE(per_cpu_ptr(cc->cpu, raw_smp_processor_id())->set);
	return set ?: cc->any_set;
}

static inline struct crypto_skcipher *cmt_any_tfm(struct cmt_config *cc)
{
	return cc->any_set->tfms[0];
}

/* a plain decimal number of a table line or message (dm-crypt-mt.c) */
int cmt_parse_uint(const char *arg, unsigned int *v);

/* ---- jobs for the per-CPU workers (workqueue.c) ---- */

/*
 * A job is run by the worker of one CPU.  Workers only convert: a job never
 * waits for memory, for a bio or for another job, and never submits a bio,
 * so every job finishes however the workers are shared between mappings.
 */
struct cmt_job {
	struct llist_node node;
	void (*fn)(struct cmt_job *job);
};

int cmt_wq_init(void);
void cmt_wq_exit(void);
void cmt_queue_job(struct cmt_job *job, void (*fn)(struct cmt_job *job),
		   unsigned int cpu, bool high);
bool cmt_in_own_worker(void);

/* CPU load: participants converting on (or queued to) a CPU. */
void cmt_load_add(unsigned int cpu, int n);
int cmt_home_cpu(struct cmt_config *cc);
unsigned int cmt_pick_helpers(struct cmt_config *cc, unsigned int self,
			      unsigned int want, unsigned int *cpus);

/* ---- controls and counters (control.c) ---- */

unsigned int cmt_knob(struct cmt_config *cc, enum cmt_knob k);
const struct cpumask *cmt_allowed_cpus(struct cmt_config *cc);
bool cmt_cpu_allowed(struct cmt_config *cc, unsigned int cpu);
void cmt_control_init_mapping(struct cmt_config *cc);
int cmt_control_message(struct cmt_config *cc, unsigned int argc, char **argv,
			char *result, unsigned int maxlen);
void cmt_control_free(struct cmt_config *cc);
int cmt_control_init(void);
void cmt_control_exit(void);

struct cmt_stats {
	u64 bios;	/* bios whose conversion started here */
	u64 inl;	/* ... in place, without a queue hop */
	u64 queued;	/* ... in this CPU's worker */
	u64 bytes;	/* bytes converted here, by anyone */
	u64 sent;	/* helper jobs sent from here to other CPUs */
	u64 helped;	/* chunks converted here for bios started elsewhere */
	u64 wasted;	/* helper jobs run here that found nothing left */
	u64 pieces;	/* read pieces beyond the first, sent down from here */
};
DECLARE_PER_CPU(struct cmt_stats, cmt_stats);
#define cmt_count(field, n)	this_cpu_add(cmt_stats.field, n)

/* ---- the crypto of one bio (convert.c) ---- */

/* What one IV generator call sees of a sector. */
struct cmt_sector {
	struct cmt_tfms *set;
	sector_t iv_sector;
	unsigned int key_index;
	bool write;
	struct scatterlist *sg_in;	/* one sector of input */
	struct scatterlist *sg_out;	/* one sector of output */
};

/* Where a participant runs, which says what it may do. */
enum cmt_ctx {
	CMT_ATOMIC,	/* may not sleep: async requests continue in a worker */
	CMT_WORKER,	/* our worker: may sleep, never waits */
	CMT_MAP,	/* the submitting task: may sleep and wait */
};

/*
 * One participant in the conversion of a bio: the task or job that started
 * it (state in the per-bio data) or a helper on another CPU (state in a
 * struct cmt_helper).  It takes chunks until none is left.  Followed in
 * memory by its skcipher request and its IVs.
 */
struct cmt_conv {
	struct cmt_io *io;
	struct bvec_iter iter_in;	/* what is left of the current chunk */
	struct bvec_iter iter_out;
	sector_t cc_sector;		/* 512-byte units, iv_offset included */
	struct skcipher_request *req;
	u8 *iv;				/* working IV, aligned for the tfm */
	u8 *org_iv;			/* IV as generated, for post() */
	struct scatterlist sg_in;
	struct scatterlist sg_out;
	struct cmt_sector s;
	enum cmt_ctx ctx;
	bool helper;
	unsigned int load_cpu;		/* where cmt_load_add() counted it */
	unsigned int chunk_len;		/* of the chunk held, 0: none */
	unsigned int step;		/* bytes of the request in flight */
	unsigned int chunks;		/* chunks converted */
	struct cmt_job job;		/* to run queued, or continue after async */
};

/*
 * A large read goes down in up to CMT_MAX_PIECES clones, each covering whole
 * chunks; a piece's chunks may be converted as soon as it is back, while
 * the later pieces are still being read (convert.c).  Writes and other
 * reads are one piece.
 */
#define CMT_MAX_PIECES	4

struct cmt_piece {
	struct cmt_io *io;		/* a read clone's bi_private */
	atomic_t next;			/* the piece's next chunk to take */
	unsigned int end;		/* one past its last chunk */
};

/* Per bio, in dm_per_bio_data(); followed by the starter's request and IVs. */
struct cmt_io {
	struct cmt_config *cc;
	struct bio *base_bio;
	struct bio *clone;		/* write: encrypted bounce bio */
	sector_t sector;		/* offset in the target */
	blk_status_t status;
	bool write;

	/* the data, cut into nr_chunks chunks (convert.c) */
	struct bio *bio_in;
	struct bio *bio_out;		/* == bio_in for reads (in place) */
	struct bvec_iter iter_in;
	struct bvec_iter iter_out;
	unsigned int chunk_bytes;	/* chunks 0 .. nr_big - 1 */
	unsigned int nr_big;
	unsigned int tail_bytes;	/* the rest, up to nr_chunks */
	unsigned int nr_chunks;
	unsigned int nr_pieces;
	unsigned long ready;		/* bit k: piece k's data is here */
	atomic_t pieces_left;		/* pieces not back yet */
	struct cmt_piece piece[CMT_MAX_PIECES];
	atomic_t pending;		/* participants and pieces not finished */
	atomic_t sent;			/* helpers sent so far */
	struct llist_head helpers;	/* sent to other CPUs */
	struct completion done;		/* writes: map waits for the last one */

	struct cmt_conv conv;		/* the starter; must be last */
};

unsigned int cmt_convert_prepare(struct cmt_io *io, bool spread);
void cmt_convert_set_pieces(struct cmt_io *io, unsigned int n);
void cmt_convert_piece_range(struct cmt_io *io, unsigned int k,
			     unsigned int *off, unsigned int *len);
bool cmt_convert_piece_done(struct cmt_piece *p, blk_status_t status);
void cmt_convert_bio(struct cmt_io *io, enum cmt_ctx ctx);
void cmt_convert_queued(struct cmt_io *io);
void cmt_convert_helpers_drained(struct cmt_config *cc);
unsigned int cmt_helper_size(struct cmt_config *cc);

/* ---- one bio (io.c) ---- */

int cmt_io_init_pages(struct cmt_config *cc);
void cmt_io_exit_pages(struct cmt_config *cc);
void cmt_io_map(struct cmt_config *cc, struct bio *bio, sector_t sector);
void cmt_io_converted(struct cmt_io *io);
unsigned int cmt_io_data_size(struct cmt_config *cc, unsigned int reqsize,
			      unsigned int alignmask);
void cmt_io_add_client(struct cmt_config *cc);
void cmt_io_del_client(struct cmt_config *cc);
unsigned long cmt_io_pages_cap(struct cmt_config *cc);
long cmt_io_pages_in_flight(void);
int cmt_io_init(void);
void cmt_io_exit(void);

#endif
