# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of crypt-mt.  The machine's running kernel usually has no
# headers here, so we build against an installed Debian kbuild tree, chosen
# by scripts/kernel.sh, the same choice make check and make bench boot:
#
#   make                 the newest kernel installed with headers, image and modules
#   make KVER=6.12       the newest installed 6.12 (a series), or
#   make KVER=6.12.117+deb12-amd64   that kernel
#   make KDIR=/path/to/kbuild [KVER=...]   any kbuild tree (DKMS does this)
#
# CMT_KROOT=DIR looks for kernels under DIR instead of / (scripts/kernel-unpack.sh).

# What was asked for, passed on as is to make check / make bench, which
# install a missing kernel before choosing (scripts/deps.sh --kernel).
KVER_ASKED := $(KVER)
ifeq ($(KDIR),)
  ifneq ($(wildcard $(CURDIR)/scripts/kernel.sh),)
    _K := $(shell $(CURDIR)/scripts/kernel.sh --for build --print make $(KVER) 2>/dev/null)
    override KVER := $(word 1,$(_K))
    KDIR := $(word 2,$(_K))
  else
    # a copy of the sources without scripts/ (DKMS passes KVER and KDIR)
    KDIR := $(if $(KVER),/lib/modules/$(KVER)/build)
  endif
else ifeq ($(KVER),)
  KVER := $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif

all: modules

modules:
	@if [ -z "$(KDIR)" ]; then scripts/kernel.sh --for build $(KVER_ASKED) >/dev/null; exit 1; fi
	@test -e "$(KDIR)/Makefile" || { echo "no kernel build tree at '$(KDIR)'"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true)
	rm -f *.o *.ko *.mod *.mod.c .*.cmd *.order Module.symvers
	rm -rf build

.PHONY: all modules clean

# Everything below installs what it needs itself (scripts/deps.sh).

# The whole test suite in a QEMU guest running Debian's kernel.  T=name runs
# one test; KVER= picks the kernel (module and VM), as for make.
check:
	KVER='$(KVER_ASKED)' scripts/check.sh $(T)

# The same suite on a debug kernel (KASAN, lockdep, kmemleak, fault injection).
check-debug:
	scripts/check-debug.sh $(T)

# cryptsetup's own test suite (from the Debian source of the installed
# cryptsetup) against crypt-mt in the VM, each test first on stock dm-crypt
# as the baseline.  T="name ..." runs those tests, T=all both groups; KVER= as
# for check.
check-upstream:
	KVER='$(KVER_ASKED)' scripts/check-upstream.sh $(if $(filter all,$(T)),--all,$(T))

# The main job: fio through the raw device, stock dm-crypt and crypt-mt.
bench:
	KVER='$(KVER_ASKED)' scripts/bench.sh $(BENCH_ARGS)

# Where the CPU time of one I/O goes: perf in the VM (README: "Profiling").
profile:
	KVER='$(KVER_ASKED)' scripts/profile.sh $(PROFILE_ARGS)

.PHONY: check check-debug check-upstream bench profile

# ---- cryptsetup-mt, installing, DKMS (README: "cryptsetup, conversion and installing") ----

# The LD_PRELOAD library userspace/cryptsetup-mt runs cryptsetup with.
PRELOAD := build/libcmt-preload.so
PRELOAD_CFLAGS ?= -O2 -g
all: preload

preload: $(PRELOAD)

$(PRELOAD): userspace/cmt-preload.c
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
#   boot     -> $(DESTDIR)$(PREFIX)/lib/crypt-mt/{cryptdisks.sh,systemd-cryptsetup-crypt-mt.conf}
#               (inert until a user adds the lines README's "Boot-time volumes" gives)
#               $(DESTDIR)$(INITRAMFS_HOOKDIR)/crypt-mt (inert until enabled in
#               /etc/initramfs-tools/conf.d/crypt-mt)
# depmod runs against the staging root when one is given (-b), so packaging
# and tests never touch the host's module index.
PREFIX ?= /usr/local
LIBDIR = $(PREFIX)/lib/crypt-mt
INITRAMFS_HOOKDIR ?= /etc/initramfs-tools/hooks
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
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(LIBDIR)
	install -m 0755 userspace/cryptsetup-mt $(DESTDIR)$(PREFIX)/sbin/cryptsetup-mt
	install -m 0755 userspace/convert-mapping $(DESTDIR)$(PREFIX)/sbin/convert-mapping
	install -m 0644 $(PRELOAD) $(DESTDIR)$(LIBDIR)/libcmt-preload.so
	@# boot-time volumes: files naming where the library is installed
	install -d $(DESTDIR)$(INITRAMFS_HOOKDIR)
	sed 's|@LIBDIR@|$(LIBDIR)|g' userspace/cryptdisks.sh >$(DESTDIR)$(LIBDIR)/cryptdisks.sh
	sed 's|@LIBDIR@|$(LIBDIR)|g' userspace/systemd-cryptsetup-crypt-mt.conf \
		>$(DESTDIR)$(LIBDIR)/systemd-cryptsetup-crypt-mt.conf
	sed 's|@LIBDIR@|$(LIBDIR)|g' userspace/initramfs-hook >$(DESTDIR)$(INITRAMFS_HOOKDIR)/crypt-mt
	chmod 0644 $(DESTDIR)$(LIBDIR)/cryptdisks.sh $(DESTDIR)$(LIBDIR)/systemd-cryptsetup-crypt-mt.conf
	chmod 0755 $(DESTDIR)$(INITRAMFS_HOOKDIR)/crypt-mt

uninstall:
	rm -f $(MODDIR)/crypt-mt.ko
	-rmdir $(MODDIR) 2>/dev/null
	@if [ -d "$(MODROOT)/lib/modules/$(KVER)" ]; then \
		echo "depmod -a $(if $(MODROOT),-b $(MODROOT) )$(KVER)"; \
		depmod -a $(if $(MODROOT),-b $(MODROOT) )$(KVER); \
	fi
	rm -f $(DESTDIR)$(PREFIX)/sbin/cryptsetup-mt $(DESTDIR)$(PREFIX)/sbin/convert-mapping
	rm -f $(DESTDIR)$(LIBDIR)/libcmt-preload.so
	rm -f $(DESTDIR)$(LIBDIR)/cryptdisks.sh $(DESTDIR)$(LIBDIR)/systemd-cryptsetup-crypt-mt.conf
	rm -f $(DESTDIR)$(INITRAMFS_HOOKDIR)/crypt-mt
	-rmdir $(DESTDIR)$(LIBDIR) 2>/dev/null

# DKMS: copy the module sources to /usr/src/crypt-mt-<version>, then let DKMS
# build and install them for the current kernel (and every new one: AUTOINSTALL).
DKMS_SRC = $(DESTDIR)/usr/src/crypt-mt-$(CMT_VERSION)
DKMS_FILES = Kbuild Makefile dkms.conf dm-crypt-mt.h compat.h dm-crypt-mt.c io.c convert.c control.c \
	percpu.c workqueue.c essiv.c iv.c userspace/cmt-preload.c scripts/kernel.sh LICENSE

dkms-src:
	for f in $(DKMS_FILES); do install -D -m 0644 $$f $(DKMS_SRC)/$$f; done
	chmod 0755 $(DKMS_SRC)/scripts/kernel.sh

dkms-install: dkms-src
	dkms add -m crypt-mt -v $(CMT_VERSION)
	dkms build -m crypt-mt -v $(CMT_VERSION) -k $(KVER)
	dkms install -m crypt-mt -v $(CMT_VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove -m crypt-mt -v $(CMT_VERSION) --all
	rm -rf $(DKMS_SRC)

.PHONY: preload install install-module install-tools uninstall dkms-src dkms-install dkms-uninstall
