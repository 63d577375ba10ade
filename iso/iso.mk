# The bootable image: initramfs (rootfs/ + BusyBox + static lifeboat +
# storage modules) and the hybrid BIOS/UEFI ISO (boot/, iso/mkiso.sh).
#
#   make iso       build/lifeboat.iso
#   make run       build the ISO and the demo disks, boot them in QEMU on this
#                  terminal (serial console; quit with Ctrl-A then X;
#                  QEMU_ACCEL=kvm make run where KVM works)
#   make iso-bench ISO size, smallest RAM that boots, boot time per cell
ISO        := $(B)/lifeboat.iso
ISO_INITRD := $(B)/iso/initrd.gz
ISO_VERSION := $(shell sed -n 's/^\#define LB_VERSION "\(.*\)"/\1/p' imager/lifeboat.h)
ROOTFS_FILES := $(wildcard rootfs/etc/* rootfs/sbin/*) rootfs/modules.txt
DEMO       := $(B)/demo

$(ISO_INITRD): $(B)/musl/lifeboat iso/mkinitramfs.sh $(ROOTFS_FILES) \
		$(DEPS_STAMP)/built-busybox $(DEPS_STAMP)/built-debs $(DEPS_TOOLS_STAMPS)
	B=$(B) iso/mkinitramfs.sh $@ $(B)/musl/lifeboat

$(ISO): $(ISO_INITRD) iso/mkiso.sh boot/isolinux.cfg boot/grub.cfg boot/grub-efi.cfg \
		$(DEPS_STAMP)/built-debs
	B=$(B) iso/mkiso.sh $@ $(ISO_INITRD) $(ISO_VERSION)

iso: host-deps $(ISO)

$(DEMO)/source.img: iso/demo-disks.sh | $(HOST_DEPS_STAMP)
	iso/demo-disks.sh $(DEMO)

run: iso $(DEMO)/source.img
	iso/run.sh $(ISO) $(DEMO)

iso-bench: iso
	tests/boot/bench.sh $(ISO)

# `make bench` (tests/bench/bench.mk) prints the ISO's figures first.
bench: iso-bench

# `make test` boots the ISO (tests/boot).  tests/tests.mk reads TEST_DEPS
# before this fragment is included, so the prerequisite is also added to
# `test` directly.
TEST_DEPS += iso
test: iso

.PHONY: iso run iso-bench
