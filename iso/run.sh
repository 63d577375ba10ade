#!/bin/sh
# iso/run.sh ISO DEMO_DIR — boots the Lifeboat ISO in QEMU on this terminal
# with the demo disks (iso/demo-disks.sh) as virtio disks.  The VM's serial
# port is this terminal, where the default boot entry starts Lifeboat's
# screens.  Quit QEMU with Ctrl-A then X.  QEMU_ACCEL=kvm makes it faster
# where KVM works (the default, tcg, works everywhere, if slowly).
set -eu
iso=${1:?usage: run.sh ISO DEMO_DIR}; demo=${2:?}
accel=${QEMU_ACCEL:-tcg}
echo "Booting $iso in QEMU ($accel) with $demo/source.img and $demo/target.img."
echo "Lifeboat appears on this terminal after the boot menu.  Quit: Ctrl-A then X."
sleep 2
exec qemu-system-x86_64 -accel "$accel" -m 512 -smp 2 -nographic \
	-cdrom "$iso" -boot d \
	-drive file="$demo/source.img",if=virtio,format=raw \
	-drive file="$demo/target.img",if=virtio,format=raw
