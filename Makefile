# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of vhost_lio.ko, and the entry points for the tests.
#
#   make                      build against the running kernel's headers
#   make KDIR=/path/to/tree   build against any configured header tree
#   make W=1                  with the kernel's extra warnings (W=12 too:
#                             none in our files; see make lint)
#   make install              install the module (updates/), the modprobe.d
#                             alias file, and run depmod; DESTDIR= for staging
#   make dkms-install         as root: the sources to /usr/src/vhost-lio-<ver>,
#                             dkms add, build and install for the running
#                             kernel (and later ones: AUTOINSTALL), and the
#                             alias file; DKMS_FLAGS= more options for
#                             those three dkms commands
#   make dkms-remove          as root: dkms remove --all, the sources in
#                             /usr/src and the alias file
#   make unit                 userspace unit tests of the portable core
#   make lint                 static checks, one PASS:/FAIL: line each:
#                             checkpatch --strict, kernel-doc -Wall,
#                             shellcheck, and per kernel sparse (C=2) and
#                             W=12 (scripts/lint.sh; accepted findings in
#                             scripts/lint-exceptions; VL_KERNELS="6.1")
#   make check                every test: unit tests, then the VM tests
#   make check-debug          the same on the debug kernel (KASAN, lockdep,
#                             kmemleak...), built first by
#                             scripts/debug-kernel.sh (~1 h the first time)
#   make bench                in-tree vhost_scsi vs vhost_lio, one VM boot;
#                             BENCH_ARGS="-k 6.1 -r 5" passes options
#                             (Documentation/performance.md)
#   make ceph                 the Ceph RBD recipe of the admin guide in a VM:
#                             a single-node cluster, an RBD image as an
#                             iblock LUN, verified I/O, a nested guest
#                             migrated between two exports of the image
#                             (scripts/ceph.sh; CEPH_ARGS=6.1 for the
#                             other kernel)
#   make clean
#
# Each kernel's objects go to build/<kernelrelease>/, so builds for several
# kernels coexist.  That directory mirrors the sources with symlinks.

KDIR ?= /lib/modules/$(shell uname -r)/build
W ?=
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KREL = $(shell sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
BUILD = $(TOP)/build/$(KREL)

.PHONY: all modules install dkms-install dkms-remove clean unit fuzz lint check check-debug demo bench ceph

all: modules

# What kbuild would otherwise fail on deep inside, said in one line: the
# tree, the compiler the kernel was built with, pahole where kbuild makes
# BTF for modules (CONFIG_DEBUG_INFO_BTF_MODULES and a vmlinux to base it
# on: Debian ships one in the 6.12 headers, not in 6.1's).
KCONF = $(KDIR)/include/config/auto.conf
KCC = $(firstword $(shell sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\).*/\1/p' $(KCONF) 2>/dev/null))
KBTF = $(if $(wildcard $(KDIR)/vmlinux),$(shell grep -s '^CONFIG_DEBUG_INFO_BTF_MODULES=y' $(KCONF)))

modules:
	@test -n "$(KREL)" || { echo "KDIR=$(KDIR) is not a configured kernel tree (install linux-headers-$$(uname -r), or pass KDIR=)" >&2; exit 1; }
	@test -z "$(KCC)" || command -v $(KCC) >/dev/null || { echo "$(KCC) not found: $(KREL) was built with it (Debian: apt-get install $(patsubst x86_64-linux-gnu-%,%,$(KCC)))" >&2; exit 1; }
	@test -z "$(KBTF)" || command -v pahole >/dev/null || { echo "pahole not found: $(KREL) has BTF for modules (Debian: apt-get install pahole)" >&2; exit 1; }
	@$(TOP)/scripts/mirror-tree.sh $(TOP) $(BUILD)
	$(MAKE) -C $(KDIR) M=$(BUILD) CONFIG_VHOST_LIO=m W=$(W) modules
	@echo "built $(BUILD)/drivers/vhost_lio.ko"

DESTDIR ?=
install:
	@test -f $(BUILD)/drivers/vhost_lio.ko || { echo "build first: make KDIR=$(KDIR)" >&2; exit 1; }
	install -D -m 644 $(BUILD)/drivers/vhost_lio.ko $(DESTDIR)/lib/modules/$(KREL)/updates/vhost_lio.ko
	install -D -m 644 $(TOP)/scripts/vhost-lio.conf $(DESTDIR)/etc/modprobe.d/vhost-lio.conf
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)

# DKMS (dkms.conf).  The version's one place is VL_VERSION in
# drivers/vhost_lio.h.  DKMS_FILES are what the build reads (the same as
# scripts/intree-check.sh takes, and this Makefile), copied as they are
# into /usr/src/vhost-lio-<ver>, where dkms looks for them.
VERSION = $(shell sed -n 's/^\#define VL_VERSION[[:space:]]*"\(.*\)"$$/\1/p' $(TOP)/drivers/vhost_lio.h)
DKMS_SRC = /usr/src/vhost-lio-$(VERSION)
DKMS_FILES = dkms.conf Makefile Kbuild Kconfig drivers include scripts
DKMS_FLAGS ?=
dkms-install:
	@command -v dkms >/dev/null || { echo "dkms not found (Debian: apt-get install dkms)" >&2; exit 1; }
	@test -n "$(VERSION)" || { echo "no VL_VERSION in drivers/vhost_lio.h" >&2; exit 1; }
	@! dkms status vhost-lio/$(VERSION) | grep -q . || { echo "vhost-lio/$(VERSION) is in DKMS already: make dkms-remove first" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cd $(TOP) && cp -R --parents $(DKMS_FILES) $(DKMS_SRC)/
	dkms add vhost-lio/$(VERSION) $(DKMS_FLAGS)
	dkms build vhost-lio/$(VERSION) $(DKMS_FLAGS)
	dkms install vhost-lio/$(VERSION) $(DKMS_FLAGS)
	install -D -m 644 $(TOP)/scripts/vhost-lio.conf /etc/modprobe.d/vhost-lio.conf

# A version not in DKMS (never added, or removed already) is no error.
dkms-remove:
	@command -v dkms >/dev/null || { echo "dkms not found" >&2; exit 1; }
	@echo "dkms remove vhost-lio/$(VERSION) --all"; \
	out=$$(dkms remove vhost-lio/$(VERSION) --all 2>&1); rc=$$?; \
	printf '%s\n' "$$out"; \
	[ $$rc -eq 0 ] || printf '%s\n' "$$out" | grep -q 'is not located in the DKMS tree'
	rm -rf $(DKMS_SRC)
	rm -f /etc/modprobe.d/vhost-lio.conf

unit:
	$(MAKE) -C $(TOP)/tests/unit

fuzz:
	$(MAKE) -C $(TOP)/tests/fuzz

lint:
	$(TOP)/scripts/lint.sh

check:
	$(TOP)/scripts/test-all.sh

check-debug:
	VL_KERNELS=6.12-debug $(TOP)/scripts/test-all.sh

demo:
	$(TOP)/scripts/demo.sh

bench:
	$(TOP)/scripts/bench.sh $(BENCH_ARGS)

ceph:
	$(TOP)/scripts/ceph.sh $(CEPH_ARGS)

clean:
	rm -rf $(TOP)/build
	$(if $(wildcard $(TOP)/tests/unit),$(MAKE) -C $(TOP)/tests/unit clean)
	$(if $(wildcard $(TOP)/tests/fuzz),$(MAKE) -C $(TOP)/tests/fuzz clean)
