// SPDX-License-Identifier: GPL-2.0
/*
 * The crypto of one bio, spread over idle CPUs.
 *
 * The bio's data is cut into chunks (chunk_size bytes, whole encryption
 * sectors).  Participants take the next chunk with one atomic increment and
 * convert it, until none is left: the starter, which runs where the bio is
 * (the submitting task for writes, the read completion or a worker for
 * reads), and helpers sent to idle CPUs.  A helper that starts late finds
 * the chunks taken and does nothing, so sending one never makes the bio
 * wait for a busy CPU; a helper still queued when the starter runs out of
 * chunks is cancelled, so the bio does not wait for it to be scheduled.
 *
 * Lifetimes.  io->pending counts participants not finished: the starter
 * and each helper sent.  The last one calls cmt_io_converted(); after that
 * the per-bio data (the io, the starter's state) may be gone, so nothing
 * touches the io after its own decrement.  A helper's state (struct
 * cmt_helper) comes from the mapping's helper_pool and has two references:
 * the io's, dropped when the last participant releases the io's list of
 * helpers, and the worker's, dropped when the job has run (or was found
 * cancelled).  The mapping waits for every helper state to come back before
 * it frees the pool (cmt_convert_helpers_drained).
 */
#include <linux/highmem.h>
#include "dm-crypt-mt.h"
#include "compat.h"

/* Upper bound on helpers per bio: the CPU search buffer is on the stack. */
#define CMT_MAX_HELPERS	31

enum { CMT_H_QUEUED, CMT_H_RUNNING, CMT_H_CANCELLED };

struct cmt_helper {
	struct cmt_helper *next;	/* in the io's list */
	struct cmt_config *cc;
	atomic_t state;			/* QUEUED -> RUNNING or CANCELLED */
	refcount_t ref;			/* the io's and the worker's */
	struct cmt_conv conv;		/* must be last: request and IVs follow */
};

static void cmt_conv_run(struct cmt_conv *cv);

unsigned int cmt_helper_size(struct cmt_config *cc)
{
	return offsetof(struct cmt_helper, conv) + cc->conv_iv_offset +
	       cc->iv_align - 1 + 2 * cc->iv_size;
}

static bool cmt_high(struct cmt_config *cc)
{
	return test_bit(CMT_HIGH_PRIORITY, &cc->flags);
}

static void cmt_conv_init(struct cmt_conv *cv, struct cmt_io *io,
			  enum cmt_ctx ctx, bool helper, unsigned int load_cpu)
{
	struct cmt_config *cc = io->cc;

	cv->io = io;
	cv->iter_in.bi_size = 0;	/* no chunk taken yet */
	cv->req = (struct skcipher_request *)((u8 *)cv + cc->conv_req_offset);
	cv->iv = PTR_ALIGN((u8 *)cv + cc->conv_iv_offset, cc->iv_align);
	cv->org_iv = cv->iv + cc->iv_size;
	cv->s.write = io->write;
	cv->s.sg_in = &cv->sg_in;
	cv->s.sg_out = &cv->sg_out;
	cv->ctx = ctx;
	cv->helper = helper;
	cv->load_cpu = load_cpu;
	cv->chunk_len = 0;
	cv->chunks = 0;
}

/* Record the first error; the bio fails with it. */
static void cmt_io_error(struct cmt_io *io, blk_status_t status)
{
	if (status)
		cmpxchg(&io->status, BLK_STS_OK, status);
}

/* A sector failed: the bio fails, and no one converts more of it. */
static void cmt_conv_fail(struct cmt_conv *cv)
{
	struct cmt_io *io = cv->io;

	cmt_io_error(io, BLK_STS_IOERR);
	atomic_set(&io->next_chunk, io->nr_chunks);
	cv->iter_in.bi_size = 0;
	cv->chunk_len = 0;
}

/* ---- one chunk ---- */

/* Take the next chunk of the bio, if there is one left. */
static bool cmt_conv_take(struct cmt_conv *cv)
{
	struct cmt_io *io = cv->io;
	unsigned int i = atomic_inc_return(&io->next_chunk) - 1;
	unsigned int off, len;

	if (i >= io->nr_chunks)
		return false;
	if (i < io->nr_big) {
		off = i * io->chunk_bytes;
		len = io->chunk_bytes;
	} else {
		off = io->nr_big * io->chunk_bytes +
		      (i - io->nr_big) * io->tail_bytes;
		len = min(io->tail_bytes, io->iter_in.bi_size - off);
	}
	cv->iter_in = io->iter_in;
	bio_advance_iter(io->bio_in, &cv->iter_in, off);
	cv->iter_in.bi_size = len;
	cv->iter_out = io->iter_out;
	bio_advance_iter(io->bio_out, &cv->iter_out, off);
	cv->iter_out.bi_size = len;
	cv->cc_sector = io->sector + io->cc->iv_offset + (off >> SECTOR_SHIFT);
	cv->chunk_len = len;
	return true;
}

/* The cipher is done with the current sector: IV post-processing, next. */
static int cmt_conv_sector_done(struct cmt_conv *cv)
{
	struct cmt_io *io = cv->io;
	struct cmt_config *cc = io->cc;
	int r = 0;

	if (cc->iv_ops && cc->iv_ops->post)
		r = cc->iv_ops->post(cc, cv->org_iv, &cv->s);
	bio_advance_iter(io->bio_in, &cv->iter_in, cv->step);
	bio_advance_iter(io->bio_out, &cv->iter_out, cv->step);
	cv->cc_sector += cv->step >> SECTOR_SHIFT;
	return r;
}

static void cmt_conv_resume(struct cmt_job *job)
{
	struct cmt_conv *cv = container_of(job, struct cmt_conv, job);

	cv->ctx = CMT_WORKER;
	cmt_conv_run(cv);
}

/*
 * Completion of a request that went asynchronous where we do not wait
 * (CMT_ATOMIC, CMT_WORKER).  Any context.  The rest goes to a worker.
 */
static CMT_CRYPTO_DONE(cmt_conv_async_done, arg, err)
{
	struct cmt_conv *cv = cmt_crypto_done_data(arg);
	struct cmt_config *cc = cv->io->cc;

	if (err == -EINPROGRESS)
		return;		/* left the backlog; the end comes later */
	if (!err)
		err = cmt_conv_sector_done(cv);
	if (err)
		cmt_conv_fail(cv);
	cmt_queue_job(&cv->job, cmt_conv_resume, cmt_home_cpu(cc), cmt_high(cc));
}

#define CMT_REQ_FLAGS(ctx) (CRYPTO_TFM_REQ_MAY_BACKLOG | \
			    ((ctx) == CMT_ATOMIC ? 0 : CRYPTO_TFM_REQ_MAY_SLEEP))

/*
 * Convert what is left of the participant's chunk, sector by sector,
 * reading from io->bio_in and writing to io->bio_out (the same bio for
 * reads: decryption is in place).
 *
 * Returns 0 when the chunk is done, -EINPROGRESS when a request went
 * asynchronous and its callback now owns the participant (never in
 * CMT_MAP, which waits), another error when a sector failed.
 */
static int cmt_conv_chunk(struct cmt_conv *cv)
{
	struct cmt_io *io = cv->io;
	struct cmt_config *cc = io->cc;
	struct skcipher_request *req = cv->req;
	DECLARE_CRYPTO_WAIT(wait);
	int r;

	cv->s.set = cmt_tfms_near(cc);
	while (cv->iter_in.bi_size) {
		struct bio_vec bv_in = bio_iter_iovec(io->bio_in, cv->iter_in);
		struct bio_vec bv_out = bio_iter_iovec(io->bio_out, cv->iter_out);

		if (unlikely(bv_in.bv_len & (cc->sector_size - 1) ||
			     bv_out.bv_len & (cc->sector_size - 1)))
			return -EIO;
		/*
		 * One sector per request, as stock does: each has its own IV.
		 * Without IVs and with one key (ECB, cipher_null) sectors are
		 * independent and a whole segment gives the same bytes.
		 */
		cv->step = cc->sector_size;
		if (cc->whole_segments)
			cv->step = min(bv_in.bv_len, bv_out.bv_len);

		cv->s.iv_sector = cv->cc_sector;
		if (test_bit(CMT_IV_LARGE_SECTORS, &cc->flags))
			cv->s.iv_sector >>= cc->sector_shift;
		/* stock picks the key from the 512-byte sector number */
		cv->s.key_index = cv->cc_sector & (cc->tfms_count - 1);

		sg_init_table(&cv->sg_in, 1);
		sg_set_page(&cv->sg_in, bv_in.bv_page, cv->step, bv_in.bv_offset);
		sg_init_table(&cv->sg_out, 1);
		sg_set_page(&cv->sg_out, bv_out.bv_page, cv->step,
			    bv_out.bv_offset);

		if (cc->iv_ops) {
			r = cc->iv_ops->gen(cc, cv->org_iv, &cv->s);
			if (r)
				return r;
			memcpy(cv->iv, cv->org_iv, cc->iv_size);
		}

		/*
		 * With MAY_BACKLOG, -EBUSY means "queued behind others", never
		 * "dropped": the request is owned by the transform either way,
		 * so a sector is never submitted twice (tcw and lmk change the
		 * data in gen/post and must run exactly once per sector).
		 */
		skcipher_request_set_tfm(req, cv->s.set->tfms[cv->s.key_index]);
		if (cv->ctx == CMT_MAP)
			skcipher_request_set_callback(req, CMT_REQ_FLAGS(cv->ctx),
						      crypto_req_done, &wait);
		else
			skcipher_request_set_callback(req, CMT_REQ_FLAGS(cv->ctx),
						      cmt_conv_async_done, cv);
		skcipher_request_set_crypt(req, &cv->sg_in, &cv->sg_out,
					   cv->step, cv->iv);
		r = cv->s.write ? crypto_skcipher_encrypt(req) :
				  crypto_skcipher_decrypt(req);
		if (r == -EINPROGRESS || r == -EBUSY) {
			if (cv->ctx != CMT_MAP)
				return -EINPROGRESS;
			r = crypto_wait_req(r, &wait);
		}
		if (r)
			return r;
		r = cmt_conv_sector_done(cv);
		if (r)
			return r;
		if (cv->ctx != CMT_ATOMIC)
			cond_resched();
	}
	return 0;
}

/* ---- participants ---- */

static void cmt_helper_put(struct cmt_helper *h)
{
	struct cmt_config *cc = h->cc;

	if (!refcount_dec_and_test(&h->ref))
		return;
	mempool_free(h, &cc->helper_pool);
	/* the last touch of cc: the destructor may free it right after */
	if (atomic_dec_and_test(&cc->helpers_out))
		wake_up_var(&cc->helpers_out);
}

/* The mapping goes: wait until every helper state is back in the pool. */
void cmt_convert_helpers_drained(struct cmt_config *cc)
{
	wait_var_event(&cc->helpers_out, !atomic_read(&cc->helpers_out));
}

/*
 * A participant is done.  The last one releases the io's references on the
 * helper states and hands the io back to io.c.
 */
static void cmt_io_put(struct cmt_io *io)
{
	struct cmt_helper *h, *next;

	if (!atomic_dec_and_test(&io->pending))
		return;
	for (h = io->helpers; h; h = next) {
		next = h->next;
		cmt_helper_put(h);
	}
	io->helpers = NULL;
	cmt_io_converted(io);
}

/*
 * The starter has no chunk left: helpers that have not started will find
 * none either, so they are cancelled and the bio need not wait for them.
 * Our own reference is still held, so the decrement is never the last.
 */
static void cmt_cancel_helpers(struct cmt_io *io)
{
	struct cmt_helper *h;

	for (h = io->helpers; h; h = h->next) {
		if (atomic_cmpxchg(&h->state, CMT_H_QUEUED, CMT_H_CANCELLED) !=
		    CMT_H_QUEUED)
			continue;
		cmt_load_add(h->conv.load_cpu, -1);
		atomic_dec(&io->pending);
	}
}

/* Take and convert chunks until none is left (or a request went async). */
static void cmt_conv_run(struct cmt_conv *cv)
{
	struct cmt_io *io = cv->io;
	int r;

	for (;;) {
		if (!cv->chunk_len && !cmt_conv_take(cv))
			break;
		r = cmt_conv_chunk(cv);
		if (r == -EINPROGRESS)
			return;		/* cmt_conv_async_done() continues */
		if (r) {
			cmt_conv_fail(cv);
			break;
		}
		cv->chunks++;
		cmt_count(bytes, cv->chunk_len);
		if (cv->helper)
			cmt_count(helped, 1);
		cv->chunk_len = 0;
	}

	cmt_load_add(cv->load_cpu, -1);
	if (cv->helper) {
		struct cmt_helper *h = container_of(cv, struct cmt_helper, conv);

		if (!cv->chunks)
			cmt_count(wasted, 1);
		cmt_io_put(io);
		cmt_helper_put(h);	/* the worker's reference */
		return;
	}
	cmt_cancel_helpers(io);
	cmt_io_put(io);
}

static void cmt_helper_job(struct cmt_job *job)
{
	struct cmt_conv *cv = container_of(job, struct cmt_conv, job);
	struct cmt_helper *h = container_of(cv, struct cmt_helper, conv);

	if (atomic_cmpxchg(&h->state, CMT_H_QUEUED, CMT_H_RUNNING) !=
	    CMT_H_QUEUED) {
		/* cancelled: the starter gave back our load and io reference */
		cmt_count(wasted, 1);
		cmt_helper_put(h);
		return;
	}
	cmt_conv_run(cv);
}

/*
 * Send helpers for @io to idle CPUs: at most one per chunk beyond the
 * starter's, at most spread_max - 1, only CPUs with nothing of ours to do.
 * Their states come from the mapping's reserve without waiting; what cannot
 * be had is simply not sent, and the starter converts the rest itself.
 */
static void cmt_spread(struct cmt_io *io, unsigned int self)
{
	struct cmt_config *cc = io->cc;
	unsigned int cpus[CMT_MAX_HELPERS], n, i, want, most;
	struct cmt_helper *h;

	/* one helper per chunk_size of data beyond the starter's first */
	want = DIV_ROUND_UP(io->iter_in.bi_size, io->chunk_bytes) - 1;
	want = min_t(unsigned int, want, CMT_MAX_HELPERS);
	most = cmt_knob(cc, CMT_SPREAD_MAX);
	if (most)
		want = min(want, most - 1);
	n = cmt_pick_helpers(cc, self, want, cpus);
	for (i = 0; i < n; i++) {
		h = mempool_alloc(&cc->helper_pool, GFP_NOWAIT | __GFP_NOWARN);
		if (!h)
			break;
		atomic_inc(&cc->helpers_out);
		h->cc = cc;
		atomic_set(&h->state, CMT_H_QUEUED);
		refcount_set(&h->ref, 2);
		cmt_conv_init(&h->conv, io, CMT_WORKER, true, cpus[i]);
		h->next = io->helpers;
		io->helpers = h;
		atomic_inc(&io->pending);
		cmt_count(sent, 1);
		cmt_queue_job(&h->conv.job, cmt_helper_job, cpus[i], cmt_high(cc));
	}
	for (; i < n; i++)
		cmt_load_add(cpus[i], -1);	/* claimed but not used */
}

/*
 * Cut the data in chunks: one chunk when the bio is not to be spread.
 * Otherwise chunks of chunk_size, except the last two chunk_size's worth
 * (plus the remainder), which go in quarter chunks.  Participants take
 * chunks until none is left, so they finish at most one chunk apart, and
 * the bio waits for the last one: small chunks at the end keep that wait
 * short while most of the bio still goes in large ones.  (With 64 KiB
 * chunks in the emulated VM, the CPU that finished first idled ~1 ms of
 * a ~13 ms 1 MiB write.)
 */
static void cmt_convert_prepare(struct cmt_io *io, bool spread)
{
	struct cmt_config *cc = io->cc;
	unsigned int size = io->iter_in.bi_size, chunk, small, big = 0;

	chunk = size;
	if (spread && size >= cmt_knob(cc, CMT_SPREAD_MIN)) {
		chunk = round_down(cmt_knob(cc, CMT_CHUNK_SIZE), cc->sector_size);
		chunk = clamp(chunk, cc->sector_size, size);
	}
	chunk = chunk ?: cc->sector_size;
	small = chunk;
	if (chunk < size) {
		if (size / chunk > 2)
			big = size / chunk - 2;
		small = max(round_down(chunk / 4, cc->sector_size),
			    cc->sector_size);
	}
	io->chunk_bytes = chunk;
	io->nr_big = big;
	io->tail_bytes = small;
	io->nr_chunks = big + DIV_ROUND_UP(size - big * chunk, small);
	atomic_set(&io->next_chunk, 0);
	atomic_set(&io->pending, 1);	/* the starter */
	io->helpers = NULL;
}

/*
 * Convert @io's data (io->bio_in/iter_in to io->bio_out/iter_out), with the
 * starter running right here in @ctx.  When this returns the conversion
 * may still go on in helpers and asynchronous requests; its end is
 * cmt_io_converted().
 */
void cmt_convert_bio(struct cmt_io *io, enum cmt_ctx ctx, bool spread)
{
	unsigned int self = raw_smp_processor_id();

	cmt_convert_prepare(io, spread);
	cmt_count(bios, 1);
	cmt_count(inl, 1);
	cmt_load_add(self, 1);
	cmt_conv_init(&io->conv, io, ctx, false, self);
	if (io->nr_chunks > 1)
		cmt_spread(io, self);
	cmt_conv_run(&io->conv);
}

static void cmt_start_job(struct cmt_job *job)
{
	struct cmt_conv *cv = container_of(job, struct cmt_conv, job);
	struct cmt_io *io = cv->io;

	cmt_count(bios, 1);
	cmt_count(queued, 1);
	if (io->nr_chunks > 1)
		cmt_spread(io, raw_smp_processor_id());
	cmt_conv_run(cv);
}

/*
 * The same, with the starter queued to the worker of an allowed CPU: where
 * we are may not convert (hard IRQ, a CPU the mapping may not use, a large
 * read completing in softirq).  Spreading is decided when it starts.
 */
void cmt_convert_queued(struct cmt_io *io, bool spread)
{
	struct cmt_config *cc = io->cc;
	unsigned int cpu = cmt_home_cpu(cc);

	cmt_convert_prepare(io, spread);
	cmt_load_add(cpu, 1);
	cmt_conv_init(&io->conv, io, CMT_WORKER, false, cpu);
	cmt_queue_job(&io->conv.job, cmt_start_job, cpu, cmt_high(cc));
}
