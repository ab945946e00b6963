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
 * A large read is sent down in pieces, and a piece's chunks can be taken
 * once it is back (cmt_convert_set_pieces()): helpers start on the first
 * pieces while the last are read, and the last piece back starts the
 * starter.
 *
 * Lifetimes.  io->pending counts participants not finished: the starter
 * (for a read in pieces: each piece not yet back, the last one becoming
 * the starter) and each helper sent.  The last one calls
 * cmt_io_converted(); after that
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
	struct llist_node node;		/* in the io's list */
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

/* The bio fails with @status: no one takes another chunk of it. */
static void cmt_io_stop(struct cmt_io *io, blk_status_t status)
{
	unsigned int k;

	cmt_io_error(io, status);
	for (k = 0; k < io->nr_pieces; k++)
		atomic_set(&io->piece[k].next, io->piece[k].end);
}

/* A sector failed: the bio fails, and no one converts more of it. */
static void cmt_conv_fail(struct cmt_conv *cv)
{
	cmt_io_stop(cv->io, BLK_STS_IOERR);
	cv->iter_in.bi_size = 0;
	cv->chunk_len = 0;
}

/* ---- one chunk ---- */

/* Where chunk @i starts in the data (@i == nr_chunks: the end). */
static unsigned int cmt_chunk_off(struct cmt_io *io, unsigned int i)
{
	if (i <= io->nr_big)
		return i * io->chunk_bytes;
	return min(io->nr_big * io->chunk_bytes +
		   (i - io->nr_big) * io->tail_bytes, io->iter_in.bi_size);
}

/*
 * Take the next chunk of a piece that is here, if one is left.  The
 * fully ordered atomic_inc_return() after seeing the piece's ready bit
 * orders the reads of its data after that bit (cmt_convert_piece_done()
 * sets it after the data arrived).
 */
static bool cmt_conv_take(struct cmt_conv *cv)
{
	struct cmt_io *io = cv->io;
	unsigned int k, i, off, len;

	for (k = 0; k < io->nr_pieces; k++) {
		struct cmt_piece *p = &io->piece[k];

		if (!test_bit(k, &io->ready) ||
		    (unsigned int)atomic_read(&p->next) >= p->end)
			continue;
		i = atomic_inc_return(&p->next) - 1;
		if (i < p->end)
			goto found;
	}
	return false;

found:
	off = cmt_chunk_off(io, i);
	len = cmt_chunk_off(io, i + 1) - off;
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

/*
 * Requests may wait in the transform's backlog but never sleep inside the
 * driver (no CRYPTO_TFM_REQ_MAY_SLEEP, as stock): with it the crypto code
 * may allocate with GFP_KERNEL, which a job on the shared queues must not
 * (it would wait for memory in front of every mapping's jobs) and map must
 * not either (it runs in the writeback and swap-out paths).  We yield
 * between sectors ourselves where the context allows (cmt_conv_chunk()).
 */
#define CMT_REQ_FLAGS	CRYPTO_TFM_REQ_MAY_BACKLOG

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
	/*
	 * Once a request went asynchronous, its callback owns the
	 * participant and may end the bio on another CPU before the request
	 * call even returns: the context is read before, never from cv after.
	 */
	enum cmt_ctx ctx = cv->ctx;
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
		if (ctx == CMT_MAP)
			skcipher_request_set_callback(req, CMT_REQ_FLAGS,
						      crypto_req_done, &wait);
		else
			skcipher_request_set_callback(req, CMT_REQ_FLAGS,
						      cmt_conv_async_done, cv);
		skcipher_request_set_crypt(req, &cv->sg_in, &cv->sg_out,
					   cv->step, cv->iv);
		r = cv->s.write ? crypto_skcipher_encrypt(req) :
				  crypto_skcipher_decrypt(req);
		if (r == -EINPROGRESS || r == -EBUSY) {
			if (ctx != CMT_MAP)
				return -EINPROGRESS;	/* cv may be gone */
			r = crypto_wait_req(r, &wait);
		}
		if (r)
			return r;
		r = cmt_conv_sector_done(cv);
		if (r)
			return r;
		if (ctx != CMT_ATOMIC)
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
 * A participant (or a read piece) is done.  The last one releases the io's
 * references on the helper states and hands the io back to io.c.
 */
static void cmt_io_put(struct cmt_io *io)
{
	struct cmt_helper *h, *next;

	if (!atomic_dec_and_test(&io->pending))
		return;
	llist_for_each_entry_safe(h, next, llist_del_all(&io->helpers), node)
		cmt_helper_put(h);
	cmt_io_converted(io);
}

/*
 * The starter has no chunk left: helpers that have not started will find
 * none either, so they are cancelled and the bio need not wait for them.
 * Our own reference is still held, so the decrement is never the last.
 * Every helper of the io was added before: by the starter itself, or by a
 * read piece before the decrement of pieces_left that made us the starter.
 */
static void cmt_cancel_helpers(struct cmt_io *io)
{
	struct cmt_helper *h;

	llist_for_each_entry(h, READ_ONCE(io->helpers.first), node) {
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
 * Reserve up to @want of the bio's helper slots: at most spread_max - 1
 * helpers per bio (and CMT_MAX_HELPERS), however many read pieces send
 * them, possibly at the same time.
 */
static unsigned int cmt_claim_slots(struct cmt_io *io, unsigned int want)
{
	unsigned int most = cmt_knob(io->cc, CMT_SPREAD_MAX);
	int limit = CMT_MAX_HELPERS, old = atomic_read(&io->sent), take;

	/* unsigned: any spread_max up to UINT_MAX - 1 means "that many" */
	if (most)
		limit = min_t(unsigned int, limit, most - 1);
	do {
		take = min_t(int, want, limit - old);
		if (take <= 0)
			return 0;
	} while (!atomic_try_cmpxchg(&io->sent, &old, old + take));
	return take;
}

/*
 * Send up to @want helpers for @io to idle CPUs other than @self: only CPUs
 * with nothing of ours to do.  Their states come from the mapping's reserve
 * without waiting; what cannot be had is simply not sent, and the starter
 * converts the rest itself.  Any context (a read piece may end in hard IRQ).
 */
static void cmt_spread(struct cmt_io *io, unsigned int self,
		       unsigned int want)
{
	struct cmt_config *cc = io->cc;
	unsigned int cpus[CMT_MAX_HELPERS], n, i, slots;
	struct cmt_helper *h;

	slots = cmt_claim_slots(io, want);
	n = cmt_pick_helpers(cc, self, slots, cpus);
	for (i = 0; i < n; i++) {
		h = mempool_alloc(&cc->helper_pool, GFP_NOWAIT | __GFP_NOWARN);
		if (!h)
			break;
		atomic_inc(&cc->helpers_out);
		h->cc = cc;
		atomic_set(&h->state, CMT_H_QUEUED);
		refcount_set(&h->ref, 2);
		cmt_conv_init(&h->conv, io, CMT_WORKER, true, cpus[i]);
		llist_add(&h->node, &io->helpers);
		atomic_inc(&io->pending);
		cmt_count(sent, 1);
		cmt_queue_job(&h->conv.job, cmt_helper_job, cpus[i], cmt_high(cc));
	}
	atomic_sub(slots - i, &io->sent);	/* not sent after all */
	for (; i < n; i++)
		cmt_load_add(cpus[i], -1);	/* claimed but not used */
}

/* The starter's helpers: one per chunk_size of data left beyond its own. */
static void cmt_spread_starter(struct cmt_io *io, unsigned int self)
{
	unsigned int k, left = 0;
	int next;

	if (io->nr_chunks <= 1)
		return;
	for (k = 0; k < io->nr_pieces; k++) {
		next = atomic_read(&io->piece[k].next);
		if (next < io->piece[k].end)
			left += cmt_chunk_off(io, io->piece[k].end) -
				cmt_chunk_off(io, next);
	}
	if (left)
		cmt_spread(io, self, DIV_ROUND_UP(left, io->chunk_bytes) - 1);
}

/*
 * Cut the data (io->iter_in) in chunks: one chunk when the bio is not to be
 * spread.  Otherwise chunks of chunk_size, except the last two chunk_size's
 * worth (plus the remainder), which go in quarter chunks.  Participants
 * take chunks until none is left, so they finish at most one chunk apart,
 * and the bio waits for the last one: small chunks at the end keep that
 * wait short while most of the bio still goes in large ones.  (With 64 KiB
 * chunks in the emulated VM, the CPU that finished first idled ~1 ms of
 * a ~13 ms 1 MiB write.)  The data is one piece, here from the start.
 *
 * Returns how many pieces a read of it is worth sending down in (see
 * cmt_convert_set_pieces()).
 */
unsigned int cmt_convert_prepare(struct cmt_io *io, bool spread)
{
	struct cmt_config *cc = io->cc;
	unsigned int size = io->iter_in.bi_size, chunk, small, big = 0;

	chunk = size;
	/* spread_max=1: no helper is ever sent, so neither chunks nor pieces */
	if (spread && size >= cmt_knob(cc, CMT_SPREAD_MIN) &&
	    cmt_knob(cc, CMT_SPREAD_MAX) != 1) {
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
	io->nr_pieces = 1;
	io->piece[0].io = io;
	atomic_set(&io->piece[0].next, 0);
	io->piece[0].end = io->nr_chunks;
	io->ready = 1;
	atomic_set(&io->pieces_left, 1);
	atomic_set(&io->pending, 1);	/* the starter */
	atomic_set(&io->sent, 0);
	init_llist_head(&io->helpers);
	/* at least four chunk_size's per piece: see cmt_convert_set_pieces() */
	return clamp(size / chunk / 4, 1U, (unsigned int)CMT_MAX_PIECES);
}

/*
 * Cut a read in @n pieces of whole chunk_size chunks, as equal as they can
 * be, each sent down as its own clone.  A piece's chunks may be taken when
 * that piece is back, while the next ones are still being read: on a RAM
 * disk the submitting task copies the pieces one after the other and the
 * helpers start on the first quarter instead of waiting for the whole
 * copy (~1 ms of a ~10 ms 1 MiB read in the emulated VM); on a real device
 * the decryption of the first pieces overlaps the transfer of the last.
 * The cost is n - 1 more bios to the device, so a piece is at least four
 * chunks (256 KiB at the default chunk_size), and at most CMT_MAX_PIECES.
 * Every piece boundary falls among the full-size chunks: with n at most
 * size / chunk / 4, k * (size / chunk) / n <= size / chunk - 4 < nr_big.
 *
 * Each piece holds a reference (io->pending) until it is back; the last
 * one back becomes the starter (cmt_convert_piece_done()).
 */
void cmt_convert_set_pieces(struct cmt_io *io, unsigned int n)
{
	unsigned int k, eq = io->iter_in.bi_size / io->chunk_bytes;

	if (n <= 1)
		return;
	for (k = 0; k < n; k++) {
		io->piece[k].io = io;
		atomic_set(&io->piece[k].next, k * eq / n);
		io->piece[k].end = k + 1 < n ? (k + 1) * eq / n : io->nr_chunks;
	}
	io->nr_pieces = n;
	io->ready = 0;
	atomic_set(&io->pieces_left, n);
	atomic_set(&io->pending, n);
}

/* The bytes of the data that piece @k covers. */
void cmt_convert_piece_range(struct cmt_io *io, unsigned int k,
			     unsigned int *off, unsigned int *len)
{
	unsigned int first = k ? io->piece[k - 1].end : 0;

	*off = cmt_chunk_off(io, first);
	*len = cmt_chunk_off(io, io->piece[k].end) - *off;
}

/*
 * Read piece @p is back, with @status.  Any context, hard IRQ included.
 * Its chunks may now be taken; helpers go to idle CPUs for them.  Returns
 * true when it was the last piece back: the caller then starts the
 * conversion (the starter), which inherits the piece's reference.
 * Otherwise the piece's reference is dropped, and the io may be gone.
 *
 * Helpers are sent before the decrement of pieces_left, so the starter,
 * which runs after the last decrement, sees all of them.
 */
bool cmt_convert_piece_done(struct cmt_piece *p, blk_status_t status)
{
	struct cmt_io *io = p->io;
	unsigned int k = p - io->piece, len, off;

	if (unlikely(status)) {
		cmt_io_stop(io, status);
	} else {
		/* the piece's data before its bit: see cmt_conv_take() */
		smp_mb__before_atomic();
		set_bit(k, &io->ready);
		/*
		 * One helper per chunk_size of the piece: this CPU goes on
		 * with the I/O.  Not when all other pieces are back: then
		 * this is the starter, which sends its own.
		 */
		cmt_convert_piece_range(io, k, &off, &len);
		if (atomic_read(&io->pieces_left) > 1)
			cmt_spread(io, raw_smp_processor_id(),
				   DIV_ROUND_UP(len, io->chunk_bytes));
	}
	if (atomic_dec_and_test(&io->pieces_left))
		return true;
	cmt_io_put(io);
	return false;
}

/*
 * Convert @io's data (io->bio_in/iter_in to io->bio_out/iter_out, cut by
 * cmt_convert_prepare()), with the starter running right here in @ctx.
 * When this returns the conversion may still go on in helpers and
 * asynchronous requests; its end is cmt_io_converted().
 */
void cmt_convert_bio(struct cmt_io *io, enum cmt_ctx ctx)
{
	unsigned int self = raw_smp_processor_id();

	cmt_count(bios, 1);
	cmt_count(inl, 1);
	cmt_load_add(self, 1);
	cmt_conv_init(&io->conv, io, ctx, false, self);
	cmt_spread_starter(io, self);
	cmt_conv_run(&io->conv);
}

static void cmt_start_job(struct cmt_job *job)
{
	struct cmt_conv *cv = container_of(job, struct cmt_conv, job);
	struct cmt_io *io = cv->io;

	cmt_count(bios, 1);
	cmt_count(queued, 1);
	cmt_spread_starter(io, raw_smp_processor_id());
	cmt_conv_run(cv);
}

/*
 * The same, with the starter queued to the worker of an allowed CPU: where
 * we are may not convert (hard IRQ, a CPU the mapping may not use, a large
 * read completing in softirq).  Helpers are sent when it starts.
 */
void cmt_convert_queued(struct cmt_io *io)
{
	struct cmt_config *cc = io->cc;
	unsigned int cpu = cmt_home_cpu(cc);

	cmt_load_add(cpu, 1);
	cmt_conv_init(&io->conv, io, CMT_WORKER, false, cpu);
	cmt_queue_job(&io->conv.job, cmt_start_job, cpu, cmt_high(cc));
}
