// SPDX-License-Identifier: GPL-2.0
/*
 * The global workers, made once at module load and shared by every mapping,
 * and the choice of CPUs for work.
 *
 * One worker per CPU and priority: a static work item on a bound
 * (per-CPU) WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM queue, draining a lock-free
 * list of jobs that any CPU may add to (WireGuard's shape).  The items live
 * as long as the module, so "is this task one of our workers" compares the
 * running item's address with ours and never reads I/O state that may be
 * gone: in a stack, an upper mapping's read completion runs inside a lower
 * mapping's job, after the lower bio's per-bio data was freed.
 *
 * What makes sharing the workers safe (rule for every job): a job converts
 * data and nothing else.  It never waits for memory, for a bio, for another
 * job or for an asynchronous crypto request (its callback queues the rest),
 * and it never submits a bio.  So a job always finishes, whatever the other
 * mappings (stacked on each other, or on loop files on each other) are
 * doing, and one worker per CPU is enough; the rescuer of WQ_MEM_RECLAIM
 * runs them when no worker can be created.  Waiting for reserves, and
 * submitting, happen in the task that called map (io.c).  The one
 * exception is not ours to prevent: a completion handler that submits a
 * bio synchronously from inside a job (none in the kernel does) runs that
 * bio's map, and the layers below, in the job; io.c keeps our part of it
 * from waiting for a reserve.
 *
 * When a CPU goes offline, the workqueue core runs its pending items on
 * other CPUs; nothing here depends on staying on one CPU.
 */
#include <linux/cpumask.h>
#include <linux/topology.h>
#include "dm-crypt-mt.h"

struct cmt_worker {
	struct work_struct work;
	struct llist_head jobs;
};

struct cmt_pcpu {
	struct cmt_worker w[2];		/* normal, high priority */
	/* participants converting on this CPU or queued to it */
	atomic_t load;
} ____cacheline_aligned_in_smp;

static struct cmt_pcpu *cmt_pcpu;	/* [nr_cpu_ids] */
static struct workqueue_struct *cmt_wq[2];
/* where this CPU's next search for helpers starts; local use only */
static DEFINE_PER_CPU(unsigned int, cmt_cursor);

static void cmt_worker_fn(struct work_struct *work)
{
	struct cmt_worker *w = container_of(work, struct cmt_worker, work);
	struct cmt_job *job, *next;
	struct llist_node *list;

	/* oldest first; a job may free itself or queue itself again */
	list = llist_reverse_order(llist_del_all(&w->jobs));
	llist_for_each_entry_safe(job, next, list, node) {
		job->fn(job);
		cond_resched();
	}
}

/*
 * Any context.  The first job on an empty list queues the worker; while
 * the list is not empty the worker is queued or has not yet taken it.
 */
void cmt_queue_job(struct cmt_job *job, void (*fn)(struct cmt_job *job),
		   unsigned int cpu, bool high)
{
	struct cmt_worker *w = &cmt_pcpu[cpu].w[high];

	job->fn = fn;
	if (llist_add(&job->node, &w->jobs))
		queue_work_on(cpu, cmt_wq[high], &w->work);
}

/*
 * True when the current task is one of our workers (or a rescuer of our
 * queues) running its item.  Only addresses are compared.
 */
bool cmt_in_own_worker(void)
{
	struct work_struct *w;

	if (!in_task() || !(current->flags & PF_WQ_WORKER))
		return false;
	w = current_work();
	return (void *)w >= (void *)cmt_pcpu &&
	       (void *)w < (void *)(cmt_pcpu + nr_cpu_ids);
}

void cmt_load_add(unsigned int cpu, int n)
{
	atomic_add(n, &cmt_pcpu[cpu].load);
}

/*
 * The CPU where work of @cc runs when it has no better place: this one if
 * the mapping may use it, else an allowed online CPU, on this node first.
 * If none of the allowed CPUs is online, this one.  From preemptible
 * context the answer may be stale by the time it is used: it is a choice
 * of place, not a claim on a CPU.
 */
int cmt_home_cpu(struct cmt_config *cc)
{
	unsigned int self = raw_smp_processor_id(), cpu, best = self;
	int node = cpu_to_node(self);
	const struct cpumask *allowed;

	rcu_read_lock();
	allowed = cmt_allowed_cpus(cc);
	if (cpumask_test_cpu(self, allowed))
		goto out;
	for_each_cpu_wrap(cpu, allowed, self) {
		if (!cpu_online(cpu))
			continue;
		if (best == self || cpu_to_node(cpu) == node)
			best = cpu;
		if (cpu_to_node(cpu) == node)
			break;
	}
out:
	rcu_read_unlock();
	return best;
}

/*
 * Find up to @want CPUs that may help with a bio started on @self: allowed
 * for the mapping, online, not @self, and with nothing of ours to do (load
 * 0).  This node first, then the others; each search starts where the last
 * one from this CPU stopped, so that submitters on different CPUs do not
 * all pick the lowest numbers.  Each CPU found is claimed (load + 1) at
 * once, so that concurrent searches see it busy; the caller gives back
 * what it does not use.  The scan is bounded by the allowed CPUs, and
 * stops as soon as enough are found.
 */
unsigned int cmt_pick_helpers(struct cmt_config *cc, unsigned int self,
			      unsigned int want, unsigned int *cpus)
{
	unsigned int n = 0, cpu, start, pass;
	int node = cpu_to_node(self);
	const struct cpumask *allowed;

	if (!want)
		return 0;
	start = (self + 1 + this_cpu_read(cmt_cursor)) % nr_cpu_ids;
	rcu_read_lock();
	allowed = cmt_allowed_cpus(cc);
	for (pass = 0; pass < 2 && n < want; pass++) {
		for_each_cpu_wrap(cpu, allowed, start) {
			if (cpu == self || !cpu_online(cpu) ||
			    (cpu_to_node(cpu) == node) == pass)
				continue;
			if (atomic_read(&cmt_pcpu[cpu].load) ||
			    atomic_cmpxchg(&cmt_pcpu[cpu].load, 0, 1))
				continue;
			cpus[n++] = cpu;
			if (n == want)
				break;
		}
	}
	rcu_read_unlock();
	this_cpu_add(cmt_cursor, n);
	return n;
}

/* Only at module unload: no mapping exists, so nothing can be queued. */
void cmt_wq_exit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmt_wq); i++) {
		if (cmt_wq[i])
			destroy_workqueue(cmt_wq[i]);
		cmt_wq[i] = NULL;
	}
	kfree(cmt_pcpu);
	cmt_pcpu = NULL;
}

int cmt_wq_init(void)
{
	unsigned int cpu, i;

	cmt_pcpu = kcalloc(nr_cpu_ids, sizeof(*cmt_pcpu), GFP_KERNEL);
	if (!cmt_pcpu)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		for (i = 0; i < ARRAY_SIZE(cmt_pcpu[cpu].w); i++) {
			INIT_WORK(&cmt_pcpu[cpu].w[i].work, cmt_worker_fn);
			init_llist_head(&cmt_pcpu[cpu].w[i].jobs);
		}
	}
	cmt_wq[0] = alloc_workqueue("kcryptd_mt",
				    WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0);
	cmt_wq[1] = alloc_workqueue("kcryptd_mt_hi", WQ_CPU_INTENSIVE |
				    WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!cmt_wq[0] || !cmt_wq[1]) {
		cmt_wq_exit();
		return -ENOMEM;
	}
	return 0;
}
