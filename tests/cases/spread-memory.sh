#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# memory with spreading forced (stress-lib.sh: force_spread): fio write+verify
# under memory pressure, with every bio cut into chunks of three sectors that
# helper jobs on the other vCPUs convert while the starter converts its share.
# Everything memory checks against stock dm-crypt must still hold, and helpers
# must really have converted chunks (checked when the test unloads crypt-mt).
#
# timeout: 360
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
force_spread
. "$TESTS/cases/memory.sh"
