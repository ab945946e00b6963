/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DM_CRYPT_MT_H
#define _DM_CRYPT_MT_H

#include <linux/device-mapper.h>

#define CMT_TARGET_NAME "crypt-mt"

int cmt_wq_init(void);
void cmt_wq_exit(void);

#endif
