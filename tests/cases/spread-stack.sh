#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stack with spreading forced (stress-lib.sh: force_spread): the three-deep
# AES-Twofish-Serpent cascades and the mixed stack, with every bio cut into
# chunks of three sectors that helper jobs on the other vCPUs convert while
# the starter converts its share.  Everything stack checks against stock dm-
# crypt must still hold, and helpers must really have converted chunks
# (checked when the test unloads crypt-mt).
#
# timeout: 420
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
force_spread
. "$TESTS/cases/stack.sh"
