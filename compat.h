/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel API difference crypt-mt meets between the kernels it is built
 * and tested on (Debian's 6.1 and 6.12), one entry each.  The rest of the
 * code uses the names below and tests no kernel version itself.
 *
 * Checked by building against both header trees with warnings as errors
 * (README, "Building"); an entry goes when the oldest supported kernel has
 * the new form.
 */
#ifndef _CRYPT_MT_COMPAT_H
#define _CRYPT_MT_COMPAT_H

#include <linux/version.h>
#include <linux/crypto.h>

/*
 * Completion callback of an asynchronous crypto request.  Up to 6.2,
 * crypto_completion_t is void (*)(struct crypto_async_request *req, int err)
 * and the caller's data is req->data; from 6.3 on it is
 * void (*)(void *data, int err) (commit 255e48eb1768, "crypto: api - Use
 * data directly in completion function").  Declare and define a callback as
 *
 *	static CMT_CRYPTO_DONE(name, arg, err)
 *	{
 *		struct thing *t = cmt_crypto_done_data(arg);
 *
 * and pass `name` to skcipher_request_set_callback() as before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define CMT_CRYPTO_DONE(name, arg, err)	void name(void *arg, int err)
#define cmt_crypto_done_data(arg)	(arg)
#else
#define CMT_CRYPTO_DONE(name, arg, err) \
	void name(struct crypto_async_request *arg, int err)
#define cmt_crypto_done_data(arg)	((arg)->data)
#endif

/*
 * Queue limits.  Stock dm-crypt capped its devices' max_segment_size at
 * PAGE_SIZE up to 6.9 (commit 586b286b110e, "dm crypt: constrain crypt
 * device's max_segment_size to PAGE_SIZE"); 6.10 dropped the cap ("dm-crypt:
 * stop constraining max_segment_size to PAGE_SIZE"): the block core splits
 * bios late where they exceed a device's limits.  crypt-mt sets the limits
 * that the stock dm-crypt of its kernel sets, so that the two mappings of a
 * device look the same to everything above them.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define CMT_CAP_SEGMENT_TO_PAGE	false
#else
#define CMT_CAP_SEGMENT_TO_PAGE	true
#endif

#endif
