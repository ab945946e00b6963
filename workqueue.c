// SPDX-License-Identifier: GPL-2.0
#include "dm-crypt-mt.h"

int cmt_wq_init(void)
{
	return 0;
}

void cmt_wq_exit(void)
{
}
