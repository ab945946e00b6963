// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include "dm-crypt-mt.h"

static int cmt_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	ti->error = "crypt-mt: not implemented yet";
	return -EINVAL;
}

static void cmt_dtr(struct dm_target *ti)
{
}

static int cmt_map(struct dm_target *ti, struct bio *bio)
{
	return DM_MAPIO_KILL;
}

static struct target_type cmt_target = {
	.name = CMT_TARGET_NAME,
	.version = {0, 1, 0},
	.module = THIS_MODULE,
	.ctr = cmt_ctr,
	.dtr = cmt_dtr,
	.map = cmt_map,
};

static int __init cmt_init(void)
{
	int r = cmt_wq_init();

	if (r)
		return r;
	r = dm_register_target(&cmt_target);
	if (r)
		cmt_wq_exit();
	return r;
}

static void __exit cmt_exit(void)
{
	dm_unregister_target(&cmt_target);
	cmt_wq_exit();
}

module_init(cmt_init);
module_exit(cmt_exit);
MODULE_ALIAS("dm-crypt-mt");
MODULE_DESCRIPTION("device-mapper crypt target scaled across CPUs");
MODULE_LICENSE("GPL");
