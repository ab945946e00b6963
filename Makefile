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

# ---- cryptsetup-mt, installing, DKMS (README: "cryptsetup, conversion and installing") ----

# The LD_PRELOAD library scripts/cryptsetup-mt runs cryptsetup with.
PRELOAD := build/libcmt-preload.so
PRELOAD_CFLAGS ?= -O2 -g
all: preload

preload: $(PRELOAD)

$(PRELOAD): scripts/cmt-preload.c
	@mkdir -p $(@D)
	@# built aside and renamed: concurrent VM runs install it
	$(CC) $(PRELOAD_CFLAGS) -Wall -Wextra -Werror -fPIC -shared -o $@.tmp.$$$$ $< \
		-Wl,--as-needed -ldl && mv -f $@.tmp.$$$$ $@

# Version of the module package (dkms.conf's PACKAGE_VERSION).
CMT_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf)

# make install [KVER=...] [DESTDIR=... | INSTALL_MOD_PATH=...] [PREFIX=/usr/local]
#   module   -> $(DESTDIR)$(INSTALL_MOD_PATH)/lib/modules/$(KVER)/extra/crypt-mt.ko, then depmod
#   tools    -> $(DESTDIR)$(PREFIX)/sbin/{cryptsetup-mt,convert-mapping}
#               $(DESTDIR)$(PREFIX)/lib/crypt-mt/libcmt-preload.so
# depmod runs against the staging root when one is given (-b), so packaging
# and tests never touch the host's module index.
PREFIX ?= /usr/local
MODROOT = $(DESTDIR)$(INSTALL_MOD_PATH)
MODDIR = $(MODROOT)/lib/modules/$(KVER)/extra

install: install-module install-tools

install-module: modules
	install -d $(MODDIR)
	install -m 0644 crypt-mt.ko $(MODDIR)/crypt-mt.ko
	@if [ -n "$(MODROOT)" ]; then \
		echo "depmod -a -b $(MODROOT) $(KVER)"; depmod -a -b $(MODROOT) $(KVER); \
	else \
		echo "depmod -a $(KVER)"; depmod -a $(KVER); \
	fi

# The tools alone (the test VM's image gets them this way, too).
install-tools: preload
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/crypt-mt
	install -m 0755 scripts/cryptsetup-mt $(DESTDIR)$(PREFIX)/sbin/cryptsetup-mt
	install -m 0755 scripts/convert-mapping $(DESTDIR)$(PREFIX)/sbin/convert-mapping
	install -m 0644 $(PRELOAD) $(DESTDIR)$(PREFIX)/lib/crypt-mt/libcmt-preload.so

uninstall:
	rm -f $(MODDIR)/crypt-mt.ko
	-rmdir $(MODDIR) 2>/dev/null
	@if [ -d "$(MODROOT)/lib/modules/$(KVER)" ]; then \
		echo "depmod -a $(if $(MODROOT),-b $(MODROOT) )$(KVER)"; \
		depmod -a $(if $(MODROOT),-b $(MODROOT) )$(KVER); \
	fi
	rm -f $(DESTDIR)$(PREFIX)/sbin/cryptsetup-mt $(DESTDIR)$(PREFIX)/sbin/convert-mapping
	rm -f $(DESTDIR)$(PREFIX)/lib/crypt-mt/libcmt-preload.so
	-rmdir $(DESTDIR)$(PREFIX)/lib/crypt-mt 2>/dev/null

# DKMS: copy the module sources to /usr/src/crypt-mt-<version>, then let DKMS
# build and install them for the current kernel (and every new one: AUTOINSTALL).
DKMS_SRC = $(DESTDIR)/usr/src/crypt-mt-$(CMT_VERSION)
DKMS_FILES = Kbuild Makefile dkms.conf dm-crypt-mt.h compat.h dm-crypt-mt.c io.c percpu.c \
	workqueue.c essiv.c iv.c scripts/cmt-preload.c LICENSE

dkms-src:
	install -d $(DKMS_SRC)/scripts
	for f in $(DKMS_FILES); do install -m 0644 $$f $(DKMS_SRC)/$$f; done

dkms-install: dkms-src
	dkms add -m crypt-mt -v $(CMT_VERSION)
	dkms build -m crypt-mt -v $(CMT_VERSION) -k $(KVER)
	dkms install -m crypt-mt -v $(CMT_VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m crypt-mt -v $(CMT_VERSION) --all
	rm -rf $(DKMS_SRC)

.PHONY: preload install install-module install-tools uninstall dkms-src dkms-install dkms-uninstall
