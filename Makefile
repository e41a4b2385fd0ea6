# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of vhost_lio.ko, and the entry points for the tests.
#
#   make                      build against the running kernel's headers
#   make KDIR=/path/to/tree   build against any configured header tree
#   make W=1                  with the kernel's extra warnings
#   make install              install the module (updates/), the modprobe.d
#                             alias file, and run depmod; DESTDIR= for staging
#   make unit                 userspace unit tests of the portable core
#   make check                every test: unit tests, then the VM tests
#   make check-debug          the same on the debug kernel (KASAN, lockdep,
#                             kmemleak...), built first by
#                             scripts/debug-kernel.sh (~1 h the first time)
#   make bench                in-tree vhost_scsi vs vhost_lio, one VM boot;
#                             BENCH_ARGS="-k 6.1 -r 5" passes options
#                             (Documentation/performance.md)
#   make clean
#
# Each kernel's objects go to build/<kernelrelease>/, so builds for several
# kernels coexist.  That directory mirrors the sources with symlinks.

KDIR ?= /lib/modules/$(shell uname -r)/build
W ?=
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KREL = $(shell sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
BUILD = $(TOP)/build/$(KREL)

.PHONY: all modules install clean unit fuzz check check-debug demo bench

all: modules

modules:
	@test -n "$(KREL)" || { echo "KDIR=$(KDIR) is not a configured kernel tree" >&2; exit 1; }
	@$(TOP)/scripts/mirror-tree.sh $(TOP) $(BUILD)
	$(MAKE) -C $(KDIR) M=$(BUILD) CONFIG_VHOST_LIO=m W=$(W) modules
	@echo "built $(BUILD)/drivers/vhost_lio.ko"

DESTDIR ?=
install:
	@test -f $(BUILD)/drivers/vhost_lio.ko || { echo "build first: make KDIR=$(KDIR)" >&2; exit 1; }
	install -D -m 644 $(BUILD)/drivers/vhost_lio.ko $(DESTDIR)/lib/modules/$(KREL)/updates/vhost_lio.ko
	install -D -m 644 $(TOP)/scripts/vhost-lio.conf $(DESTDIR)/etc/modprobe.d/vhost-lio.conf
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)

unit:
	$(MAKE) -C $(TOP)/tests/unit

fuzz:
	$(MAKE) -C $(TOP)/tests/fuzz

check:
	$(TOP)/scripts/test-all.sh

check-debug:
	VL_KERNELS=6.12-debug $(TOP)/scripts/test-all.sh

demo:
	$(TOP)/scripts/demo.sh

bench:
	$(TOP)/scripts/bench.sh $(BENCH_ARGS)

clean:
	rm -rf $(TOP)/build
	-$(MAKE) -C $(TOP)/tests/unit clean
	-$(MAKE) -C $(TOP)/tests/fuzz clean
