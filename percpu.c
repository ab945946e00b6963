// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU transforms of a mapping: for every possible CPU, the cipher
 * transform of each key part and, for ESSIV/EBOIV, the IV cipher.
 *
 * Everything here runs in the constructor, the destructor or a message,
 * all in process context with no I/O in flight (dm suspends the device
 * before a message may change keys), so no locking is needed.
 */
#include <linux/percpu.h>
#include <crypto/internal/cipher.h>
#include "dm-crypt-mt.h"

MODULE_IMPORT_NS(CRYPTO_INTERNAL);

struct crypto_skcipher *cmt_any_tfm(struct cmt_config *cc)
{
	return per_cpu_ptr(cc->cpu, cpumask_first(cpu_possible_mask))->tfms[0];
}

/*
 * Every slot must run the same implementation: the per-bio data is sized
 * for one transform's request context, and stock-compatible output needs
 * one algorithm.  Looking the name up for each CPU is not enough: the
 * first lookup may load a module that registers a better driver, which
 * later lookups would then get.  So the name is resolved once and every
 * other slot is allocated by the driver name it resolved to.
 */
int cmt_cpu_alloc(struct cmt_config *cc, const char *cipher_api,
		  const char *ivc_name)
{
	size_t size = struct_size((struct cmt_cpu *)NULL, tfms, cc->tfms_count);
	const u32 mask = CRYPTO_ALG_ALLOCATES_MEMORY;
	char driver[CRYPTO_MAX_ALG_NAME], ivc_driver[CRYPTO_MAX_ALG_NAME];
	const char *name = cipher_api, *ivc = ivc_name;
	unsigned int cpu, i;

	cc->cpu = __alloc_percpu(size, __alignof__(struct cmt_cpu));
	if (!cc->cpu)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct cmt_cpu *pc = per_cpu_ptr(cc->cpu, cpu);

		for (i = 0; i < cc->tfms_count; i++) {
			pc->tfms[i] = crypto_alloc_skcipher(name, 0, mask);
			if (IS_ERR(pc->tfms[i])) {
				int r = PTR_ERR(pc->tfms[i]);

				pc->tfms[i] = NULL;
				return r;
			}
			if (name == cipher_api) {
				strscpy(driver, crypto_skcipher_driver_name(pc->tfms[i]),
					sizeof(driver));
				name = driver;
			}
		}
		if (!ivc_name)
			continue;
		pc->ivc = kcalloc(cc->tfms_count, sizeof(*pc->ivc), GFP_KERNEL);
		if (!pc->ivc)
			return -ENOMEM;
		for (i = 0; i < cc->tfms_count; i++) {
			pc->ivc[i] = crypto_alloc_cipher(ivc, 0, 0);
			if (IS_ERR(pc->ivc[i])) {
				int r = PTR_ERR(pc->ivc[i]);

				pc->ivc[i] = NULL;
				return r;
			}
			if (ivc == ivc_name) {
				struct crypto_tfm *t = crypto_cipher_tfm(pc->ivc[i]);

				strscpy(ivc_driver, crypto_tfm_alg_driver_name(t),
					sizeof(ivc_driver));
				ivc = ivc_driver;
			}
		}
	}
	return 0;
}

/* Safe on a half-built set: the constructor's error path ends here. */
void cmt_cpu_free(struct cmt_config *cc)
{
	unsigned int cpu, i;

	if (!cc->cpu)
		return;
	for_each_possible_cpu(cpu) {
		struct cmt_cpu *pc = per_cpu_ptr(cc->cpu, cpu);

		for (i = 0; i < cc->tfms_count; i++) {
			/* crypto_free_* zeroes the key schedule it frees */
			crypto_free_skcipher(pc->tfms[i]);
			if (pc->ivc)
				crypto_free_cipher(pc->ivc[i]);
		}
		kfree(pc->ivc);
	}
	free_percpu(cc->cpu);
	cc->cpu = NULL;
}

/* Give every CPU's transform i subkey i of cc->key. */
int cmt_cpu_setkey(struct cmt_config *cc)
{
	unsigned int subkey_size = cmt_subkey_size(cc);
	unsigned int cpu, i;
	int r, err = 0;

	for_each_possible_cpu(cpu) {
		struct cmt_cpu *pc = per_cpu_ptr(cc->cpu, cpu);

		for (i = 0; i < cc->tfms_count; i++) {
			r = crypto_skcipher_setkey(pc->tfms[i],
						   cc->key + i * subkey_size,
						   subkey_size);
			if (r)
				err = r;
		}
	}
	return err;
}

int cmt_cpu_set_ivc_key(struct cmt_config *cc, unsigned int idx,
			const u8 *key, unsigned int len)
{
	unsigned int cpu;
	int r, err = 0;

	for_each_possible_cpu(cpu) {
		struct cmt_cpu *pc = per_cpu_ptr(cc->cpu, cpu);

		r = crypto_cipher_setkey(pc->ivc[idx], key, len);
		if (r)
			err = r;
	}
	return err;
}
