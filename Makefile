# Lifeboat — top-level build.
#
#   make          build build/lifeboat.iso (installs missing host packages as root)
#   make run      build the ISO and boot it in QEMU with two demo disks
#   make test     run every test; the last line reads "N passed, N failed, N skipped"
#   make bench    run Lifeboat and its peers side by side and print ratios
#   make host     build only the host binary build/host/lifeboat (for tests)
#   make asan     build build/asan/lifeboat with ASan and UBSan
#
# Each area keeps its rules in its own fragment, included below.  Overrides
# (CC, CFLAGS, JOBS, ...) live in mk/config.mk and nowhere else.

.DEFAULT_GOAL := all
include mk/config.mk
include mk/host-deps.mk
include tui/tui.mk
include imager/imager.mk
include tests/tests.mk
# Fragments that their areas add as they land.
-include deps/deps.mk
-include iso/iso.mk
-include tests/bench/bench.mk

all: iso

clean:
	rm -rf $(B)/host $(B)/asan $(B)/musl $(B)/tests $(B)/iso $(B)/lifeboat.iso

distclean:
	rm -rf $(B)

.PHONY: all clean distclean
