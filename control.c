// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime controls and counters.
 *
 * Controls are module parameters (/sys/module/crypt_mt/parameters/, also
 * on the kernel or modprobe command line) that every mapping follows, and
 * per-mapping overrides set with dm messages:
 *
 *   dmsetup message <dev> 0 set <name> <value>|default
 *   dmsetup message <dev> 0 show
 *
 *   cpus        CPUs that may convert data (a cpulist, or "all": those
 *               the kernel has not isolated, see cmt_all_cpus)
 *   spread_max  most CPUs one bio is spread over, the starter included
 *               (0: as many as it has chunks; 1: no spreading)
 *   spread_min  bios smaller than this (bytes) are not spread
 *   chunk_size  bytes one CPU converts at a time (rounded down to whole
 *               encryption sectors)
 *   inline_max  a read completing in softirq is decrypted there if it is
 *               at most this large (bytes); larger ones go to a worker
 *
 * None of this changes the table or status lines, which stay stock's for
 * cryptsetup.  Values are read locklessly on the I/O path (READ_ONCE, and
 * RCU for the CPU lists): a change applies to bios that start after it.
 *
 * Counters: per CPU, in /sys/kernel/debug/crypt-mt/stats, and the bounce
 * pages in flight in /sys/kernel/debug/crypt-mt/pages.
 */
#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/sched/isolation.h>
#include <linux/seq_file.h>
#include "dm-crypt-mt.h"

DEFINE_PER_CPU(struct cmt_stats, cmt_stats);

/* ---- controls ---- */

static unsigned int cmt_knob_param[CMT_NR_KNOBS] = {
	/* a queue hop costs more than decrypting a few KiB (README) */
	[CMT_INLINE_MAX] = 16384,
	[CMT_SPREAD_MAX] = 0,
	/*
	 * Spread only what has two chunks or more.  64 KiB: sixteen pieces
	 * of a 1 MiB bio, enough for 16 CPUs, each still far longer to
	 * encrypt than taking it (one atomic) or waking a helper costs.
	 * Reasoned, not tuned by a sweep (README, "Why these defaults").
	 */
	[CMT_SPREAD_MIN] = 131072,
	[CMT_CHUNK_SIZE] = 65536,
};

static const char * const cmt_knob_name[CMT_NR_KNOBS] = {
	[CMT_INLINE_MAX] = "inline_max",
	[CMT_SPREAD_MAX] = "spread_max",
	[CMT_SPREAD_MIN] = "spread_min",
	[CMT_CHUNK_SIZE] = "chunk_size",
};

module_param_named(inline_max, cmt_knob_param[CMT_INLINE_MAX], uint, 0644);
MODULE_PARM_DESC(inline_max,
		 "largest read (bytes) decrypted in its softirq completion instead of a worker");
module_param_named(spread_max, cmt_knob_param[CMT_SPREAD_MAX], uint, 0644);
MODULE_PARM_DESC(spread_max,
		 "most CPUs one bio's crypto is spread over (0: no limit but its chunks, 1: no spreading)");
module_param_named(spread_min, cmt_knob_param[CMT_SPREAD_MIN], uint, 0644);
MODULE_PARM_DESC(spread_min, "smallest bio (bytes) spread over several CPUs");
module_param_named(chunk_size, cmt_knob_param[CMT_CHUNK_SIZE], uint, 0644);
MODULE_PARM_DESC(chunk_size, "bytes of a bio one CPU converts at a time");

unsigned int cmt_knob(struct cmt_config *cc, enum cmt_knob k)
{
	unsigned int v = READ_ONCE(cc->knobs[k]);

	return v != CMT_KNOB_UNSET ? v : READ_ONCE(cmt_knob_param[k]);
}

/* NULL: "all".  Replaced under kernel_param_lock, read under RCU. */
static struct cmt_cpus __rcu *cmt_cpus_param;

/*
 * What "all" means: the CPUs on which the kernel runs unbound work, as the
 * workqueue code's own default (wq_unbound_cpumask), i.e. not those taken
 * out with isolcpus= (HK_TYPE_DOMAIN) or nohz_full= (HK_TYPE_WQ).  Stock
 * dm-crypt's unbound queues stay off them; our jobs are per CPU and would
 * not, so we leave those CPUs alone unless a cpulist names them.  The
 * masks are fixed at boot: computed once at load.
 */
static cpumask_var_t cmt_all_cpus;

/* "all" or "" -> NULL, else a non-empty list of possible CPUs. */
static struct cmt_cpus *cmt_cpus_parse(const char *val)
{
	struct cmt_cpus *c;
	char *s, *t;
	int r;

	s = kstrdup(val, GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	t = strim(s);
	if (!*t || !strcmp(t, "all")) {
		kfree(s);
		return NULL;
	}
	c = kzalloc(offsetof(struct cmt_cpus, mask) + cpumask_size(), GFP_KERNEL);
	if (!c) {
		kfree(s);
		return ERR_PTR(-ENOMEM);
	}
	r = cpulist_parse(t, &c->mask);
	kfree(s);
	if (!r && !cpumask_intersects(&c->mask, cpu_possible_mask))
		r = -EINVAL;
	if (r) {
		kfree(c);
		return ERR_PTR(r);
	}
	return c;
}

static int cmt_cpus_print(char *buf, size_t size, struct cmt_cpus *c)
{
	if (!c)
		return scnprintf(buf, size, "all");
	return scnprintf(buf, size, "%*pbl", cpumask_pr_args(&c->mask));
}

static int cmt_cpus_param_set(const char *val, const struct kernel_param *kp)
{
	struct cmt_cpus *new = cmt_cpus_parse(val), *old;

	if (IS_ERR(new))
		return PTR_ERR(new);
	/* module_param writers hold kernel_param_lock */
	old = rcu_replace_pointer(cmt_cpus_param, new, true);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

static int cmt_cpus_param_get(char *buf, const struct kernel_param *kp)
{
	int n;

	rcu_read_lock();
	n = cmt_cpus_print(buf, PAGE_SIZE - 1, rcu_dereference(cmt_cpus_param));
	rcu_read_unlock();
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

/*
 * The module's last use of the parameter: after its sysfs file is gone,
 * at unload or when init failed (a setter may still run between exit()
 * and the removal of the file, so exit() does not free it).
 */
static void cmt_cpus_param_free(void *arg)
{
	kfree(rcu_dereference_protected(cmt_cpus_param, true));
	RCU_INIT_POINTER(cmt_cpus_param, NULL);
}

static const struct kernel_param_ops cmt_cpus_ops = {
	.set = cmt_cpus_param_set,
	.get = cmt_cpus_param_get,
	.free = cmt_cpus_param_free,
};
module_param_cb(cpus, &cmt_cpus_ops, NULL, 0644);
MODULE_PARM_DESC(cpus, "CPUs that may convert data (cpulist or \"all\")");

/* The caller holds rcu_read_lock(); the mask is valid until it drops it. */
const struct cpumask *cmt_allowed_cpus(struct cmt_config *cc)
{
	struct cmt_cpus *c = rcu_dereference(cc->cpus);

	if (!c)
		c = rcu_dereference(cmt_cpus_param);
	return c ? &c->mask : cmt_all_cpus;
}

bool cmt_cpu_allowed(struct cmt_config *cc, unsigned int cpu)
{
	bool r;

	rcu_read_lock();
	r = cpumask_test_cpu(cpu, cmt_allowed_cpus(cc));
	rcu_read_unlock();
	return r;
}

/* dm does not serialise a device's messages: this does, for the controls. */
static DEFINE_MUTEX(cmt_msg_lock);

static int cmt_set_knob(struct cmt_config *cc, const char *name,
			const char *val)
{
	struct cmt_cpus *new, *old;
	unsigned int k, v;

	if (!strcmp(name, "cpus")) {
		new = NULL;
		if (strcmp(val, "default")) {
			new = cmt_cpus_parse(val);
			if (IS_ERR(new))
				return PTR_ERR(new);
			/* "all" for this mapping, whatever the parameter says */
			if (!new) {
				new = kzalloc(offsetof(struct cmt_cpus, mask) +
					      cpumask_size(), GFP_KERNEL);
				if (!new)
					return -ENOMEM;
				cpumask_copy(&new->mask, cmt_all_cpus);
			}
		}
		mutex_lock(&cmt_msg_lock);
		old = rcu_replace_pointer(cc->cpus, new,
					  lockdep_is_held(&cmt_msg_lock));
		mutex_unlock(&cmt_msg_lock);
		if (old)
			kfree_rcu(old, rcu);
		return 0;
	}
	for (k = 0; k < CMT_NR_KNOBS; k++)
		if (!strcmp(name, cmt_knob_name[k]))
			break;
	if (k == CMT_NR_KNOBS)
		return -EINVAL;
	if (!strcmp(val, "default"))
		v = CMT_KNOB_UNSET;
	else if (cmt_parse_uint(val, &v) || v == CMT_KNOB_UNSET)
		return -EINVAL;
	WRITE_ONCE(cc->knobs[k], v);
	return 0;
}

static void cmt_show(struct cmt_config *cc, char *result, unsigned int maxlen)
{
	unsigned int sz = 0, k;
	struct cmt_cpus *c;
	bool any = false;

	rcu_read_lock();
	c = rcu_dereference(cc->cpus) ?: rcu_dereference(cmt_cpus_param);
	if (c)
		DMEMIT("cpus=%*pbl", cpumask_pr_args(&c->mask));
	else
		DMEMIT("cpus=all");
	rcu_read_unlock();
	for (k = 0; k < CMT_NR_KNOBS; k++)
		DMEMIT(" %s=%u", cmt_knob_name[k], cmt_knob(cc, k));
	DMEMIT(" pages_in_flight=%d pages_cap=%lu overrides=",
	       atomic_read(&cc->pages_out), cmt_io_pages_cap(cc));
	if (rcu_access_pointer(cc->cpus)) {
		DMEMIT("cpus");
		any = true;
	}
	for (k = 0; k < CMT_NR_KNOBS; k++) {
		if (READ_ONCE(cc->knobs[k]) == CMT_KNOB_UNSET)
			continue;
		DMEMIT("%s%s", any ? "," : "", cmt_knob_name[k]);
		any = true;
	}
	if (!any)
		DMEMIT("none");
}

/*
 * "set <name> <value>" and "show"; any time, the device need not be
 * suspended.  Returns -EINVAL for anything else, with the caller's message
 * for unknown ones.
 */
int cmt_control_message(struct cmt_config *cc, unsigned int argc, char **argv,
			char *result, unsigned int maxlen)
{
	int r;

	if (argc == 1 && !strcasecmp(argv[0], "show")) {
		cmt_show(cc, result, maxlen);
		return 1;	/* dm: the result holds text */
	}
	if (argc != 3 || strcasecmp(argv[0], "set"))
		return -ENOTTY;
	r = cmt_set_knob(cc, argv[1], argv[2]);
	if (r)	/* not the value: it could be a key pasted in the wrong place */
		DMWARN("set: invalid name or value");
	return r;
}

void cmt_control_init_mapping(struct cmt_config *cc)
{
	unsigned int k;

	for (k = 0; k < CMT_NR_KNOBS; k++)
		cc->knobs[k] = CMT_KNOB_UNSET;
	RCU_INIT_POINTER(cc->cpus, NULL);
}

/* No I/O can read cc->cpus any more (the mapping is going). */
void cmt_control_free(struct cmt_config *cc)
{
	kfree(rcu_dereference_protected(cc->cpus, true));
	RCU_INIT_POINTER(cc->cpus, NULL);
}

/* ---- counters ---- */

static struct dentry *cmt_debugfs;

static int cmt_stats_show(struct seq_file *m, void *v)
{
	unsigned int cpu;

	seq_puts(m, "cpu bios inline queued bytes sent helped wasted pieces\n");
	for_each_possible_cpu(cpu) {
		struct cmt_stats *s = per_cpu_ptr(&cmt_stats, cpu);

		if (!cpu_online(cpu) && !READ_ONCE(s->bios) && !READ_ONCE(s->bytes))
			continue;
		seq_printf(m, "%u %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, READ_ONCE(s->bios), READ_ONCE(s->inl),
			   READ_ONCE(s->queued), READ_ONCE(s->bytes),
			   READ_ONCE(s->sent), READ_ONCE(s->helped),
			   READ_ONCE(s->wasted), READ_ONCE(s->pieces));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cmt_stats);

static int cmt_pages_show(struct seq_file *m, void *v)
{
	seq_printf(m, "in_flight %ld\ncap_total %lu\n", cmt_io_pages_in_flight(),
		   totalram_pages() / 50);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cmt_pages);

int cmt_control_init(void)
{
	if (!alloc_cpumask_var(&cmt_all_cpus, GFP_KERNEL))
		return -ENOMEM;
	cpumask_and(cmt_all_cpus, housekeeping_cpumask(HK_TYPE_DOMAIN),
		    housekeeping_cpumask(HK_TYPE_WQ));
	if (cpumask_empty(cmt_all_cpus))	/* cannot be; be safe anyway */
		cpumask_copy(cmt_all_cpus, cpu_possible_mask);
	if (!cpumask_equal(cmt_all_cpus, cpu_possible_mask))
		DMINFO("cpus=all is %*pbl: the other CPUs are isolated",
		       cpumask_pr_args(cmt_all_cpus));

	/* debugfs is optional: a failure only means no counters to read */
	cmt_debugfs = debugfs_create_dir(CMT_TARGET_NAME, NULL);
	debugfs_create_file("stats", 0444, cmt_debugfs, NULL, &cmt_stats_fops);
	debugfs_create_file("pages", 0444, cmt_debugfs, NULL, &cmt_pages_fops);
	return 0;
}

void cmt_control_exit(void)
{
	debugfs_remove_recursive(cmt_debugfs);
	/* the cpus parameter is freed by cmt_cpus_param_free() */
	free_cpumask_var(cmt_all_cpus);
}
