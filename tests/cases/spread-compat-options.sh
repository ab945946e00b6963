#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# compat-options with spreading forced (stress-lib.sh: force_spread): the
# optional parameters (sector_size:4096, iv_large_sectors, ...), with every
# bio cut into chunks of three sectors that helper jobs on the other vCPUs
# convert while the starter converts its share.  Everything compat-options
# checks against stock dm-crypt must still hold, and helpers must really have
# converted chunks (checked when the test unloads crypt-mt).
#
# timeout: 300
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
force_spread
. "$TESTS/cases/compat-options.sh"
