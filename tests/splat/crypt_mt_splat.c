// SPDX-License-Identifier: GPL-2.0
/*
 * Loading this module makes a kernel splat on purpose, so that the test
 * harness can prove it notices one (tests/host/harness-splat.sh).
 *
 *   modprobe crypt_mt_splat           WARN_ON(1): a "WARNING:" splat
 *   modprobe crypt_mt_splat oops=1    a NULL dereference: an Oops
 */
#include <linux/module.h>

static bool oops;
module_param(oops, bool, 0444);
MODULE_PARM_DESC(oops, "oops instead of warning");

static int __init splat_init(void)
{
	if (oops) {
		int *volatile p = NULL;

		pr_emerg("crypt-mt-splat: dereferencing NULL on purpose\n");
		return *p;
	}
	pr_emerg("crypt-mt-splat: warning on purpose\n");
	WARN_ON(1);
	return 0;
}

static void __exit splat_exit(void)
{
}

module_init(splat_init);
module_exit(splat_exit);
MODULE_DESCRIPTION("crypt-mt test harness: deliberate kernel splat");
MODULE_LICENSE("GPL");
