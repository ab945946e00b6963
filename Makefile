# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of crypt-mt.  The machine's running kernel usually has no
# headers here, so by default we build against the newest Debian kbuild tree
# installed under /lib/modules.  KVER= or KDIR= override that.

KVER ?= $(shell ls -1 /lib/modules 2>/dev/null | while read v; do \
	  [ -e /lib/modules/$$v/build/Makefile ] && echo $$v; done | sort -V | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build

all: modules

modules:
	@test -e "$(KDIR)/Makefile" || { echo "no kernel build tree at '$(KDIR)' (run scripts/deps.sh)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf build

.PHONY: all modules clean

# Everything below installs what it needs itself (scripts/deps.sh).

# The whole test suite in a QEMU guest running Debian's kernel.  T=name runs one test.
check:
	scripts/check.sh $(T)

# The same suite on a debug kernel (KASAN, lockdep, kmemleak, fault injection).
check-debug:
	scripts/check-debug.sh $(T)

# The main job: fio through the raw device, stock dm-crypt and crypt-mt.
bench:
	scripts/bench.sh $(BENCH_ARGS)

.PHONY: check check-debug bench
