// SPDX-License-Identifier: GPL-2.0
/*
 * ESSIV: IV = E_salt(le64 sector), salt = hash(subkey).  The same bytes as
 * the kernel's essiv() template that stock dm-crypt uses, but the salted
 * cipher is one of the mapping's per-CPU transforms (struct cmt_tfms::ivc)
 * instead of a single shared one.  One salt per key part, as the template
 * hashes the subkey it is given.
 */
#include <crypto/hash.h>
#include <crypto/internal/cipher.h>
#include "dm-crypt-mt.h"

struct cmt_essiv {
	struct crypto_shash *hash;
};

static void essiv_dtr(struct cmt_config *cc)
{
	struct cmt_essiv *e = cc->iv_private;

	if (!e)
		return;
	crypto_free_shash(e->hash);
	kfree(e);
	cc->iv_private = NULL;
}

static int essiv_ctr(struct cmt_config *cc, struct dm_target *ti,
		     const char *opts)
{
	struct cmt_essiv *e;

	if (!opts) {
		ti->error = "Digest algorithm missing for ESSIV mode";
		return -EINVAL;
	}
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e) {
		ti->error = "Cannot allocate ESSIV state";
		return -ENOMEM;
	}
	cc->iv_private = e;

	e->hash = crypto_alloc_shash(opts, 0, CRYPTO_ALG_ALLOCATES_MEMORY);
	if (IS_ERR(e->hash)) {
		int r = PTR_ERR(e->hash);

		e->hash = NULL;
		ti->error = "Error initializing ESSIV hash";
		return r;
	}
	if (crypto_cipher_blocksize(cc->any_set->ivc[0]) != cc->iv_size) {
		ti->error = "Block size of ESSIV cipher does not match IV size of block cipher";
		return -EINVAL;
	}
	return 0;
}

static int essiv_init(struct cmt_config *cc)
{
	struct cmt_essiv *e = cc->iv_private;
	unsigned int subkey_size = cmt_subkey_size(cc);
	unsigned int salt_size = crypto_shash_digestsize(e->hash);
	/*
	 * On the stack (shash digests are at most HASH_MAX_DIGESTSIZE): no
	 * allocation that could fail and leave "key wipe" with the salts of
	 * the real key in the IV ciphers.
	 */
	u8 salt[HASH_MAX_DIGESTSIZE];
	unsigned int i;
	int r = 0;

	for (i = 0; i < cc->tfms_count && !r; i++) {
		r = crypto_shash_tfm_digest(e->hash, cc->key + i * subkey_size,
					    subkey_size, salt);
		if (!r)
			r = cmt_tfms_set_ivc_key(cc, i, salt, salt_size);
	}
	memzero_explicit(salt, sizeof(salt));
	return r;
}

/* On "key wipe" cc->key already holds random bytes: derive from those. */
static int essiv_wipe(struct cmt_config *cc)
{
	return essiv_init(cc);
}

/* Any context: crypto_cipher_encrypt_one() neither sleeps nor allocates. */
static int essiv_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	memset(iv, 0, cc->iv_size);
	*(__le64 *)iv = cpu_to_le64(s->iv_sector);
	crypto_cipher_encrypt_one(s->set->ivc[s->key_index], iv, iv);
	return 0;
}

const struct cmt_iv_ops cmt_iv_essiv_ops = {
	.name = "essiv",
	.flags = CMT_IV_CIPHER,
	.ctr = essiv_ctr,
	.dtr = essiv_dtr,
	.init = essiv_init,
	.wipe = essiv_wipe,
	.gen = essiv_gen,
};
