// SPDX-License-Identifier: GPL-2.0
/*
 * crypt-mt: the table line, keys and target operations.
 *
 * Table line, the same as stock dm-crypt's:
 *   <cipher> <key> <iv_offset> <device path> <offset> [<#opt_params> <opt_params>]
 *
 *   cipher:  cipher[:keycount]-chainmode-ivmode[:ivopts]
 *            or capi:<crypto API spec>-ivmode[:ivopts]
 *   key:     hex, "-" for none, or
 *            :<size>:<logon|user|encrypted|trusted>:<description>
 *   opt_params: allow_discards same_cpu_crypt high_priority
 *            submit_from_crypt_cpus no_read_workqueue no_write_workqueue
 *            sector_size:<bytes> iv_large_sectors
 */
#include <linux/ctype.h>
#include <linux/key.h>
#include <linux/module.h>
#include <keys/encrypted-type.h>
#include <keys/trusted-type.h>
#include <keys/user-type.h>
#include <crypto/algapi.h>
#include "dm-crypt-mt.h"
#include "compat.h"

/* keys/trusted-type.h sets pr_fmt to its own prefix; we have none */
#undef pr_fmt
#define pr_fmt(fmt) fmt

#define CMT_MAX_KEY_SIZE	4096	/* bytes; lmk v3 with 65 parts fits */
#define CMT_MAX_KEY_PARTS	64	/* lmk's 64 keys is the largest use */
#define CMT_LMK_KEYS		64
#define CMT_TCW_WHITENING_SIZE	16

/* ---- numbers ---- */

/*
 * A decimal number of the table or of a "set" message, refused rather than
 * wrapped when it does not fit (sscanf's "%u", which stock uses, wraps
 * 4294967297 to 1) and refused with a sign, a base prefix or trailing junk
 * (kstrto* alone would take "+5").
 */
int cmt_parse_uint(const char *arg, unsigned int *v)
{
	if (!isdigit(*arg) || kstrtouint(arg, 10, v))
		return -EINVAL;
	return 0;
}

/* The same for 64-bit sector numbers (iv_offset, device offset). */
static int cmt_parse_sector(const char *arg, unsigned long long *v)
{
	if (!isdigit(*arg) || kstrtoull(arg, 10, v))
		return -EINVAL;
	return 0;
}

/* ---- keys ---- */

/*
 * Any isspace() character, as stock checks: dm's escapes let a table carry
 * a \r or \v that would split the printed table line where it stands.
 */
static bool cmt_has_space(const char *s)
{
	while (*s)
		if (isspace(*s++))
			return true;
	return false;
}

/* dm frees table and message arguments without wiping them: we do. */
static void cmt_wipe_arg(char *arg)
{
	if (arg[0] != ':')
		memset(arg, '0', strlen(arg));
}

/*
 * Size in bytes of the key argument: hex digits / 2, 0 for "-", or the
 * <size> of a keyring reference, whose "<type>:<desc>" is left in *desc.
 */
static int cmt_key_size(const char *key, const char **desc, char **why)
{
	unsigned int size;
	const char *colon;
	char num[12];

	*desc = NULL;
	if (!strcmp(key, "-"))
		return 0;
	if (key[0] != ':') {
		if (strlen(key) & 1) {
			*why = "Key has an odd number of hex digits";
			return -EINVAL;
		}
		size = strlen(key) / 2;
		goto check;
	}
	colon = strchr(key + 1, ':');
	if (!colon || colon == key + 1 || colon - key - 1 >= sizeof(num)) {
		*why = "Cannot parse key size";
		return -EINVAL;
	}
	memcpy(num, key + 1, colon - key - 1);
	num[colon - key - 1] = '\0';
	if (cmt_parse_uint(num, &size)) {
		*why = "Cannot parse key size";
		return -EINVAL;
	}
	*desc = colon + 1;
check:
	if (!size || size > CMT_MAX_KEY_SIZE) {
		*why = "Invalid key size";
		return -EINVAL;
	}
	return size;
}

static int cmt_keyring_key(struct cmt_config *cc, const char *desc,
			   char **why)
{
	struct key_type *type;
	const char *name = strchr(desc, ':');
	struct key *key;
	const void *data = NULL;
	unsigned int len = 0;
	int r = 0;

	if (!name || name == desc || !name[1]) {
		*why = "Keyring key must be :<size>:<type>:<description>";
		return -EINVAL;
	}
	name++;
	if (!strncmp(desc, "logon:", 6)) {
		type = &key_type_logon;
	} else if (!strncmp(desc, "user:", 5)) {
		type = &key_type_user;
	} else if (IS_ENABLED(CONFIG_ENCRYPTED_KEYS) &&
		   !strncmp(desc, "encrypted:", 10)) {
		type = &key_type_encrypted;
	} else if (IS_ENABLED(CONFIG_TRUSTED_KEYS) &&
		   !strncmp(desc, "trusted:", 8)) {
		type = &key_type_trusted;
	} else {
		*why = "Unsupported keyring key type";
		return -EINVAL;
	}

	key = request_key(type, name, NULL);
	if (IS_ERR(key)) {
		*why = "Keyring key not found";
		return PTR_ERR(key);
	}
	down_read(&key->sem);
	if (IS_ENABLED(CONFIG_ENCRYPTED_KEYS) && type == &key_type_encrypted) {
		const struct encrypted_key_payload *ekp = key->payload.data[0];

		if (ekp) {
			data = ekp->decrypted_data;
			len = ekp->decrypted_datalen;
		}
	} else if (IS_ENABLED(CONFIG_TRUSTED_KEYS) && type == &key_type_trusted) {
		/* the unsealed key; the sealed blob stays in the payload */
		const struct trusted_key_payload *tkp = key->payload.data[0];

		if (tkp) {
			data = tkp->key;
			len = tkp->key_len;
		}
	} else {
		const struct user_key_payload *ukp = user_key_payload_locked(key);

		if (ukp) {
			data = ukp->data;
			len = ukp->datalen;
		}
	}
	if (!data) {
		*why = "Keyring key was revoked";
		r = -EKEYREVOKED;
	} else if (len != cc->key_size) {
		*why = "Keyring key size does not match the table";
		r = -EINVAL;
	} else {
		memcpy(cc->key, data, len);
	}
	up_read(&key->sem);
	key_put(key);
	return r;
}

/*
 * Take the key argument (hex, "-" or keyring reference) into cc->key and
 * every CPU's transforms, then derive the IV keys.  As in stock, a key of
 * the wrong size or a keyring key that cannot be had changes nothing (the
 * old key stays valid), while a bad hex key leaves the mapping keyless.
 * The hex string is overwritten in place: dm frees the argv unwiped.
 */
static int cmt_set_key(struct cmt_config *cc, char *key, char **why)
{
	const char *desc = NULL;
	char *new_string = NULL;
	int r = -EINVAL;

	if (!cc->key_size ? strcmp(key, "-") :
	    cmt_key_size(key, &desc, why) != cc->key_size) {
		*why = *why ?: "Key size does not match the table";
		goto out;
	}
	if (desc) {
		if (cmt_has_space(desc)) {
			*why = "Whitespace is not allowed in a key description";
			goto out;
		}
		new_string = kstrdup(desc, GFP_KERNEL);
		if (!new_string) {
			*why = "Cannot allocate key string";
			r = -ENOMEM;
			goto out;
		}
		/* copies into cc->key only on success */
		r = cmt_keyring_key(cc, desc, why);
		if (r)
			goto out;
		clear_bit(CMT_KEY_VALID, &cc->flags);
	} else if (cc->key_size) {
		clear_bit(CMT_KEY_VALID, &cc->flags);
		/*
		 * From here the keyring key is gone whatever happens: a table
		 * line must not name it for a mapping without a valid key.
		 */
		kfree_sensitive(cc->key_string);
		cc->key_string = NULL;
		if (hex2bin(cc->key, key, cc->key_size)) {
			*why = "Key is not hexadecimal";
			goto wipe;
		}
	}

	mutex_lock(&cc->tfms_lock);
	r = cmt_tfms_setkey(cc);
	if (r) {
		mutex_unlock(&cc->tfms_lock);
		*why = "Error setting key";
		goto wipe;
	}
	if (cc->iv_ops && cc->iv_ops->init)
		r = cc->iv_ops->init(cc);
	mutex_unlock(&cc->tfms_lock);
	if (r) {
		*why = "Error initialising IV";
		goto wipe;
	}
	kfree_sensitive(cc->key_string);
	cc->key_string = new_string;
	new_string = NULL;
	set_bit(CMT_KEY_VALID, &cc->flags);
wipe:
	/*
	 * The key stays in cc->key while it is valid: CPUs that come online
	 * later get transforms keyed from it (percpu.c), as in stock.
	 */
	if (r)
		memzero_explicit(cc->key, cc->key_size);
out:
	kfree_sensitive(new_string);
	cmt_wipe_arg(key);
	return r;
}

/* "key wipe": random key into every transform, nothing left to read. */
static int cmt_wipe_key(struct cmt_config *cc)
{
	int r, r2 = 0;

	clear_bit(CMT_KEY_VALID, &cc->flags);
	mutex_lock(&cc->tfms_lock);
	get_random_bytes(cc->key, cc->key_size);
	if (cc->iv_ops && cc->iv_ops->wipe)
		r2 = cc->iv_ops->wipe(cc);
	r = cmt_tfms_setkey(cc);
	memzero_explicit(cc->key, cc->key_size);
	mutex_unlock(&cc->tfms_lock);
	kfree_sensitive(cc->key_string);
	cc->key_string = NULL;
	return r ?: r2;
}

/* ---- the cipher specification ---- */

struct cmt_spec {
	char api[CRYPTO_MAX_ALG_NAME];		/* e.g. "xts(aes)" */
	char ivc[CRYPTO_MAX_ALG_NAME];		/* block cipher, for ESSIV/EBOIV */
	char *ivmode;
	char *ivopts;
};

/* "cbc(aes)" -> "aes": what is inside the outermost parentheses. */
static int cmt_inner_cipher(const char *api, char *out)
{
	const char *open = strchr(api, '('), *close = strrchr(api, ')');

	if (!open || !close || close < open + 2 || close[1] ||
	    close - open - 1 >= CRYPTO_MAX_ALG_NAME)
		return -EINVAL;
	memcpy(out, open + 1, close - open - 1);
	out[close - open - 1] = '\0';
	return 0;
}

/* capi:<api>-<ivmode>[:<ivopts>]; the api may contain '-' and ':' no. */
static int cmt_parse_capi(struct cmt_config *cc, struct dm_target *ti,
			  char *spec, struct cmt_spec *cs)
{
	char *p = spec + strlen("capi:");

	cs->ivopts = strrchr(p, ':');
	if (cs->ivopts)
		*cs->ivopts++ = '\0';
	cs->ivmode = strrchr(p, '-');
	if (cs->ivmode)
		*cs->ivmode++ = '\0';
	if (!*p || strscpy(cs->api, p, sizeof(cs->api)) < 0) {
		ti->error = "Bad cipher specification";
		return -EINVAL;
	}
	cc->tfms_count = 1;
	if (cs->ivmode && !strcmp(cs->ivmode, "lmk"))
		cc->tfms_count = CMT_LMK_KEYS;
	return 0;
}

/* cipher[:keycount]-chainmode-ivmode[:ivopts], and its short forms */
static int cmt_parse_old(struct cmt_config *cc, struct dm_target *ti,
			 char *spec, struct cmt_spec *cs)
{
	char *cipher, *keycount, *chainmode, *p = spec;
	unsigned int n;

	if (strchr(spec, '(')) {
		ti->error = "Bad cipher specification";
		return -EINVAL;
	}
	keycount = strsep(&p, "-");
	cipher = strsep(&keycount, ":");
	cc->tfms_count = 1;
	if (keycount) {
		if (cmt_parse_uint(keycount, &n) || !is_power_of_2(n) ||
		    n > CMT_MAX_KEY_PARTS) {
			ti->error = "Bad cipher key count specification";
			return -EINVAL;
		}
		cc->tfms_count = n;
	}
	chainmode = strsep(&p, "-");
	cs->ivmode = strsep(&p, ":");
	cs->ivopts = p;

	/* the original dm-crypt format: "aes" or "aes-plain" mean cbc-plain */
	if (!chainmode || (!strcmp(chainmode, "plain") && !cs->ivmode)) {
		chainmode = "cbc";
		cs->ivmode = "plain";
	}
	if (!*cipher || !*chainmode) {
		ti->error = "Bad cipher specification";
		return -EINVAL;
	}
	if (strcmp(chainmode, "ecb") && !cs->ivmode) {
		ti->error = "IV mechanism required";
		return -EINVAL;
	}
	if (snprintf(cs->api, sizeof(cs->api), "%s(%s)", chainmode, cipher) >=
	    sizeof(cs->api)) {
		ti->error = "Bad cipher specification";
		return -EINVAL;
	}
	return 0;
}

/* Key parts beyond the cipher's own, as stock counts them. */
static void cmt_iv_key_parts(struct cmt_config *cc)
{
	cc->key_parts = cc->tfms_count;
	cc->key_extra_size = 0;
	if (cc->iv_ops && !strcmp(cc->iv_ops->name, "lmk")) {
		/* version 3: one more part, the IV seed, of the same size */
		if (cc->key_size % cc->key_parts) {
			cc->key_parts++;
			cc->key_extra_size = cc->key_size / cc->key_parts;
		}
	} else if (cc->iv_ops && !strcmp(cc->iv_ops->name, "tcw")) {
		cc->key_parts += 2;	/* IV seed + whitening */
		cc->key_extra_size = cc->iv_size + CMT_TCW_WHITENING_SIZE;
	}
}

static int cmt_ctr_cipher(struct dm_target *ti, char *spec, char *key)
{
	struct cmt_config *cc = ti->private;
	struct crypto_skcipher *tfm;
	struct cmt_spec *cs;
	char *why = NULL;
	int r;

	cc->cipher_string = kstrdup(spec, GFP_KERNEL);
	cs = kzalloc(sizeof(*cs), GFP_KERNEL);
	if (!cc->cipher_string || !cs) {
		ti->error = "Cannot allocate cipher strings";
		r = -ENOMEM;
		goto out;
	}
	if (strstarts(spec, "capi:"))
		r = cmt_parse_capi(cc, ti, spec, cs);
	else
		r = cmt_parse_old(cc, ti, spec, cs);
	if (r)
		goto out;

	r = -EINVAL;
	if (cs->ivmode) {
		if (!strcmp(cs->ivmode, "random")) {
			ti->error = "IV mode random needs integrity metadata, not supported";
			goto out;
		}
		if (!strcmp(cs->ivmode, "elephant")) {
			ti->error = "IV mode elephant is not supported";
			goto out;
		}
		cc->iv_ops = cmt_iv_lookup(cs->ivmode);
		if (!cc->iv_ops) {
			ti->error = "Invalid IV mode";
			goto out;
		}
		if (cc->iv_ops != &cmt_iv_essiv_ops && cs->ivopts) {
			ti->error = "IV mode takes no options";
			goto out;
		}
		if ((cc->iv_ops->flags & CMT_IV_CIPHER) &&
		    cmt_inner_cipher(cs->api, cs->ivc)) {
			ti->error = "Cannot find the block cipher for the IV in the cipher spec";
			goto out;
		}
	}

	r = cmt_tfms_init(cc, cs->api, cs->ivc[0] ? cs->ivc : NULL);
	if (r) {
		ti->error = r == -ENOMEM ? "Cannot allocate per-CPU transforms" :
			    "Error allocating crypto tfm";
		goto out;
	}
	tfm = cmt_any_tfm(cc);
	DMINFO("%s: %s uses \"%s\"%s", dm_table_device_name(ti->table), cs->api,
	       crypto_skcipher_driver_name(tfm),
	       crypto_skcipher_alg(tfm)->base.cra_flags & CRYPTO_ALG_ASYNC ?
	       " (asynchronous)" : "");

	cc->iv_size = crypto_skcipher_ivsize(tfm);
	if (cc->iv_size) {
		/* at least a 64-bit sector number must fit */
		cc->iv_size = max_t(unsigned int, cc->iv_size, sizeof(u64));
	} else if (cc->iv_ops == &cmt_iv_essiv_ops) {
		/* stock's essiv() template refuses a cipher without an IV */
		ti->error = "ESSIV needs a cipher mode with an IV";
		r = -EINVAL;
		goto out;
	} else if (cc->iv_ops) {
		DMWARN("Selected cipher does not support IVs");
		cc->iv_ops = NULL;
	}
	/*
	 * A cipher with an IV but no IV mode (capi:cbc(aes)): stock encrypts
	 * with whatever its request buffer last held, which nothing can read
	 * back.  Refused, as the other format refuses it.
	 */
	if (cc->iv_size && !cc->iv_ops) {
		ti->error = "IV mechanism required";
		r = -EINVAL;
		goto out;
	}
	if (cc->iv_size > MAX_CIPHER_BLOCKSIZE * 2) {
		ti->error = "IV size of cipher is too large";
		r = -EINVAL;
		goto out;
	}
	cmt_iv_key_parts(cc);
	cc->whole_segments = !cc->iv_size && !cc->iv_ops && cc->tfms_count == 1;

	if (cc->iv_ops && cc->iv_ops->ctr) {
		r = cc->iv_ops->ctr(cc, ti, cs->ivopts);
		if (r)
			goto out;
	}

	r = cmt_set_key(cc, key, &why);
	if (r)
		ti->error = why ?: "Error decoding and setting key";
out:
	kfree(cs);
	return r;
}

/* ---- optional parameters ---- */

/* The flags stock accepts, in the order its status line prints them. */
static const struct {
	const char *name;
	enum cmt_flags bit;
} cmt_opt_flags[] = {
	{ "same_cpu_crypt", CMT_SAME_CPU },
	{ "high_priority", CMT_HIGH_PRIORITY },
	{ "submit_from_crypt_cpus", CMT_NO_OFFLOAD },
	{ "no_read_workqueue", CMT_NO_READ_WQ },
	{ "no_write_workqueue", CMT_NO_WRITE_WQ },
};

static bool cmt_parse_flag(struct cmt_config *cc, const char *opt)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmt_opt_flags); i++) {
		if (!strcasecmp(opt, cmt_opt_flags[i].name)) {
			set_bit(cmt_opt_flags[i].bit, &cc->flags);
			return true;
		}
	}
	return false;
}

/* Stock 6.1 allows 8; one more for high_priority, as newer stock kernels. */
#define CMT_MAX_OPT_PARAMS	9

static int cmt_ctr_optional(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct cmt_config *cc = ti->private;
	struct dm_arg_set as = { .argc = argc - 1, .argv = argv + 1 };
	unsigned int opt_params, val;
	const char *opt;

	/*
	 * Not dm_read_arg_group(): its sscanf("%u") reads 4294967297 as 1
	 * and the table would load with a count the user never wrote.
	 */
	if (cmt_parse_uint(argv[0], &opt_params) ||
	    opt_params > CMT_MAX_OPT_PARAMS || opt_params > as.argc) {
		ti->error = "Invalid number of feature args";
		return -EINVAL;
	}
	if (as.argc > opt_params) {
		ti->error = "Too many arguments after the optional parameters";
		return -EINVAL;
	}

	while (opt_params--) {
		opt = dm_shift_arg(&as);
		if (cmt_parse_flag(cc, opt)) {
			continue;
		} else if (!strcasecmp(opt, "allow_discards")) {
			ti->num_discard_bios = 1;
		} else if (!strcasecmp(opt, "iv_large_sectors")) {
			set_bit(CMT_IV_LARGE_SECTORS, &cc->flags);
		} else if (!strncasecmp(opt, "integrity:", 10)) {
			ti->error = "Integrity (AEAD) is not supported by crypt-mt";
			return -EINVAL;
		} else if (!strncmp(opt, "sector_size:", 12)) {
			/* case-sensitive, as stock's sscanf() */
			if (cmt_parse_uint(opt + 12, &val) ||
			    val < (1 << SECTOR_SHIFT) || val > 4096 ||
			    !is_power_of_2(val)) {
				ti->error = "Invalid feature value for sector_size";
				return -EINVAL;
			}
			if (ti->len & ((val >> SECTOR_SHIFT) - 1)) {
				ti->error = "Device size is not multiple of sector_size feature";
				return -EINVAL;
			}
			cc->sector_size = val;
			cc->sector_shift = __ffs(val) - SECTOR_SHIFT;
		} else {
			ti->error = "Invalid feature arguments";
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- constructor and destructor ---- */

/* Also the constructor's error path: every field may be half built. */
static void cmt_dtr(struct dm_target *ti)
{
	struct cmt_config *cc = ti->private;

	ti->private = NULL;
	if (!cc)
		return;
	if (cc->is_client)
		cmt_io_del_client(cc);
	/* helpers of finished bios may still be giving their state back */
	cmt_convert_helpers_drained(cc);
	mempool_exit(&cc->helper_pool);
	bioset_exit(&cc->read_bs);
	bioset_exit(&cc->write_bs);
	cmt_io_exit_pages(cc);
	/* no CPU can come online for this mapping once its sets go */
	cmt_tfms_free(cc);
	if (cc->iv_ops && cc->iv_ops->dtr)
		cc->iv_ops->dtr(cc);
	cmt_control_free(cc);
	if (cc->dev)
		dm_put_device(ti, cc->dev);
	kfree(cc->cipher_string);
	kfree_sensitive(cc->key_string);
	kfree_sensitive(cc);	/* the key is in cc */
}

static int cmt_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct cmt_config *cc;
	unsigned long long v;
	struct crypto_skcipher *tfm;
	const char *desc;
	char *why = NULL;
	int key_size, r;

	if (argc < 5) {
		ti->error = "Not enough arguments";
		if (argc >= 2)
			cmt_wipe_arg(argv[1]);
		return -EINVAL;
	}
	key_size = cmt_key_size(argv[1], &desc, &why);
	if (key_size < 0) {
		ti->error = why;
		cmt_wipe_arg(argv[1]);
		return -EINVAL;
	}
	cc = kzalloc(struct_size(cc, key, key_size), GFP_KERNEL);
	if (!cc) {
		ti->error = "Cannot allocate encryption context";
		cmt_wipe_arg(argv[1]);
		return -ENOMEM;
	}
	cc->key_size = key_size;
	cc->sector_size = 1 << SECTOR_SHIFT;
	mutex_init(&cc->alloc_lock);
	mutex_init(&cc->tfms_lock);
	mutex_init(&cc->key_lock);
	init_waitqueue_head(&cc->pages_wait);
	cmt_control_init_mapping(cc);
	ti->private = cc;

	/* before the cipher: sector_size matters to the IV generators */
	if (argc > 5) {
		r = cmt_ctr_optional(ti, argc - 5, &argv[5]);
		if (r)
			goto bad;
	}

	r = cmt_ctr_cipher(ti, argv[0], argv[1]);
	if (r)
		goto bad;

	tfm = cmt_any_tfm(cc);
	cc->per_bio_data_size = cmt_io_data_size(cc, crypto_skcipher_reqsize(tfm),
						 crypto_skcipher_alignmask(tfm));
	ti->per_io_data_size = cc->per_bio_data_size;

	r = cmt_io_init_pages(cc);
	if (r) {
		ti->error = "Cannot allocate bounce page reserve";
		goto bad;
	}
	/* a small reserve keeps spreading going when memory is short */
	r = mempool_init_kmalloc_pool(&cc->helper_pool, 4, cmt_helper_size(cc));
	if (r) {
		ti->error = "Cannot allocate helper mempool";
		goto bad;
	}
	r = bioset_init(&cc->write_bs, BIO_POOL_SIZE, 0, BIOSET_NEED_BVECS);
	if (!r)
		r = bioset_init(&cc->read_bs, BIO_POOL_SIZE, 0, 0);
	if (r) {
		ti->error = "Cannot allocate crypt bioset";
		goto bad;
	}

	r = -EINVAL;
	if (cmt_parse_sector(argv[2], &v) ||
	    (v & ((cc->sector_size >> SECTOR_SHIFT) - 1))) {
		ti->error = "Invalid iv_offset sector";
		goto bad;
	}
	cc->iv_offset = v;

	r = dm_get_device(ti, argv[3], dm_table_get_mode(ti->table), &cc->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad;
	}

	r = -EINVAL;
	if (cmt_parse_sector(argv[4], &v) || v != (sector_t)v) {
		ti->error = "Invalid device sector";
		goto bad;
	}
	cc->start = v;

	r = cmt_tfms_online(cc);
	if (r) {
		ti->error = "Cannot allocate per-CPU transforms";
		goto bad;
	}
	cmt_io_add_client(cc);
	cc->is_client = true;

	ti->num_flush_bios = 1;
	ti->limit_swap_bios = true;
	ti->accounts_remapped_io = true;
	return 0;

bad:
	cmt_wipe_arg(argv[1]);
	cmt_dtr(ti);
	return r;
}

/* ---- I/O ---- */

static int cmt_map(struct dm_target *ti, struct bio *bio)
{
	struct cmt_config *cc = ti->private;
	unsigned int sector_mask = (cc->sector_size >> SECTOR_SHIFT) - 1;

	/*
	 * Flushes (dm sends them empty) and discards carry no data to
	 * convert: remap and pass them through.
	 */
	if (unlikely(bio->bi_opf & REQ_PREFLUSH ||
		     bio_op(bio) == REQ_OP_DISCARD)) {
		bio_set_dev(bio, cc->dev->bdev);
		if (bio_sectors(bio))
			bio->bi_iter.bi_sector = cc->start +
				dm_target_offset(ti, bio->bi_iter.bi_sector);
		return DM_MAPIO_REMAPPED;
	}

	/* a write's bounce pages come from a pool of BIO_MAX_VECS */
	if (unlikely(bio->bi_iter.bi_size > (BIO_MAX_VECS << PAGE_SHIFT)) &&
	    bio_data_dir(bio) == WRITE)
		dm_accept_partial_bio(bio, (BIO_MAX_VECS << PAGE_SHIFT) >> SECTOR_SHIFT);

	/*
	 * No valid key: a key message got in between preresume, which
	 * checked the key, and resume (cmt_resume()).  Fail the data rather
	 * than write it under a wiped key.
	 */
	if (unlikely(!test_bit(CMT_KEY_VALID, &cc->flags)))
		return DM_MAPIO_KILL;

	/* whole encryption sectors only, as the limits in io_hints ask */
	if (unlikely(bio->bi_iter.bi_sector & sector_mask ||
		     bio->bi_iter.bi_size & (cc->sector_size - 1)))
		return DM_MAPIO_KILL;

	cmt_io_map(cc, bio, dm_target_offset(ti, bio->bi_iter.bi_sector));
	return DM_MAPIO_SUBMITTED;
}

/* ---- status ---- */

static void cmt_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct cmt_config *cc = ti->private;
	bool discards = ti->num_discard_bios;
	unsigned int sz = 0, i, n;

	switch (type) {
	case STATUSTYPE_INFO:
		result[0] = '\0';
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s ", cc->cipher_string);
		/* a key message may be changing them (status may sleep) */
		mutex_lock(&cc->key_lock);
		if (!cc->key_size)
			DMEMIT("-");
		else if (cc->key_string)
			DMEMIT(":%u:%s", cc->key_size, cc->key_string);
		else
			for (n = 0; n < cc->key_size; n++)
				DMEMIT("%02x", cc->key[n]);
		mutex_unlock(&cc->key_lock);
		DMEMIT(" %llu %s %llu", (unsigned long long)cc->iv_offset,
		       cc->dev->name, (unsigned long long)cc->start);

		n = discards + (cc->sector_size != (1 << SECTOR_SHIFT)) +
		    test_bit(CMT_IV_LARGE_SECTORS, &cc->flags);
		for (i = 0; i < ARRAY_SIZE(cmt_opt_flags); i++)
			n += test_bit(cmt_opt_flags[i].bit, &cc->flags);
		if (!n)
			break;
		/* the order stock dm-crypt prints them in */
		DMEMIT(" %u", n);
		if (discards)
			DMEMIT(" allow_discards");
		for (i = 0; i < ARRAY_SIZE(cmt_opt_flags); i++)
			if (test_bit(cmt_opt_flags[i].bit, &cc->flags))
				DMEMIT(" %s", cmt_opt_flags[i].name);
		if (cc->sector_size != (1 << SECTOR_SHIFT))
			DMEMIT(" sector_size:%u", cc->sector_size);
		if (test_bit(CMT_IV_LARGE_SECTORS, &cc->flags))
			DMEMIT(" iv_large_sectors");
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",allow_discards=%c", discards ? 'y' : 'n');
		for (i = 0; i < ARRAY_SIZE(cmt_opt_flags); i++)
			DMEMIT(",%s=%c", cmt_opt_flags[i].name,
			       test_bit(cmt_opt_flags[i].bit, &cc->flags) ? 'y' : 'n');
		DMEMIT(",iv_large_sectors=%c",
		       test_bit(CMT_IV_LARGE_SECTORS, &cc->flags) ? 'y' : 'n');
		if (cc->sector_size != (1 << SECTOR_SHIFT))
			DMEMIT(",sector_size=%u", cc->sector_size);
		DMEMIT(",cipher_string=%s", cc->cipher_string);
		DMEMIT(",key_size=%u,key_parts=%u,key_extra_size=%u,key_mac_size=0;",
		       cc->key_size, cc->key_parts, cc->key_extra_size);
		break;
	}
}

/* ---- suspend, resume, messages ---- */

static void cmt_postsuspend(struct dm_target *ti)
{
	struct cmt_config *cc = ti->private;

	set_bit(CMT_SUSPENDED, &cc->flags);
}

static int cmt_preresume(struct dm_target *ti)
{
	struct cmt_config *cc = ti->private;
	int r = 0;

	mutex_lock(&cc->key_lock);
	if (!test_bit(CMT_KEY_VALID, &cc->flags)) {
		DMERR("aborting resume - crypt key is not set.");
		r = -EAGAIN;
	}
	mutex_unlock(&cc->key_lock);
	return r;
}

/*
 * Key messages are refused from here on.  One may have come between
 * preresume and this (the device is still suspended then): if it left no
 * valid key, map fails the data until a key is set.
 */
static void cmt_resume(struct dm_target *ti)
{
	struct cmt_config *cc = ti->private;

	mutex_lock(&cc->key_lock);
	clear_bit(CMT_SUSPENDED, &cc->flags);
	if (!test_bit(CMT_KEY_VALID, &cc->flags))
		DMERR("resumed without a valid key: I/O fails until one is set");
	mutex_unlock(&cc->key_lock);
}

/*
 * A refused message may still carry key material in any argument (a key
 * set with one argument too many, "key <key>", a misspelt verb): dm frees
 * the message unwiped, so wipe all of it.
 */
static void cmt_wipe_args(unsigned int argc, char **argv)
{
	unsigned int i;

	for (i = 0; i < argc; i++)
		cmt_wipe_arg(argv[i]);
}

/*
 * key set <key> | key wipe -- only while suspended, so no I/O uses the
 * transforms being rekeyed.
 */
static int cmt_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct cmt_config *cc = ti->private;
	char *why = NULL;
	bool known;
	int r;

	if (argc < 2 || strcasecmp(argv[0], "key"))
		goto control;
	mutex_lock(&cc->key_lock);
	if (!test_bit(CMT_SUSPENDED, &cc->flags)) {
		mutex_unlock(&cc->key_lock);
		DMWARN("not suspended during key manipulation.");
		cmt_wipe_args(argc, argv);
		return -EINVAL;
	}
	known = true;
	if (argc == 3 && !strcasecmp(argv[1], "set")) {
		r = cmt_set_key(cc, argv[2], &why);	/* wipes argv[2] */
		if (r)
			DMWARN("key set: %s", why ?: "failed");
	} else if (argc == 2 && !strcasecmp(argv[1], "wipe")) {
		r = cmt_wipe_key(cc);
	} else {
		known = false;
	}
	mutex_unlock(&cc->key_lock);
	if (known)
		return r;
	goto bad;
control:
	r = cmt_control_message(cc, argc, argv, result, maxlen);
	if (r < 0 && r != -ENOTTY)
		cmt_wipe_args(argc, argv);
	if (r != -ENOTTY)
		return r;
bad:
	DMWARN("unrecognised message received.");
	cmt_wipe_args(argc, argv);
	return -EINVAL;
}

static int cmt_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct cmt_config *cc = ti->private;

	return fn(ti, cc->dev, cc->start, ti->len, data);
}

static void cmt_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct cmt_config *cc = ti->private;

	/*
	 * A bounce page per segment: up to 6.9 stock keeps clones within the
	 * device's limits this way; later kernels split them late (compat.h).
	 */
	if (CMT_CAP_SEGMENT_TO_PAGE)
		limits->max_segment_size = PAGE_SIZE;
	limits->logical_block_size =
		max_t(unsigned int, limits->logical_block_size, cc->sector_size);
	limits->physical_block_size =
		max_t(unsigned int, limits->physical_block_size, cc->sector_size);
	limits->io_min = max_t(unsigned int, limits->io_min, cc->sector_size);
	limits->dma_alignment = limits->logical_block_size - 1;
}

static struct target_type cmt_target = {
	.name = CMT_TARGET_NAME,
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = cmt_ctr,
	.dtr = cmt_dtr,
	.map = cmt_map,
	.status = cmt_status,
	.postsuspend = cmt_postsuspend,
	.preresume = cmt_preresume,
	.resume = cmt_resume,
	.message = cmt_message,
	.iterate_devices = cmt_iterate_devices,
	.io_hints = cmt_io_hints,
};

static int __init cmt_init(void)
{
	int r;

	r = cmt_io_init();
	if (r)
		goto err_io;
	r = cmt_wq_init();
	if (r)
		goto err_wq;
	r = cmt_percpu_init();
	if (r)
		goto err_percpu;
	r = cmt_control_init();
	if (r)
		goto err_control;
	r = dm_register_target(&cmt_target);
	if (r)
		goto err_target;
	return 0;

err_target:
	DMERR("register failed %d", r);
	cmt_control_exit();
err_control:
	cmt_percpu_exit();
err_percpu:
	cmt_wq_exit();
err_wq:
	cmt_io_exit();
err_io:
	return r;
}

static void __exit cmt_exit(void)
{
	dm_unregister_target(&cmt_target);
	cmt_control_exit();
	cmt_percpu_exit();
	cmt_wq_exit();
	cmt_io_exit();
	rcu_barrier();	/* kfree_rcu() of CPU lists */
}

module_init(cmt_init);
module_exit(cmt_exit);
MODULE_ALIAS("dm-crypt-mt");
MODULE_DESCRIPTION("device-mapper crypt target scaled across CPUs");
MODULE_LICENSE("GPL");
