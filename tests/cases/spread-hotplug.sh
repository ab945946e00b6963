#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# hotplug with spreading forced (stress-lib.sh: force_spread): fio
# write+verify while CPUs go offline and come back, with every bio cut into
# chunks of three sectors that helper jobs on the other vCPUs convert while
# the starter converts its share.  Everything hotplug checks against stock dm-
# crypt must still hold, and helpers must really have converted chunks
# (checked when the test unloads crypt-mt).
#
# timeout: 360
# cpus: 4
. "$TESTS/lib.sh"
. "$TESTS/stress-lib.sh"
force_spread
. "$TESTS/cases/hotplug.sh"
