#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fio-verify with spreading forced (stress-lib.sh: force_spread): fio
# write+verify (default, no_*_workqueue, sector_size:4096), with every bio cut
# into chunks of three sectors that helper jobs on the other vCPUs convert
# while the starter converts its share.  Everything fio-verify checks against
# stock dm-crypt must still hold, and helpers must really have converted
# chunks (checked when the test unloads crypt-mt).
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
force_spread
. "$TESTS/cases/fio-verify.sh"
