// SPDX-License-Identifier: GPL-2.0
/*
 * The data path of one bio, from map to completion.
 *
 * Write: map -> [crypt queue, submitter's CPU] alloc bounce clone, encrypt
 *        -> submit clone -> clone endio frees pages, ends the bio.
 * Read:  map -> clone shares the bio's pages, submitted at once -> clone
 *        endio -> [crypt queue, completing CPU] decrypt in place -> end bio.
 *
 * Inline instead of queued: a small bio (inline_max), or any bio when the
 * table says no_write_workqueue / no_read_workqueue: a write in map, if its
 * bounce pages come without sleeping; a read in its completion, if that is
 * not hard-IRQ context with interrupts off.  And either one when it was
 * submitted from inside one of our own workers (crypt-mt on crypt-mt).
 *
 * Memory: each mapping has its own bounce-page pool and two bio sets, one
 * for write clones and one for read clones.  A worker that blocks on the
 * write pool waits only for write completions, which need no worker; a read
 * blocked on its bio set sits on the io queue, not in front of the
 * decryptions that free read clones.  map() itself never sleeps on a
 * reserve: bios it submitted are parked on current->bio_list until it
 * returns, so waiting there for them could wait forever.
 */
#include <linux/highmem.h>
#include <linux/moduleparam.h>
#include "dm-crypt-mt.h"
#include "compat.h"

/*
 * Bios up to this size are converted where they are (read completion,
 * write submission) when that context allows it, since a queue hop costs
 * more than the crypto of a few KiB.  Larger ones go to the per-CPU crypt
 * queue.  no_read_workqueue / no_write_workqueue make every size inline.
 */
static unsigned int cmt_inline_max = 16384;
module_param_named(inline_max, cmt_inline_max, uint, 0644);
MODULE_PARM_DESC(inline_max,
		 "largest bio in bytes converted without a queue hop (0: only with no_*_workqueue)");

static bool cmt_want_inline(struct cmt_config *cc, struct bio *bio, int flag)
{
	return test_bit(flag, &cc->flags) ||
	       bio->bi_iter.bi_size <= READ_ONCE(cmt_inline_max);
}

static void cmt_write_work(struct work_struct *work);
static void cmt_read_work(struct work_struct *work);
static void cmt_read_submit_work(struct work_struct *work);
static void cmt_chunk_work(struct work_struct *work);

bool cmt_is_own_work(struct work_struct *w)
{
	return w->func == cmt_write_work || w->func == cmt_read_work ||
	       w->func == cmt_read_submit_work || w->func == cmt_chunk_work;
}

/*
 * Per-bio data: struct cmt_io, then the chunk's skcipher request with the
 * transform's request context, then two IVs, the first aligned as the
 * transform asks.  Returns the size and records the offsets.
 */
unsigned int cmt_io_data_size(struct cmt_config *cc, unsigned int reqsize,
			      unsigned int alignmask)
{
	unsigned int size;

	cc->req_offset = ALIGN(sizeof(struct cmt_io),
			       __alignof__(struct skcipher_request));
	size = cc->req_offset + sizeof(struct skcipher_request) + reqsize;
	/* worst-case padding: per-bio data is only ARCH_KMALLOC_MINALIGN aligned */
	cc->iv_offset_in_io = size;
	cc->iv_align = alignmask + 1;
	size += alignmask + 2 * cc->iv_size;
	return ALIGN(size, ARCH_KMALLOC_MINALIGN);
}

static void cmt_chunk_init(struct cmt_io *io, struct bio *in, struct bio *out,
			   bool write)
{
	struct cmt_config *cc = io->cc;
	struct cmt_chunk *ch = &io->chunk;
	u8 *p = (u8 *)io + cc->iv_offset_in_io;

	ch->io = io;
	ch->bio_in = in;
	ch->bio_out = out;
	ch->iter_in = in->bi_iter;
	ch->iter_out = out->bi_iter;
	ch->cc_sector = io->sector + cc->iv_offset;
	ch->req = (struct skcipher_request *)((u8 *)io + cc->req_offset);
	ch->iv = PTR_ALIGN(p, cc->iv_align);
	ch->org_iv = ch->iv + cc->iv_size;
	ch->s.write = write;
	ch->s.sg_in = &ch->sg_in;
	ch->s.sg_out = &ch->sg_out;
	atomic_inc(&io->pending);
}

/* The cipher is done with the current sector: IV post-processing, next. */
static int cmt_chunk_sector_done(struct cmt_chunk *ch)
{
	struct cmt_config *cc = ch->io->cc;
	int r = 0;

	if (cc->iv_ops && cc->iv_ops->post)
		r = cc->iv_ops->post(cc, ch->org_iv, &ch->s);
	bio_advance_iter(ch->bio_in, &ch->iter_in, cc->sector_size);
	bio_advance_iter(ch->bio_out, &ch->iter_out, cc->sector_size);
	ch->cc_sector += 1 << cc->sector_shift;
	return r;
}

static CMT_CRYPTO_DONE(cmt_chunk_async_done, arg, err);

#define CMT_REQ_SLEEP	(CRYPTO_TFM_REQ_MAY_SLEEP | CRYPTO_TFM_REQ_MAY_BACKLOG)
#define CMT_REQ_ATOMIC	CRYPTO_TFM_REQ_MAY_BACKLOG

/*
 * Convert the sectors of a chunk, reading from @in and writing to @out (the
 * same bio for reads: decryption is in place).
 *
 * @can_sleep: we are in a task that may sleep (a worker, or map); an
 * asynchronous transform is then waited for.  Otherwise (softirq, read
 * completion with no_read_workqueue) nothing here sleeps, and a transform
 * that goes asynchronous gets cmt_chunk_async_done() as callback, which
 * hands the rest of the chunk to a worker.
 *
 * Returns 0 when every sector is done, -EINPROGRESS when the chunk now
 * belongs to the callback, another error when the chunk failed.
 */
static int cmt_convert(struct cmt_chunk *ch, bool can_sleep)
{
	struct cmt_config *cc = ch->io->cc;
	struct skcipher_request *req = ch->req;
	DECLARE_CRYPTO_WAIT(wait);
	int r;

	ch->s.pc = cmt_cpu_near(cc);
	while (ch->iter_in.bi_size) {
		struct bio_vec bv_in = bio_iter_iovec(ch->bio_in, ch->iter_in);
		struct bio_vec bv_out = bio_iter_iovec(ch->bio_out, ch->iter_out);

		if (unlikely(bv_in.bv_len & (cc->sector_size - 1) ||
			     bv_out.bv_len & (cc->sector_size - 1)))
			return -EIO;

		ch->s.iv_sector = ch->cc_sector;
		if (test_bit(CMT_IV_LARGE_SECTORS, &cc->flags))
			ch->s.iv_sector >>= cc->sector_shift;
		/* stock picks the key from the 512-byte sector number */
		ch->s.key_index = ch->cc_sector & (cc->tfms_count - 1);

		sg_init_table(&ch->sg_in, 1);
		sg_set_page(&ch->sg_in, bv_in.bv_page, cc->sector_size,
			    bv_in.bv_offset);
		sg_init_table(&ch->sg_out, 1);
		sg_set_page(&ch->sg_out, bv_out.bv_page, cc->sector_size,
			    bv_out.bv_offset);

		if (cc->iv_ops) {
			r = cc->iv_ops->gen(cc, ch->org_iv, &ch->s);
			if (r)
				return r;
			memcpy(ch->iv, ch->org_iv, cc->iv_size);
		}

		/*
		 * With MAY_BACKLOG, -EBUSY means "queued behind others", never
		 * "dropped": the request is owned by the transform either way,
		 * so a sector is never submitted twice (tcw and lmk change the
		 * data in gen/post and must run exactly once per sector).
		 */
		skcipher_request_set_tfm(req, ch->s.pc->tfms[ch->s.key_index]);
		if (can_sleep)
			skcipher_request_set_callback(req, CMT_REQ_SLEEP,
						      crypto_req_done, &wait);
		else
			skcipher_request_set_callback(req, CMT_REQ_ATOMIC,
						      cmt_chunk_async_done, ch);
		skcipher_request_set_crypt(req, &ch->sg_in, &ch->sg_out,
					   cc->sector_size, ch->iv);
		r = ch->s.write ? crypto_skcipher_encrypt(req) :
				  crypto_skcipher_decrypt(req);
		if (r == -EINPROGRESS || r == -EBUSY) {
			if (!can_sleep)
				return -EINPROGRESS;
			r = crypto_wait_req(r, &wait);
		}
		if (r)
			return r;
		r = cmt_chunk_sector_done(ch);
		if (r)
			return r;
		if (can_sleep)
			cond_resched();
	}
	return 0;
}

/* Record the first error of any chunk; the bio fails with it. */
static void cmt_io_error(struct cmt_io *io, blk_status_t status)
{
	if (status)
		cmpxchg(&io->status, BLK_STS_OK, status);
}

static void cmt_io_end(struct cmt_io *io)
{
	struct bio *base = io->base_bio;

	if (io->status)
		base->bi_status = io->status;
	bio_endio(base);
}

static void cmt_write_converted(struct cmt_io *io);

/*
 * Drop one reference: a chunk that finished or the starter.  The last one
 * sends the ciphertext of a write down, or ends a read.
 */
static void cmt_io_put(struct cmt_io *io)
{
	if (!atomic_dec_and_test(&io->pending))
		return;
	if (bio_data_dir(io->base_bio) == WRITE)
		cmt_write_converted(io);
	else
		cmt_io_end(io);
}

static void cmt_chunk_run(struct cmt_chunk *ch, bool can_sleep)
{
	struct cmt_io *io = ch->io;
	int r = cmt_convert(ch, can_sleep);

	if (r == -EINPROGRESS)
		return;		/* cmt_chunk_async_done() owns the chunk */
	cmt_io_error(io, r ? BLK_STS_IOERR : BLK_STS_OK);
	cmt_io_put(io);
}

static void cmt_chunk_work(struct work_struct *work)
{
	cmt_chunk_run(container_of(work, struct cmt_chunk, work), true);
}

/*
 * Completion of a request that went asynchronous while we could not wait
 * (see cmt_convert).  Any context.  The rest of the chunk goes to a worker.
 */
static CMT_CRYPTO_DONE(cmt_chunk_async_done, arg, err)
{
	struct cmt_chunk *ch = cmt_crypto_done_data(arg);

	if (err == -EINPROGRESS)
		return;
	if (!err)
		err = cmt_chunk_sector_done(ch);
	if (err) {
		cmt_io_error(ch->io, BLK_STS_IOERR);
		cmt_io_put(ch->io);
		return;
	}
	cmt_queue_crypt(ch->io->cc, &ch->work, cmt_chunk_work);
}

/* ---- writes ---- */

static void cmt_free_pages(struct cmt_config *cc, struct bio *clone)
{
	struct bvec_iter_all iter;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, clone, iter)
		mempool_free(bv->bv_page, &cc->page_pool);
}

static void cmt_write_endio(struct bio *clone)
{
	struct cmt_io *io = clone->bi_private;

	cmt_io_error(io, clone->bi_status);
	cmt_free_pages(io->cc, clone);
	bio_put(clone);
	cmt_io_end(io);
}

/*
 * A bio of bounce pages as large as the original.  With @may_block false
 * (map) nothing waits; NULL means "retry from a worker".  Blocking callers
 * take alloc_lock so that two large writes cannot each hold half of the
 * pool and wait for the other half forever.
 */
static struct bio *cmt_alloc_write_clone(struct cmt_io *io, bool may_block)
{
	struct cmt_config *cc = io->cc;
	struct bio *base = io->base_bio;
	unsigned int nr = DIV_ROUND_UP(base->bi_iter.bi_size, PAGE_SIZE);
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	unsigned int i, len, size;
	struct bio *clone;
	struct page *page;

retry:
	if (gfp & __GFP_DIRECT_RECLAIM)
		mutex_lock(&cc->alloc_lock);
	clone = bio_alloc_bioset(cc->dev->bdev, nr, base->bi_opf, gfp,
				 &cc->write_bs);
	if (!clone)
		goto fail;
	size = base->bi_iter.bi_size;
	for (i = 0; i < nr; i++, size -= len) {
		page = mempool_alloc(&cc->page_pool, gfp);
		if (!page) {
			cmt_free_pages(cc, clone);
			bio_put(clone);
			goto fail;
		}
		len = min_t(unsigned int, size, PAGE_SIZE);
		__bio_add_page(clone, page, len, 0);
	}
	if (gfp & __GFP_DIRECT_RECLAIM)
		mutex_unlock(&cc->alloc_lock);
	clone->bi_iter.bi_sector = cc->start + io->sector;
	clone->bi_private = io;
	clone->bi_end_io = cmt_write_endio;
	clone->bi_ioprio = base->bi_ioprio;
	return clone;

fail:
	if (gfp & __GFP_DIRECT_RECLAIM) {
		/* mempool_alloc() and bio_alloc_bioset() wait with GFP_NOIO */
		mutex_unlock(&cc->alloc_lock);
		WARN_ON_ONCE(1);
		return NULL;
	}
	if (!may_block)
		return NULL;
	gfp = GFP_NOIO;
	goto retry;
}

/* All chunks encrypted: send the ciphertext down, or fail the bio. */
static void cmt_write_converted(struct cmt_io *io)
{
	if (io->status) {
		cmt_free_pages(io->cc, io->clone);
		bio_put(io->clone);
		cmt_io_end(io);
		return;
	}
	dm_submit_bio_remap(io->base_bio, io->clone);
}

/* Returns false when the clone could not be had without blocking. */
static bool cmt_write_convert(struct cmt_io *io, bool may_block)
{
	io->clone = cmt_alloc_write_clone(io, may_block);
	if (!io->clone)
		return false;
	cmt_chunk_init(io, io->base_bio, io->clone, true);
	cmt_chunk_run(&io->chunk, true);
	cmt_io_put(io);		/* the starter */
	return true;
}

static void cmt_write_work(struct work_struct *work)
{
	struct cmt_io *io = container_of(work, struct cmt_io, work);

	if (!cmt_write_convert(io, true)) {
		cmt_io_error(io, BLK_STS_RESOURCE);
		cmt_io_end(io);
	}
}

/* ---- reads ---- */

static void cmt_read_decrypt(struct cmt_io *io, bool can_sleep)
{
	cmt_chunk_init(io, io->base_bio, io->base_bio, false);
	cmt_chunk_run(&io->chunk, can_sleep);
	cmt_io_put(io);		/* the starter */
}

static void cmt_read_work(struct work_struct *work)
{
	cmt_read_decrypt(container_of(work, struct cmt_io, chunk.work), true);
}

/*
 * Any context, hard IRQ included.  Decrypt right here (small bio, or
 * no_read_workqueue) only where that cannot stall interrupts: not in hard
 * IRQ and with interrupts on; cmt_convert() then never waits.  In our own
 * worker (stacked crypt-mt) decrypt inline too rather than queue behind
 * ourselves.
 */
static void cmt_read_endio(struct bio *clone)
{
	struct cmt_io *io = clone->bi_private;
	struct cmt_config *cc = io->cc;
	blk_status_t status = clone->bi_status;

	bio_put(clone);
	if (unlikely(status)) {
		cmt_io_error(io, status);
		cmt_io_end(io);
		return;
	}
	if (cmt_in_own_worker()) {
		cmt_read_decrypt(io, true);
		return;
	}
	if (cmt_want_inline(cc, io->base_bio, CMT_NO_READ_WQ) &&
	    !in_hardirq() && !irqs_disabled()) {
		cmt_read_decrypt(io, false);
		return;
	}
	/*
	 * Not io->work: with a fallback submission that item may still be
	 * running (the read can complete before cmt_read_submit_work returns).
	 */
	cmt_queue_crypt(cc, &io->chunk.work, cmt_read_work);
}

static bool cmt_read_submit(struct cmt_io *io, gfp_t gfp)
{
	struct cmt_config *cc = io->cc;
	struct bio *clone;

	/*
	 * The clone shares the bio's pages (immutable biovecs), so the data
	 * is decrypted in place in the original bio when the read ends.
	 */
	clone = bio_alloc_clone(cc->dev->bdev, io->base_bio, gfp, &cc->read_bs);
	if (!clone)
		return false;
	clone->bi_iter.bi_sector = cc->start + io->sector;
	clone->bi_private = io;
	clone->bi_end_io = cmt_read_endio;
	dm_submit_bio_remap(io->base_bio, clone);
	return true;
}

static void cmt_read_submit_work(struct work_struct *work)
{
	/* GFP_NOIO from a worker waits for read clones to come back. */
	cmt_read_submit(container_of(work, struct cmt_io, work), GFP_NOIO);
}

/* ---- entry from map() ---- */

/*
 * map() runs in the submitting task (or dm's own worker): it may sleep,
 * but has current->bio_list active, so reserves are only tried without
 * waiting here.
 */
void cmt_io_map(struct cmt_config *cc, struct bio *bio, sector_t sector)
{
	struct cmt_io *io = dm_per_bio_data(bio, cc->per_bio_data_size);

	io->cc = cc;
	io->base_bio = bio;
	io->clone = NULL;
	io->sector = sector;
	io->status = BLK_STS_OK;
	atomic_set(&io->pending, 1);

	if (bio_data_dir(bio) == READ) {
		if (!cmt_read_submit(io, GFP_NOWAIT | __GFP_NOWARN))
			cmt_queue_io(&io->work, cmt_read_submit_work);
		return;
	}

	/*
	 * Nested in our own worker: encrypt here even if that blocks on this
	 * mapping's reserve.  Its pages come back through write completions,
	 * which need no worker, and the bio being mapped is not parked on
	 * current->bio_list yet, so we never wait on something we hold.
	 */
	if (cmt_in_own_worker()) {
		cmt_write_convert(io, true);
		return;
	}
	/* preemptible() is false whenever we may not sleep (or cannot tell) */
	if (cmt_want_inline(cc, bio, CMT_NO_WRITE_WQ) && preemptible() &&
	    cmt_write_convert(io, false))
		return;
	cmt_queue_crypt(cc, &io->work, cmt_write_work);
}
