#!/bin/sh
# Harness self-test (tests/host/harness-timeout.sh): never finishes; the
# harness must kill it and report TIMEOUT.
# timeout: 5
echo "hanging on purpose"
sleep 100000 &
sleep 100000
