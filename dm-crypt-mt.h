/* SPDX-License-Identifier: GPL-2.0 */
/*
 * crypt-mt: dm-crypt's tables and on-disk format, with per-CPU transforms and
 * global per-CPU workqueues.
 *
 * Where things live:
 *   dm-crypt-mt.c  table parsing, keys, target ops (ctr/dtr/map/status/message)
 *   io.c           the data path: clone, convert, complete
 *   percpu.c       per-CPU transforms of a mapping
 *   workqueue.c    the global queues and the "nested in our own worker" test
 *   essiv.c, iv.c  IV generators
 */
#ifndef _DM_CRYPT_MT_H
#define _DM_CRYPT_MT_H

#include <linux/bio.h>
#include <linux/blk_types.h>
#include <linux/device-mapper.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/workqueue.h>
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
	/* Before the cipher runs on one sector, and after it. */
	int (*gen)(struct cmt_config *cc, u8 *iv, struct cmt_sector *s);
	int (*post)(struct cmt_config *cc, u8 *iv, struct cmt_sector *s);
	unsigned int flags;
};

/* The generator needs a per-CPU block cipher (struct cmt_cpu::ivc). */
#define CMT_IV_CIPHER	BIT(0)

const struct cmt_iv_ops *cmt_iv_lookup(const char *name);
extern const struct cmt_iv_ops cmt_iv_essiv_ops;

/* ---- per-CPU transforms (percpu.c) ---- */

/*
 * One set per possible CPU.  The transforms are only a locality choice: a
 * tfm's key schedule is read-only while I/O runs, so any CPU may use any
 * slot and a task that migrates mid-bio stays correct.  All request state is
 * per I/O (struct cmt_io), never per CPU.
 */
struct cmt_cpu {
	/* IV cipher (ESSIV or EBOIV), [tfms_count], NULL when unused. */
	struct crypto_cipher **ivc;
	struct crypto_skcipher *tfms[];
};

int cmt_cpu_alloc(struct cmt_config *cc, const char *cipher_api,
		  const char *ivc_name);
void cmt_cpu_free(struct cmt_config *cc);
int cmt_cpu_setkey(struct cmt_config *cc);
int cmt_cpu_set_ivc_key(struct cmt_config *cc, unsigned int idx,
			const u8 *key, unsigned int len);
struct crypto_skcipher *cmt_any_tfm(struct cmt_config *cc);

/* ---- the mapping ---- */

enum cmt_flags {
	CMT_SUSPENDED,
	CMT_KEY_VALID,
	/* stock dm-crypt's performance flags, kept for the status line */
	CMT_SAME_CPU,
	CMT_HIGH_PRIORITY,
	CMT_NO_OFFLOAD,
	CMT_NO_READ_WQ,
	CMT_NO_WRITE_WQ,
	CMT_IV_LARGE_SECTORS,
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

	struct cmt_cpu __percpu *cpu;
	unsigned int tfms_count;

	unsigned int sector_size;
	unsigned int sector_shift;	/* log2(sector_size) - SECTOR_SHIFT */

	/* Layout of the per-bio data: struct cmt_io, request, IVs */
	unsigned int per_bio_data_size;
	unsigned int req_offset;
	unsigned int iv_offset_in_io;
	unsigned int iv_align;		/* the transform's alignmask + 1 */

	mempool_t page_pool;		/* write bounce pages */
	struct bio_set write_bs;	/* write clones */
	struct bio_set read_bs;		/* read clones */
	struct mutex alloc_lock;	/* serialises blocking page allocation */

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

/* The local CPU's set; see struct cmt_cpu for why a stale answer is fine. */
static inline struct cmt_cpu *cmt_cpu_near(struct cmt_config *cc)
{
	return per_cpu_ptr(cc->cpu, raw_smp_processor_id());
}

/* ---- the data path (io.c) ---- */

/* What one IV generator call sees of a sector. */
struct cmt_sector {
	struct cmt_cpu *pc;
	sector_t iv_sector;
	unsigned int key_index;
	bool write;
	struct scatterlist *sg_in;	/* one sector of input */
	struct scatterlist *sg_out;	/* one sector of output */
};

/*
 * A run of sectors converted in one go on one CPU.  A bio is one chunk
 * today; the state is kept here and not in cmt_io so that a large bio can
 * later be cut into chunks that run on several CPUs, each finishing through
 * cmt_io_put().
 */
struct cmt_chunk {
	struct cmt_io *io;
	struct bio *bio_in;
	struct bio *bio_out;		/* == bio_in for reads (in place) */
	struct bvec_iter iter_in;
	struct bvec_iter iter_out;
	sector_t cc_sector;		/* 512-byte units, iv_offset included */
	struct skcipher_request *req;
	u8 *iv;				/* working IV, aligned for the tfm */
	u8 *org_iv;			/* IV as generated, for post() */
	struct scatterlist sg_in;
	struct scatterlist sg_out;
	struct cmt_sector s;		/* the sector being converted */
	struct work_struct work;	/* continuation in a worker */
};

/* Per bio, in dm_per_bio_data(); followed by the chunk's request and IVs. */
struct cmt_io {
	struct cmt_config *cc;
	struct bio *base_bio;
	struct bio *clone;		/* write: encrypted bounce bio */
	sector_t sector;		/* offset in the target */
	atomic_t pending;		/* chunks still converting, +1 for the starter */
	blk_status_t status;
	struct work_struct work;
	struct cmt_chunk chunk;
};

void cmt_io_map(struct cmt_config *cc, struct bio *bio, sector_t sector);
unsigned int cmt_io_data_size(struct cmt_config *cc, unsigned int reqsize,
			      unsigned int alignmask);

/* ---- queues (workqueue.c) ---- */

int cmt_wq_init(void);
void cmt_wq_exit(void);
void cmt_queue_crypt(struct cmt_config *cc, struct work_struct *work,
		     work_func_t fn);
void cmt_queue_io(struct work_struct *work, work_func_t fn);
bool cmt_in_own_worker(void);
bool cmt_is_own_work(struct work_struct *w);

#endif
