// SPDX-License-Identifier: GPL-2.0
/*
 * The IV generators other than ESSIV.  Each produces the same bytes as the
 * generator of the same name in stock dm-crypt; the formats are described
 * there and in cryptsetup's documentation.  All of them run in any context
 * (they neither sleep nor allocate), so a read may be decrypted from its
 * completion when the table asks for no_read_workqueue.
 */
#include <linux/crc32.h>
#include <linux/highmem.h>
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/internal/cipher.h>
#include <crypto/md5.h>
#include "dm-crypt-mt.h"

static int plain_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	memset(iv, 0, cc->iv_size);
	*(__le32 *)iv = cpu_to_le32(s->iv_sector & 0xffffffff);
	return 0;
}

static int plain64_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	memset(iv, 0, cc->iv_size);
	*(__le64 *)iv = cpu_to_le64(s->iv_sector);
	return 0;
}

static int plain64be_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	memset(iv, 0, cc->iv_size);
	*(__be64 *)&iv[cc->iv_size - sizeof(u64)] = cpu_to_be64(s->iv_sector);
	return 0;
}

static int null_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	memset(iv, 0, cc->iv_size);
	return 0;
}

/* benbi: big-endian count of cipher blocks (from 1) at the IV's end. */
static int benbi_ctr(struct cmt_config *cc, struct dm_target *ti,
		     const char *opts)
{
	unsigned int bs = crypto_skcipher_blocksize(cmt_any_tfm(cc));

	if (!is_power_of_2(bs)) {
		ti->error = "cypher blocksize is not a power of 2";
		return -EINVAL;
	}
	if (bs > 512) {
		ti->error = "cypher blocksize is > 512";
		return -EINVAL;
	}
	/* The shift is kept in iv_private itself, no allocation. */
	cc->iv_private = (void *)(unsigned long)(SECTOR_SHIFT - ilog2(bs));
	return 0;
}

static void benbi_dtr(struct cmt_config *cc)
{
	cc->iv_private = NULL;
}

static int benbi_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	unsigned int shift = (unsigned long)cc->iv_private;
	__be64 val = cpu_to_be64(((u64)s->iv_sector << shift) + 1);

	memset(iv, 0, cc->iv_size - sizeof(u64));
	put_unaligned(val, (__be64 *)(iv + cc->iv_size - sizeof(u64)));
	return 0;
}

/*
 * eboiv (BitLocker): IV = E_K(le64 byte offset).  Stock computes it as a
 * CBC encryption of a zero block with that offset as IV, which is the
 * block cipher applied to the offset: we use the per-CPU block cipher keyed
 * with subkey 0 and so need neither a request nor an allocation per
 * sector.  That identity holds for CBC only, hence the check.
 */
static int eboiv_ctr(struct cmt_config *cc, struct dm_target *ti,
		     const char *opts)
{
	struct crypto_skcipher *tfm = cmt_any_tfm(cc);

	if (strncmp(crypto_skcipher_alg(tfm)->base.cra_name, "cbc(", 4)) {
		ti->error = "EBOIV is supported with CBC only";
		return -EINVAL;
	}
	if (crypto_skcipher_blocksize(tfm) != cc->iv_size ||
	    crypto_cipher_blocksize(cc->any_set->ivc[0]) != cc->iv_size) {
		ti->error = "Block size of EBOIV cipher does not match IV size of block cipher";
		return -EINVAL;
	}
	return 0;
}

static int eboiv_init(struct cmt_config *cc)
{
	unsigned int subkey_size = cmt_subkey_size(cc);
	unsigned int i;
	int r = 0;

	for (i = 0; i < cc->tfms_count && !r; i++)
		r = cmt_tfms_set_ivc_key(cc, i, cc->key + i * subkey_size,
					 subkey_size);
	return r;
}

static int eboiv_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	u8 buf[MAX_CIPHER_BLOCKSIZE] __aligned(__alignof__(__le64));

	memset(buf, 0, cc->iv_size);
	*(__le64 *)buf = cpu_to_le64(s->iv_sector * cc->sector_size);
	/* Stock uses the first transform whatever the sector's key index. */
	crypto_cipher_encrypt_one(s->set->ivc[0], iv, buf);
	return 0;
}

/*
 * lmk (loop-AES): the IV is an MD5 state (without final padding) over the
 * optional seed, plaintext blocks 1..31 of the sector and the sector number.
 * Writes hash the plaintext before encryption; reads decrypt with a zero IV
 * and fix the first block afterwards.
 */
#define LMK_SEED_SIZE 64

struct cmt_lmk {
	struct crypto_shash *hash;
	u8 *seed;			/* version 3 only */
};

static void lmk_dtr(struct cmt_config *cc)
{
	struct cmt_lmk *lmk = cc->iv_private;

	if (!lmk)
		return;
	crypto_free_shash(lmk->hash);
	kfree_sensitive(lmk->seed);
	kfree(lmk);
	cc->iv_private = NULL;
}

static int lmk_ctr(struct cmt_config *cc, struct dm_target *ti,
		   const char *opts)
{
	struct cmt_lmk *lmk;

	if (cc->sector_size != (1 << SECTOR_SHIFT)) {
		ti->error = "Unsupported sector size for LMK";
		return -EINVAL;
	}
	lmk = kzalloc(sizeof(*lmk), GFP_KERNEL);
	if (!lmk) {
		ti->error = "Cannot allocate LMK state";
		return -ENOMEM;
	}
	cc->iv_private = lmk;
	lmk->hash = crypto_alloc_shash("md5", 0, CRYPTO_ALG_ALLOCATES_MEMORY);
	if (IS_ERR(lmk->hash)) {
		int r = PTR_ERR(lmk->hash);

		lmk->hash = NULL;
		ti->error = "Error initializing LMK hash";
		return r;
	}
	/* Version 2 has no seed; version 3 has one more key part. */
	if (cc->key_parts != cc->tfms_count) {
		lmk->seed = kzalloc(LMK_SEED_SIZE, GFP_KERNEL);
		if (!lmk->seed) {
			ti->error = "Error kmallocing seed storage in LMK";
			return -ENOMEM;
		}
	}
	return 0;
}

static int lmk_init(struct cmt_config *cc)
{
	struct cmt_lmk *lmk = cc->iv_private;

	unsigned int off, len;

	if (!lmk->seed)
		return 0;
	/*
	 * The seed is where stock reads it: after tfms_count parts of
	 * key_size / key_parts bytes, which is not where the cipher's keys
	 * end when key_size is not a multiple of key_parts.  Stock copies a
	 * whole digest even when fewer key bytes are left (an 8-byte cipher
	 * key, des:64-cbc-lmk with 520 bytes): it reads past the key, into
	 * bytes that kzalloc() zeroed.  We copy what is there and keep the
	 * rest of the seed zero, which gives the same IVs.
	 */
	off = cc->tfms_count * (cc->key_size / cc->key_parts);
	len = min(crypto_shash_digestsize(lmk->hash), cc->key_size - off);
	memcpy(lmk->seed, cc->key + off, len);
	return 0;
}

static int lmk_wipe(struct cmt_config *cc)
{
	struct cmt_lmk *lmk = cc->iv_private;

	if (lmk->seed)
		memzero_explicit(lmk->seed, LMK_SEED_SIZE);
	return 0;
}

static int lmk_one(struct cmt_config *cc, u8 *iv, sector_t sector,
		   const u8 *data)
{
	struct cmt_lmk *lmk = cc->iv_private;
	SHASH_DESC_ON_STACK(desc, lmk->hash);
	struct md5_state md5;
	__le32 buf[4];
	int i, r;

	desc->tfm = lmk->hash;
	r = crypto_shash_init(desc);
	if (!r && lmk->seed)
		r = crypto_shash_update(desc, lmk->seed, LMK_SEED_SIZE);
	/* 512-byte sector, 16-byte blocks: hash blocks 1 to 31 */
	if (!r)
		r = crypto_shash_update(desc, data + 16, 16 * 31);
	if (r)
		goto out;
	/* the sector number, cut to 56 bits, then a fixed tail */
	buf[0] = cpu_to_le32(sector & 0xffffffff);
	buf[1] = cpu_to_le32((((u64)sector >> 32) & 0x00ffffff) | 0x80000000);
	buf[2] = cpu_to_le32(4024);
	buf[3] = 0;
	r = crypto_shash_update(desc, (u8 *)buf, sizeof(buf));
	if (!r)
		r = crypto_shash_export(desc, &md5);
	if (r)
		goto out;
	for (i = 0; i < MD5_HASH_WORDS; i++)
		__cpu_to_le32s(&md5.hash[i]);
	memcpy(iv, &md5.hash, cc->iv_size);
out:
	memzero_explicit(&md5, sizeof(md5));
	shash_desc_zero(desc);
	return r;
}

static int lmk_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	u8 *src;
	int r;

	if (!s->write) {
		memset(iv, 0, cc->iv_size);
		return 0;
	}
	src = kmap_local_page(sg_page(s->sg_in));
	r = lmk_one(cc, iv, s->iv_sector, src + s->sg_in->offset);
	kunmap_local(src);
	return r;
}

static int lmk_post(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	u8 *dst;
	int r;

	if (s->write)
		return 0;
	dst = kmap_local_page(sg_page(s->sg_out));
	r = lmk_one(cc, iv, s->iv_sector, dst + s->sg_out->offset);
	if (!r)
		crypto_xor(dst + s->sg_out->offset, iv, cc->iv_size);
	kunmap_local(dst);
	return r;
}

/*
 * tcw (old TrueCrypt): IV = IV seed ^ sector; the ciphertext is whitened
 * with 8 bytes derived from the whitening key, the sector and CRC32.
 */
#define TCW_WHITENING_SIZE 16

struct cmt_tcw {
	u8 *iv_seed;
	u8 whitening[TCW_WHITENING_SIZE];
};

static void tcw_dtr(struct cmt_config *cc)
{
	struct cmt_tcw *tcw = cc->iv_private;

	if (!tcw)
		return;
	kfree_sensitive(tcw->iv_seed);
	kfree_sensitive(tcw);
	cc->iv_private = NULL;
}

static int tcw_ctr(struct cmt_config *cc, struct dm_target *ti,
		   const char *opts)
{
	struct cmt_tcw *tcw;

	if (cc->sector_size != (1 << SECTOR_SHIFT)) {
		ti->error = "Unsupported sector size for TCW";
		return -EINVAL;
	}
	if (cc->key_size <= cc->iv_size + TCW_WHITENING_SIZE) {
		ti->error = "Wrong key size for TCW";
		return -EINVAL;
	}
	/*
	 * The IV is the seed XOR the 8-byte sector number, twice: stock
	 * reads past the sector number for a longer IV (xchacha20's 32
	 * bytes), so no such table has a defined format.
	 */
	if (cc->iv_size > 16) {
		ti->error = "TCW needs an IV of at most 16 bytes";
		return -EINVAL;
	}
	tcw = kzalloc(sizeof(*tcw), GFP_KERNEL);
	if (tcw)
		tcw->iv_seed = kzalloc(cc->iv_size, GFP_KERNEL);
	cc->iv_private = tcw;
	if (!tcw || !tcw->iv_seed) {
		ti->error = "Error allocating seed storage in TCW";
		return -ENOMEM;
	}
	return 0;
}

static int tcw_init(struct cmt_config *cc)
{
	struct cmt_tcw *tcw = cc->iv_private;
	unsigned int off = cc->key_size - cc->iv_size - TCW_WHITENING_SIZE;

	memcpy(tcw->iv_seed, cc->key + off, cc->iv_size);
	memcpy(tcw->whitening, cc->key + off + cc->iv_size, TCW_WHITENING_SIZE);
	return 0;
}

static int tcw_wipe(struct cmt_config *cc)
{
	struct cmt_tcw *tcw = cc->iv_private;

	memzero_explicit(tcw->iv_seed, cc->iv_size);
	memzero_explicit(tcw->whitening, TCW_WHITENING_SIZE);
	return 0;
}

static void tcw_whiten(struct cmt_config *cc, sector_t sector, u8 *data)
{
	struct cmt_tcw *tcw = cc->iv_private;
	__le64 le_sector = cpu_to_le64(sector);
	u8 buf[TCW_WHITENING_SIZE];
	int i;

	crypto_xor_cpy(buf, tcw->whitening, (u8 *)&le_sector, 8);
	crypto_xor_cpy(&buf[8], tcw->whitening + 8, (u8 *)&le_sector, 8);
	/* CRC32 of each 32-bit word, as the "crc32" shash computes it */
	for (i = 0; i < 4; i++)
		put_unaligned_le32(crc32_le(0, &buf[i * 4], 4), &buf[i * 4]);
	crypto_xor(&buf[0], &buf[12], 4);
	crypto_xor(&buf[4], &buf[8], 4);
	for (i = 0; i < (1 << SECTOR_SHIFT) / 8; i++)
		crypto_xor(data + i * 8, buf, 8);
	memzero_explicit(buf, sizeof(buf));
}

static int tcw_gen(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	struct cmt_tcw *tcw = cc->iv_private;
	__le64 sector = cpu_to_le64(s->iv_sector);
	u8 *src;

	/* A read removes the whitening from the ciphertext first. */
	if (!s->write) {
		src = kmap_local_page(sg_page(s->sg_in));
		tcw_whiten(cc, s->iv_sector, src + s->sg_in->offset);
		kunmap_local(src);
	}
	crypto_xor_cpy(iv, tcw->iv_seed, (u8 *)&sector, 8);
	if (cc->iv_size > 8)
		crypto_xor_cpy(&iv[8], tcw->iv_seed + 8, (u8 *)&sector,
			       cc->iv_size - 8);
	return 0;
}

static int tcw_post(struct cmt_config *cc, u8 *iv, struct cmt_sector *s)
{
	u8 *dst;

	if (!s->write)
		return 0;
	dst = kmap_local_page(sg_page(s->sg_out));
	tcw_whiten(cc, s->iv_sector, dst + s->sg_out->offset);
	kunmap_local(dst);
	return 0;
}

static const struct cmt_iv_ops cmt_iv_ops_table[] = {
	{ .name = "plain", .gen = plain_gen },
	{ .name = "plain64", .gen = plain64_gen },
	{ .name = "plain64be", .gen = plain64be_gen },
	{ .name = "null", .gen = null_gen },
	{ .name = "benbi", .ctr = benbi_ctr, .dtr = benbi_dtr, .gen = benbi_gen },
	{ .name = "eboiv", .flags = CMT_IV_CIPHER, .ctr = eboiv_ctr,
	  .init = eboiv_init, .wipe = eboiv_init, .gen = eboiv_gen },
	{ .name = "lmk", .ctr = lmk_ctr, .dtr = lmk_dtr, .init = lmk_init,
	  .wipe = lmk_wipe, .gen = lmk_gen, .post = lmk_post },
	{ .name = "tcw", .ctr = tcw_ctr, .dtr = tcw_dtr, .init = tcw_init,
	  .wipe = tcw_wipe, .gen = tcw_gen, .post = tcw_post },
};

const struct cmt_iv_ops *cmt_iv_lookup(const char *name)
{
	unsigned int i;

	if (!strcmp(name, cmt_iv_essiv_ops.name))
		return &cmt_iv_essiv_ops;
	for (i = 0; i < ARRAY_SIZE(cmt_iv_ops_table); i++)
		if (!strcmp(name, cmt_iv_ops_table[i].name))
			return &cmt_iv_ops_table[i];
	return NULL;
}
