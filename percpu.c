// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU transforms of a mapping.
 *
 * cc->cpu (alloc_percpu) says which set of transforms (struct cmt_tfms)
 * each CPU uses.  Sets are made for the CPUs online when the mapping is
 * made and for every CPU that comes online later (a CPU hotplug callback
 * with one instance per mapping), so a CPU that is possible but never runs
 * costs one pointer, not a set of transforms: with hundreds of possible
 * CPUs and `aes:64-cbc-lmk` that is the difference between tens of
 * thousands of transforms and a few.  A set stays when its CPU goes
 * offline: a task converting with it may have migrated and still use it.
 * If a set cannot be made for a CPU coming online, that CPU uses another
 * CPU's set (sharing a keyed transform between CPUs is safe, only slower).
 *
 * Every set runs the same implementation: the per-bio data is sized for one
 * transform's request context, and stock-compatible output needs one
 * algorithm.  Looking the name up for each set is not enough: the first
 * lookup may load a module that registers a better driver, which later
 * lookups would then get.  So the name is resolved once, by the first set,
 * and every later set is allocated by the driver name it resolved to.
 *
 * Keys: a set made when a CPU comes online needs the key, so the mapping
 * keeps it for its lifetime, as stock dm-crypt does, together with the keys
 * of the IV ciphers (derived by ESSIV, or subkeys for EBOIV).  tfms_lock
 * orders making and keying a set against key changes (constructor and
 * "key set"/"key wipe" messages, which run with the device suspended).
 */
#include <linux/cpuhotplug.h>
#include <linux/sched/mm.h>
#include <crypto/internal/cipher.h>
#include "dm-crypt-mt.h"

MODULE_IMPORT_NS(CRYPTO_INTERNAL);

static enum cpuhp_state cmt_cpuhp_state;

static void cmt_set_free(struct cmt_config *cc, struct cmt_tfms *set)
{
	unsigned int i;

	if (!set)
		return;
	for (i = 0; i < cc->tfms_count; i++) {
		/* crypto_free_* zeroes the key schedule it frees, and takes NULL */
		crypto_free_skcipher(set->tfms[i]);
		if (set->ivc)
			crypto_free_cipher(set->ivc[i]);
	}
	kfree(set->ivc);
	kfree(set);
}

static bool cmt_fits_first(struct cmt_config *cc, struct crypto_skcipher *tfm)
{
	struct crypto_skcipher *first = cmt_any_tfm(cc);

	return crypto_skcipher_reqsize(tfm) <= crypto_skcipher_reqsize(first) &&
	       crypto_skcipher_alignmask(tfm) <= crypto_skcipher_alignmask(first);
}

/*
 * Allocate one set.  With @cipher/@ivc the API names (the first set), the
 * drivers they resolve to are recorded in cc; later sets pass those.
 */
static struct cmt_tfms *cmt_set_alloc(struct cmt_config *cc,
				      const char *cipher, const char *ivc)
{
	struct cmt_tfms *set;
	unsigned int i;
	int r = -ENOMEM;

	set = kzalloc(struct_size(set, tfms, cc->tfms_count), GFP_KERNEL);
	if (!set)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < cc->tfms_count; i++) {
		set->tfms[i] = crypto_alloc_skcipher(cipher, 0,
						     CRYPTO_ALG_ALLOCATES_MEMORY);
		if (IS_ERR(set->tfms[i])) {
			r = PTR_ERR(set->tfms[i]);
			set->tfms[i] = NULL;
			goto bad;
		}
		/*
		 * The per-bio data holds one request of the first set's
		 * size and alignment: a later set must fit in it (a driver
		 * whose context size depends on what is loaded could differ).
		 */
		if (cc->any_set && !cmt_fits_first(cc, set->tfms[i])) {
			r = -EINVAL;
			goto bad;
		}
		if (cipher != cc->driver) {
			strscpy(cc->driver,
				crypto_skcipher_driver_name(set->tfms[i]),
				sizeof(cc->driver));
			cipher = cc->driver;
		}
	}
	if (!ivc)
		return set;
	set->ivc = kcalloc(cc->tfms_count, sizeof(*set->ivc), GFP_KERNEL);
	if (!set->ivc)
		goto bad;
	for (i = 0; i < cc->tfms_count; i++) {
		set->ivc[i] = crypto_alloc_cipher(ivc, 0, 0);
		if (IS_ERR(set->ivc[i])) {
			r = PTR_ERR(set->ivc[i]);
			set->ivc[i] = NULL;
			goto bad;
		}
		if (ivc != cc->ivc_driver) {
			struct crypto_tfm *t = crypto_cipher_tfm(set->ivc[i]);

			strscpy(cc->ivc_driver, crypto_tfm_alg_driver_name(t),
				sizeof(cc->ivc_driver));
			ivc = cc->ivc_driver;
		}
	}
	return set;
bad:
	cmt_set_free(cc, set);
	return ERR_PTR(r);
}

/* Subkey i of cc->key into cipher i of @set. */
static int cmt_set_cipher_keys(struct cmt_config *cc, struct cmt_tfms *set)
{
	unsigned int subkey_size = cmt_subkey_size(cc), i;
	int r, err = 0;

	for (i = 0; i < cc->tfms_count; i++) {
		r = crypto_skcipher_setkey(set->tfms[i], cc->key + i * subkey_size,
					   subkey_size);
		if (r)
			err = r;
	}
	return err;
}

static int cmt_set_ivc_keys(struct cmt_config *cc, struct cmt_tfms *set)
{
	unsigned int i;
	int r, err = 0;

	if (!set->ivc || !cc->ivc_keys)
		return 0;
	for (i = 0; i < cc->tfms_count; i++) {
		r = crypto_cipher_setkey(set->ivc[i],
					 cc->ivc_keys + i * cc->ivc_key_len,
					 cc->ivc_key_len);
		if (r)
			err = r;
	}
	return err;
}

/*
 * A CPU comes online (or is online when the mapping is made): give it a
 * keyed set unless it has one.  Runs in the CPU hotplug thread, which may
 * sleep.  Never fails the CPU: without a set of its own it uses another's.
 *
 * The hotplug lock is held here, so the allocations must not recurse into
 * I/O: reclaim writing back through a suspended crypt-mt mapping (swap on
 * it) would hold every CPU hotplug operation of the system until resume.
 */
static int cmt_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct cmt_config *cc = hlist_entry(node, struct cmt_config, cpuhp_node);
	struct cmt_cpu *pc = per_cpu_ptr(cc->cpu, cpu);
	struct cmt_tfms *set;
	unsigned int noio;
	int r = 0;

	noio = memalloc_noio_save();
	mutex_lock(&cc->tfms_lock);
	if (pc->set)
		goto out;
	set = cmt_set_alloc(cc, cc->driver,
			    cc->any_set->ivc ? cc->ivc_driver : NULL);
	if (IS_ERR(set)) {
		r = PTR_ERR(set);
		goto out;
	}
	r = cmt_set_cipher_keys(cc, set) ?: cmt_set_ivc_keys(cc, set);
	if (r) {
		cmt_set_free(cc, set);
		goto out;
	}
	/* published keyed: readers see the keys through the pointer */
	smp_store_release(&pc->set, set);
out:
	mutex_unlock(&cc->tfms_lock);
	memalloc_noio_restore(noio);
	if (r)
		DMWARN_LIMIT("CPU %u uses another CPU's transforms (error %d)",
			     cpu, r);
	return 0;
}

/*
 * The first set, by API name, for this CPU; the mapping's other online
 * CPUs get theirs from cmt_tfms_online() once the key is set.
 */
int cmt_tfms_init(struct cmt_config *cc, const char *cipher_api,
		  const char *ivc_name)
{
	struct cmt_tfms *set;

	cc->cpu = alloc_percpu(struct cmt_cpu);
	if (!cc->cpu)
		return -ENOMEM;
	set = cmt_set_alloc(cc, cipher_api, ivc_name);
	if (IS_ERR(set))
		return PTR_ERR(set);
	cc->any_set = set;
	per_cpu_ptr(cc->cpu, raw_smp_processor_id())->set = set;
	return 0;
}

/* Sets for every online CPU now, and for every CPU that comes online. */
int cmt_tfms_online(struct cmt_config *cc)
{
	int r = cpuhp_state_add_instance(cmt_cpuhp_state, &cc->cpuhp_node);

	if (!r)
		cc->cpuhp_added = true;
	return r;
}

/* Safe on a half-built mapping: the constructor's error path ends here. */
void cmt_tfms_free(struct cmt_config *cc)
{
	unsigned int cpu;

	if (cc->cpuhp_added)
		cpuhp_state_remove_instance_nocalls(cmt_cpuhp_state,
						    &cc->cpuhp_node);
	cc->cpuhp_added = false;
	if (cc->cpu) {
		for_each_possible_cpu(cpu)
			cmt_set_free(cc, per_cpu_ptr(cc->cpu, cpu)->set);
		free_percpu(cc->cpu);
	}
	cc->cpu = NULL;
	cc->any_set = NULL;
	kfree_sensitive(cc->ivc_keys);
	cc->ivc_keys = NULL;
}

/* Give every set the subkeys of cc->key.  The caller holds tfms_lock. */
int cmt_tfms_setkey(struct cmt_config *cc)
{
	unsigned int cpu;
	int r, err = 0;

	lockdep_assert_held(&cc->tfms_lock);
	for_each_possible_cpu(cpu) {
		struct cmt_tfms *set = per_cpu_ptr(cc->cpu, cpu)->set;

		if (set) {
			r = cmt_set_cipher_keys(cc, set);
			if (r)
				err = r;
		}
	}
	return err;
}

/*
 * Key IV cipher @idx of every set, and keep the key for sets made later.
 * The caller holds tfms_lock.
 */
int cmt_tfms_set_ivc_key(struct cmt_config *cc, unsigned int idx,
			 const u8 *key, unsigned int len)
{
	unsigned int cpu;
	int r, err = 0;

	lockdep_assert_held(&cc->tfms_lock);
	if (!cc->ivc_keys || cc->ivc_key_len != len) {
		kfree_sensitive(cc->ivc_keys);
		cc->ivc_key_len = len;
		cc->ivc_keys = kcalloc(cc->tfms_count, len, GFP_KERNEL);
		if (!cc->ivc_keys)
			return -ENOMEM;
	}
	memcpy(cc->ivc_keys + idx * len, key, len);
	for_each_possible_cpu(cpu) {
		struct cmt_tfms *set = per_cpu_ptr(cc->cpu, cpu)->set;

		if (set) {
			r = crypto_cipher_setkey(set->ivc[idx], key, len);
			if (r)
				err = r;
		}
	}
	return err;
}

int cmt_percpu_init(void)
{
	int r = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, "dm/crypt-mt:online",
					cmt_cpu_online, NULL);

	if (r < 0)
		return r;
	cmt_cpuhp_state = r;
	return 0;
}

void cmt_percpu_exit(void)
{
	cpuhp_remove_multi_state(cmt_cpuhp_state);
}
