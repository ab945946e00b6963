#!/bin/sh
# Harness self-test (tests/host/harness-splat.sh): loads a module whose init
# WARNs.  The test itself "passes"; the harness must fail it for the splat.
# timeout: 30
modprobe crypt_mt_splat
echo "splat module loaded, still alive"
exit 0
