// SPDX-License-Identifier: GPL-2.0
/*
 * The global queues, made once at module load and shared by every mapping.
 *
 * crypt: per-CPU (bound), CPU-intensive.  Encryption of writes and
 *        decryption of reads run here on the CPU that queued them: the
 *        submitter's for writes, the completing CPU's for reads.
 * crypt_hi: the same with WQ_HIGHPRI, for tables with high_priority.
 * io:    per-CPU, for the first stage of a read whose clone could not be
 *        allocated without sleeping in map().  It is separate from crypt
 *        so that a read blocked on its bio set never sits in front of the
 *        decryptions that free those bios.
 *
 * All three have WQ_MEM_RECLAIM: they are on the write-out path, so each
 * has a rescuer that makes progress when no new worker can be created.
 * When a CPU goes offline, its pending items run on the remaining CPUs
 * (the workqueue core unbinds the pool); nothing here depends on staying
 * on one CPU, so nothing is stranded.
 */
#include "dm-crypt-mt.h"

static struct workqueue_struct *cmt_crypt_wq;
static struct workqueue_struct *cmt_crypt_hi_wq;
static struct workqueue_struct *cmt_io_wq;

static void cmt_destroy(struct workqueue_struct **wq)
{
	if (*wq)
		destroy_workqueue(*wq);
	*wq = NULL;
}

int cmt_wq_init(void)
{
	cmt_crypt_wq = alloc_workqueue("kcryptd_mt",
				       WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	cmt_crypt_hi_wq = alloc_workqueue("kcryptd_mt_hi", WQ_CPU_INTENSIVE |
					  WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	cmt_io_wq = alloc_workqueue("kcryptd_mt_io", WQ_MEM_RECLAIM, 0);
	if (!cmt_crypt_wq || !cmt_crypt_hi_wq || !cmt_io_wq) {
		cmt_wq_exit();
		return -ENOMEM;
	}
	return 0;
}

/* Only at module unload: no mapping exists, so nothing can be queued. */
void cmt_wq_exit(void)
{
	cmt_destroy(&cmt_io_wq);
	cmt_destroy(&cmt_crypt_hi_wq);
	cmt_destroy(&cmt_crypt_wq);
}

/*
 * queue_work() on a per-CPU queue picks the local CPU.  From interrupt
 * context that is the CPU the I/O completed on; from a task it is the CPU
 * it runs on at that instant, which is all "the submitter's CPU" can mean.
 */
void cmt_queue_crypt(struct cmt_config *cc, struct work_struct *work,
		     work_func_t fn)
{
	INIT_WORK(work, fn);
	queue_work(test_bit(CMT_HIGH_PRIORITY, &cc->flags) ?
		   cmt_crypt_hi_wq : cmt_crypt_wq, work);
}

void cmt_queue_io(struct work_struct *work, work_func_t fn)
{
	INIT_WORK(work, fn);
	queue_work(cmt_io_wq, work);
}

/*
 * True when the current task is one of our workers (or a rescuer of our
 * queues) running one of our items.  A bio submitted from there to another
 * crypt-mt device (crypt-mt stacked on crypt-mt) must be converted inline:
 * queueing it behind ourselves could leave it waiting for a rescuer that is
 * itself blocked on memory the nested bio would free.
 *
 * current_work() is per task, unlike the seed patch's per-CPU "worker"
 * pointer, which breaks as soon as a CPU has more than one worker.
 */
bool cmt_in_own_worker(void)
{
	struct work_struct *w;

	if (!in_task() || !(current->flags & PF_WQ_WORKER))
		return false;
	w = current_work();
	return w && cmt_is_own_work(w);
}
