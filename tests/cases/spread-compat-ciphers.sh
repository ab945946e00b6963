#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# compat-ciphers with spreading forced (stress-lib.sh: force_spread): every
# cipher spec, IV mode (lmk, tcw, eboiv, essiv, benbi, ...) and key layout,
# with every bio cut into chunks of three sectors that helper jobs on the
# other vCPUs convert while the starter converts its share.  Everything
# compat-ciphers checks against stock dm-crypt must still hold, and helpers
# must really have converted chunks (checked when the test unloads crypt-mt).
#
# timeout: 360
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
force_spread
. "$TESTS/cases/compat-ciphers.sh"
