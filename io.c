// SPDX-License-Identifier: GPL-2.0
/*
 * One bio, from map to completion.
 *
 * Write: map [submitting task] -> room under the bounce-page cap -> bounce
 *        clone from the mapping's reserve -> encrypt, here and in helpers
 *        on idle CPUs (convert.c) -> wait for them -> submit the clone ->
 *        endio frees the pages and ends the bio.
 * Read:  map -> clone sharing the bio's pages -> submit -> endio [any
 *        context] -> decrypt in place: right there when the context allows
 *        it, else the starter goes to a worker; helpers when it is large ->
 *        the last participant ends the bio.
 *
 * Memory, and why no wait can cross mappings.  Each mapping has its own
 * bounce-page pool, write-clone and read-clone bio sets and share of the
 * bounce-page cap.  Only the task that called map waits for them, never a
 * worker (workqueue.c: jobs only convert).  That wait is safe:
 *  - every element of a mapping's reserves in use belongs to a clone of
 *    that mapping already submitted, and comes back from its completion
 *    (endio), which needs no worker and no other mapping's progress;
 *  - such a clone is not parked on current->bio_list behind us:
 *    submit_bio_noacct() sends the bios a map submitted down, depth first,
 *    before it calls the next map at the same level, and a task going to
 *    sleep flushes its plug;
 *  - waiting for one mapping's reserve holds nothing that another mapping
 *    needs.
 * A map called from inside one of our own jobs (a completion handler that
 * submits synchronously) may not wait there: it tries without waiting and
 * fails the bio with BLK_STS_RESOURCE when that is not enough.  Stock would
 * retry from its per-mapping io queue, which may wait; ours are shared by
 * every mapping, so such a wait could stall all of them.  It converts
 * without helpers, waiting only for an asynchronous cipher (whose queues
 * are not ours), and submits from the job, where the layers below may
 * still sleep (dm's io pool, tags).  In-tree completion handlers hand
 * resubmission to their own workqueues, so this path has no user there.
 */
#include <linux/mm.h>
#include <linux/percpu_counter.h>
#include "dm-crypt-mt.h"

/* ---- the bounce-page cap ---- */

/*
 * Stock's rule: bounce pages in flight are limited to 2 % of memory,
 * shared equally by the mappings, but each mapping may always have one
 * largest bio in flight.
 */
static atomic_t cmt_clients;

/*
 * Bounce pages in flight on all mappings, for debugfs only: every write
 * bio on every CPU adds to it and subtracts from it, so it is a
 * percpu_counter, not one atomic whose cache line every writing CPU would
 * take in turn.  The cap is checked against the mapping's own pages_out.
 */
static struct percpu_counter cmt_pages_total;

int cmt_io_init(void)
{
	return percpu_counter_init(&cmt_pages_total, 0, GFP_KERNEL);
}

void cmt_io_exit(void)
{
	percpu_counter_destroy(&cmt_pages_total);
}

void cmt_io_add_client(struct cmt_config *cc)
{
	atomic_inc(&cmt_clients);
}

void cmt_io_del_client(struct cmt_config *cc)
{
	atomic_dec(&cmt_clients);
}

unsigned long cmt_io_pages_cap(struct cmt_config *cc)
{
	unsigned long share = totalram_pages() / 50;

	share /= max(atomic_read(&cmt_clients), 1);
	return max_t(unsigned long, share, BIO_MAX_VECS);
}

/* Exact while no bounce page moves; debugfs reads it rarely. */
long cmt_io_pages_in_flight(void)
{
	return percpu_counter_sum(&cmt_pages_total);
}

/*
 * Account @nr bounce pages to @cc.  Over its share and with pages in
 * flight (whose completions make room), the submitting task waits; with
 * nothing in flight a mapping always gets its pages.
 */
static void cmt_pages_get(struct cmt_config *cc, unsigned int nr,
			  bool may_wait)
{
	unsigned long cap = cmt_io_pages_cap(cc);
	unsigned int out;

	for (;;) {
		out = atomic_add_return(nr, &cc->pages_out);
		if (out <= cap || out == nr || !may_wait)
			break;
		atomic_sub(nr, &cc->pages_out);
		if (wq_has_sleeper(&cc->pages_wait))
			wake_up(&cc->pages_wait);
		wait_event(cc->pages_wait,
			   atomic_read(&cc->pages_out) + nr <= cap ||
			   !atomic_read(&cc->pages_out));
	}
	percpu_counter_add(&cmt_pages_total, nr);
}

/* Any context. */
static void cmt_pages_put(struct cmt_config *cc, unsigned int nr)
{
	percpu_counter_sub(&cmt_pages_total, nr);
	atomic_sub(nr, &cc->pages_out);
	if (wq_has_sleeper(&cc->pages_wait))
		wake_up(&cc->pages_wait);
}

/* ---- the end ---- */

static void cmt_io_end(struct cmt_io *io)
{
	struct bio *base = io->base_bio;

	if (io->status)
		base->bi_status = io->status;
	bio_endio(base);
}

static void cmt_io_fail(struct cmt_io *io, blk_status_t status)
{
	io->status = status;
	cmt_io_end(io);
}

/* convert.c: the last participant is done with the data. */
void cmt_io_converted(struct cmt_io *io)
{
	if (io->write)
		complete(&io->done);	/* cmt_write() waits for this */
	else
		cmt_io_end(io);
}

/* ---- write bounce pages ---- */

/*
 * Each mapping keeps a reserve of BIO_MAX_VECS bounce pages (1 MiB), which
 * it needs for forward progress anyway, and uses it *first*: pages freed at
 * completion refill it before anything goes back to the page allocator.  A
 * steady writer thus cycles through the same pages and skips the page
 * allocator, and the zeroing that init_on_alloc (Debian's default) does on
 * every allocation: in the emulated VM that was ~2 ms of a 1 MiB write's
 * ~13, spent on the submitter's CPU while its helpers waited.  Bounce pages
 * only ever hold ciphertext, and a clone covers only bytes that were
 * encrypted into it, so reusing one unzeroed leaks nothing.
 *
 * The reserve is taken from and refilled a bio at a time, under one lock
 * each: a mempool would take its lock once per page, 512 times per 1 MiB
 * write, on a line shared by every CPU writing to the mapping.  Beyond
 * the reserve (deep queues, many writers) pages come from the page
 * allocator without waiting; only a submitter that may wait then sleeps
 * until its mapping's completions bring pages back (see the top of the
 * file for why that wait is safe).
 */

/* Fill @cc's reserve.  Constructor only. */
int cmt_io_init_pages(struct cmt_config *cc)
{
	struct cmt_page_reserve *res = &cc->bounce;
	struct page *page;

	spin_lock_init(&res->lock);
	init_waitqueue_head(&res->wait);
	while (res->nr < BIO_MAX_VECS) {
		page = alloc_page(GFP_KERNEL);
		if (!page)
			return -ENOMEM;
		res->page[res->nr++] = page;
	}
	return 0;
}

/* Destructor (also of a half-built mapping): no I/O is left. */
void cmt_io_exit_pages(struct cmt_config *cc)
{
	struct cmt_page_reserve *res = &cc->bounce;

	while (res->nr)
		__free_page(res->page[--res->nr]);
}

/* Put bounce page @page at the end of @clone, *@size bytes still to cover. */
static void cmt_add_bounce(struct bio *clone, struct page *page,
			   unsigned int *size)
{
	unsigned int len = min_t(unsigned int, *size, PAGE_SIZE);

	__bio_add_page(clone, page, len, 0);
	*size -= len;
}

/*
 * Move up to @want pages of the reserve to the end of @clone, the bio's
 * data left to cover being *@size.  Any context.  Returns how many moved.
 */
static unsigned int cmt_reserve_take(struct cmt_config *cc, struct bio *clone,
				     unsigned int want, unsigned int *size)
{
	struct cmt_page_reserve *res = &cc->bounce;
	unsigned long flags;
	unsigned int n;

	if (!READ_ONCE(res->nr))	/* a hint, checked again under the lock */
		return 0;
	spin_lock_irqsave(&res->lock, flags);
	for (n = 0; n < want && res->nr; n++)
		cmt_add_bounce(clone, res->page[--res->nr], size);
	spin_unlock_irqrestore(&res->lock, flags);
	return n;
}

/*
 * The bounce pages of @clone go back: to the reserve until it is full, the
 * rest to the page allocator.  Any context, hard IRQ included.
 */
static void cmt_free_pages(struct cmt_config *cc, struct bio *clone)
{
	struct cmt_page_reserve *res = &cc->bounce;
	struct bvec_iter_all iter;
	struct bio_vec *bv;
	unsigned long flags;
	unsigned int kept = 0, i = 0;

	spin_lock_irqsave(&res->lock, flags);
	bio_for_each_segment_all(bv, clone, iter) {
		if (res->nr == BIO_MAX_VECS)
			break;
		res->page[res->nr++] = bv->bv_page;
		kept++;
	}
	spin_unlock_irqrestore(&res->lock, flags);
	if (kept < clone->bi_vcnt) {
		bio_for_each_segment_all(bv, clone, iter)
			if (i++ >= kept)
				__free_page(bv->bv_page);
	}
	/* pairs with the waiter's check in cmt_alloc_write_clone() */
	if (kept && wq_has_sleeper(&res->wait))
		wake_up(&res->wait);
}

/* ---- writes ---- */

/* Any context. */
static void cmt_write_endio(struct bio *clone)
{
	struct cmt_io *io = clone->bi_private;
	struct cmt_config *cc = io->cc;
	unsigned int nr = clone->bi_vcnt;

	if (clone->bi_status)
		io->status = clone->bi_status;
	cmt_free_pages(cc, clone);
	bio_put(clone);
	cmt_pages_put(cc, nr);
	cmt_io_end(io);
}

/*
 * A bio of bounce pages as large as the original: the reserve's pages
 * first, then new ones that can be had at once.  When that is not enough
 * and @may_wait, everything is given back and a second pass, under
 * alloc_lock, waits for the mapping's completions to refill the reserve
 * (and for the write bio set) instead of failing.  Only one submitter waits
 * while holding pages, so two large writes cannot each hold half of the
 * reserve and wait for the other half forever; the others hold pages only
 * while they do not wait.
 */
static struct bio *cmt_alloc_write_clone(struct cmt_io *io, bool may_wait)
{
	struct cmt_config *cc = io->cc;
	struct bio *base = io->base_bio;
	unsigned int nr = DIV_ROUND_UP(base->bi_iter.bi_size, PAGE_SIZE);
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	unsigned int i, size;
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
	i = 0;
	/*
	 * While a second pass runs, what comes back to the reserve is for
	 * it: a first pass that could wait leaves the reserve alone, so a
	 * stream of small writes cannot starve a waiting large one.
	 */
	if (gfp & __GFP_DIRECT_RECLAIM || !may_wait ||
	    !mutex_is_locked(&cc->alloc_lock))
		i = cmt_reserve_take(cc, clone, nr, &size);
	while (i < nr) {
		/* no reclaim, no emergency reserves: ours is the reserve */
		page = alloc_page(GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC);
		if (page) {
			cmt_add_bounce(clone, page, &size);
			i++;
			continue;
		}
		if (!(gfp & __GFP_DIRECT_RECLAIM)) {
			cmt_free_pages(cc, clone);
			bio_put(clone);
			goto fail;
		}
		/* the second pass: wait for pages to come back */
		wait_event(cc->bounce.wait, READ_ONCE(cc->bounce.nr));
		i += cmt_reserve_take(cc, clone, nr - i, &size);
	}
	if (gfp & __GFP_DIRECT_RECLAIM)
		mutex_unlock(&cc->alloc_lock);
	clone->bi_iter.bi_sector = cc->start + io->sector;
	clone->bi_private = io;
	clone->bi_end_io = cmt_write_endio;
	clone->bi_ioprio = base->bi_ioprio;
	return clone;

fail:
	/* bio_alloc_bioset() never fails with GFP_NOIO, nor does the wait */
	if (gfp & __GFP_DIRECT_RECLAIM) {
		mutex_unlock(&cc->alloc_lock);
		return NULL;
	}
	if (!may_wait)
		return NULL;
	gfp = GFP_NOIO;
	goto retry;
}

/*
 * Encrypt into bounce pages and send them down, all from the submitting
 * task: it converts a share itself when the mapping may use its CPU, waits
 * for the helpers (jobs that always finish), and submits.
 */
static void cmt_write(struct cmt_io *io, bool nested)
{
	struct cmt_config *cc = io->cc;
	struct bio *base = io->base_bio;
	unsigned int nr = DIV_ROUND_UP(base->bi_iter.bi_size, PAGE_SIZE);
	bool spread;

	if (!nested)
		might_sleep();
	cmt_pages_get(cc, nr, !nested);
	io->clone = cmt_alloc_write_clone(io, !nested);
	if (!io->clone) {
		cmt_pages_put(cc, nr);
		cmt_io_fail(io, BLK_STS_RESOURCE);
		return;
	}
	io->bio_in = base;
	io->iter_in = base->bi_iter;
	io->bio_out = io->clone;
	io->iter_out = io->clone->bi_iter;
	init_completion(&io->done);

	/*
	 * Nested in our own job: no helpers, all here, since waiting for other
	 * jobs from inside one could wait in a circle.
	 */
	spread = !nested && !test_bit(CMT_NO_WRITE_WQ, &cc->flags) &&
		 !test_bit(CMT_SAME_CPU, &cc->flags);
	cmt_convert_prepare(io, spread);
	if (nested || cmt_cpu_allowed(cc, raw_smp_processor_id()))
		cmt_convert_bio(io, CMT_MAP);
	else
		cmt_convert_queued(io);
	wait_for_completion(&io->done);

	if (io->status) {
		cmt_free_pages(cc, io->clone);
		bio_put(io->clone);
		cmt_pages_put(cc, nr);
		cmt_io_end(io);
		return;
	}
	dm_submit_bio_remap(base, io->clone);
}

/* ---- reads ---- */

/*
 * Any context, hard IRQ included.  A piece of a read sent down in pieces
 * first hands its chunks to helpers (cmt_convert_piece_done()); only the
 * last piece back goes on.  Decrypt right here when that cannot stall
 * interrupts (not hard IRQ, interrupts on) and the mapping may use this
 * CPU: small bios and no_read_workqueue always, large ones only when we
 * run in a task (brd, loop, null_blk, a lower mapping's job), not in
 * softirq.  Nothing here sleeps (CMT_ATOMIC): the driver may complete
 * under a lock or rcu_read_lock (null_blk inside ->queue_rq), and even in
 * one of our jobs we do not know what the code between holds.  Large bios
 * get helpers on idle CPUs, wherever their starter runs.
 */
static void cmt_read_endio(struct bio *clone)
{
	struct cmt_piece *p = clone->bi_private;
	struct cmt_io *io = p->io;
	struct cmt_config *cc = io->cc;
	blk_status_t status = clone->bi_status;
	bool small, nowq;

	bio_put(clone);
	if (io->nr_pieces > 1) {
		if (!cmt_convert_piece_done(p, status))
			return;		/* not the last piece: io may be gone */
	} else if (unlikely(status)) {
		cmt_io_fail(io, status);
		return;
	}

	small = io->iter_in.bi_size <= cmt_knob(cc, CMT_INLINE_MAX);
	nowq = test_bit(CMT_NO_READ_WQ, &cc->flags);
	if (!in_hardirq() && !irqs_disabled() &&
	    cmt_cpu_allowed(cc, raw_smp_processor_id()) &&
	    (small || nowq || in_task()))
		cmt_convert_bio(io, CMT_ATOMIC);
	else
		cmt_convert_queued(io);
}

/*
 * The clones share the bio's pages (immutable biovecs), so the data is
 * decrypted in place in the original bio when the read ends.  A large read
 * that is to be spread goes down in pieces (convert.c): the first clone
 * may wait for the mapping's reserve, the others are only taken when they
 * can be had at once, so a read never waits while holding clones that
 * are not submitted.  Fewer clones than wanted make fewer, larger pieces.
 */
static void cmt_read(struct cmt_io *io, bool nested)
{
	struct cmt_config *cc = io->cc;
	struct bio *base = io->base_bio;
	struct bio *clones[CMT_MAX_PIECES];
	unsigned int n, want, k, off, len;
	bool small, spread;

	io->bio_in = base;
	io->bio_out = base;
	io->iter_in = base->bi_iter;
	io->iter_out = base->bi_iter;
	small = base->bi_iter.bi_size <= cmt_knob(cc, CMT_INLINE_MAX);
	spread = !small && !test_bit(CMT_NO_READ_WQ, &cc->flags) &&
		 !test_bit(CMT_SAME_CPU, &cc->flags);
	want = cmt_convert_prepare(io, spread);

	clones[0] = bio_alloc_clone(cc->dev->bdev, base,
				    GFP_NOWAIT | __GFP_NOWARN, &cc->read_bs);
	if (!clones[0] && !nested) {
		might_sleep();
		clones[0] = bio_alloc_clone(cc->dev->bdev, base, GFP_NOIO,
					    &cc->read_bs);
	}
	if (!clones[0]) {
		cmt_io_fail(io, BLK_STS_RESOURCE);
		return;
	}
	for (n = 1; n < want; n++) {
		clones[n] = bio_alloc_clone(cc->dev->bdev, base,
					    GFP_NOWAIT | __GFP_NOWARN,
					    &cc->read_bs);
		if (!clones[n])
			break;
	}
	cmt_convert_set_pieces(io, n);
	if (n > 1)
		cmt_count(pieces, n - 1);

	/*
	 * Each piece holds a reference on the io until it is back, and the
	 * last one is not submitted before the loop's last round: io and base
	 * stay valid throughout.
	 */
	for (k = 0; k < n; k++) {
		struct bio *clone = clones[k];

		clone->bi_iter.bi_sector = cc->start + io->sector;
		if (n > 1) {
			cmt_convert_piece_range(io, k, &off, &len);
			bio_trim(clone, off >> SECTOR_SHIFT, len >> SECTOR_SHIFT);
		}
		clone->bi_private = &io->piece[k];
		clone->bi_end_io = cmt_read_endio;
		dm_submit_bio_remap(base, clone);
	}
}

/* ---- entry from map() ---- */

/*
 * Per-bio data: struct cmt_io, whose last member is the starter's struct
 * cmt_conv, then that participant's skcipher request with the transform's
 * request context, then two IVs, the first aligned as the transform asks.
 * A helper's state has the same tail (cmt_helper_size()).
 */
unsigned int cmt_io_data_size(struct cmt_config *cc, unsigned int reqsize,
			      unsigned int alignmask)
{
	unsigned int size;

	cc->conv_req_offset = ALIGN(sizeof(struct cmt_conv),
				    __alignof__(struct skcipher_request));
	cc->conv_iv_offset = cc->conv_req_offset +
			     sizeof(struct skcipher_request) + reqsize;
	cc->iv_align = alignmask + 1;
	/* worst-case padding: per-bio data is only ARCH_KMALLOC_MINALIGN aligned */
	size = offsetof(struct cmt_io, conv) + cc->conv_iv_offset + alignmask +
	       2 * cc->iv_size;
	return ALIGN(size, ARCH_KMALLOC_MINALIGN);
}

/*
 * map() runs in the submitting task (or dm's own worker), where sleeping
 * is allowed: dm refuses REQ_NOWAIT bios for targets that do not declare
 * support, and submit_bio() itself may sleep.
 */
void cmt_io_map(struct cmt_config *cc, struct bio *bio, sector_t sector)
{
	struct cmt_io *io = dm_per_bio_data(bio, cc->per_bio_data_size);
	bool nested = cmt_in_own_worker();

	io->cc = cc;
	io->base_bio = bio;
	io->clone = NULL;
	io->sector = sector;
	io->status = BLK_STS_OK;
	io->write = bio_data_dir(bio) == WRITE;
	if (io->write)
		cmt_write(io, nested);
	else
		cmt_read(io, nested);
}
