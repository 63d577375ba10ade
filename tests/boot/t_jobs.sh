#!/usr/bin/env bash
# tests/boot/t_jobs.sh — unattended jobs inside the booted ISO (the kernel
# and initramfs taken out of build/lifeboat.iso, the ISO attached as the
# CD it came from), each driven by lifeboat.job=... on the kernel command
# line, logged on the serial console and ending in "LIFEBOAT-JOB: OK" and a
# power-off.  The results are judged on the host, with tools we did not
# write: cmp for disks, qemu-img check/compare for the image, e2fsck for
# the destination filesystem the image was written to.
#   clone:   virtio disk -> NVMe disk, byte-identical
#   backup:  virtio disk -> image on an ext4 destination disk
#   restore: that image -> AHCI (SATA) disk, byte-identical to the source
#   restore --grow-last: that image -> a larger virtio disk; partition 2's
#            ext4 grown by the ISO's resize2fs (e2fsck -fn, block count)
#   backup:  virtio disk -> image on a FAT32 destination disk (vfat driver,
#            its code pages), judged the same way with fsck.vfat
#   bad job: an unknown action fails clearly (rc=2) and still powers off
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/bootlib.sh"
why=$(boot_skip_reason)
if [ -n "$why" ]; then
	for c in "clone virtio to NVMe" "backup to ext4" "restore to AHCI" "restore --grow-last grows ext4 in the ISO" "backup to FAT32" "bad job line"; do skip "$c" "$why"; done
	exit 0
fi

# job NAME: boots with VM_APPEND, waits for the job's last line and the
# power-off; the verdict line is left in $T/NAME.verdict.
job() {
	local name=$1; shift
	vm_start "$name" seabios kernel "$@"
	vm_wait "$name" 'LIFEBOAT-JOB: (OK|FAILED)' 600 || { echo "no job verdict: $(vm_tail "$name" 5)" >"$T/$name.verdict"; return 1; }
	vm_wait_exit "$name" 120 || { echo "did not power off after the job" >"$T/$name.verdict"; return 1; }
	tr -d '\r' <"$T/$name.serial" | grep -aoE 'LIFEBOAT-JOB: (OK|FAILED.*)' | tail -1 >"$T/$name.verdict"
	grep -q 'LIFEBOAT-JOB: OK' "$T/$name.verdict"
}

"$TOP/iso/demo-disks.sh" "$T" >/dev/null        # source.img: GPT, FAT32 + ext4 with files
src=$T/source.img

# Clone onto an NVMe disk of the same size.
truncate -s "$(stat -c %s "$src")" "$T/nvme.img"
if VM_APPEND="lifeboat.job=clone lifeboat.src=/dev/vda lifeboat.dst=/dev/nvme0n1" job clone \
	-drive file="$src",if=virtio,format=raw \
	-drive file="$T/nvme.img",if=none,id=nv,format=raw -device nvme,drive=nv,serial=lbnvme; then
	same_bytes "clone virtio to NVMe" "$src" "$T/nvme.img"
else
	fail "clone virtio to NVMe" "$(cat "$T/clone.verdict")"
fi

# Back up onto an ext4 destination disk.
truncate -s 512M "$T/dest.img"
mke2fs -q -F -t ext4 -L lbdest "$T/dest.img"
backup_ok=
if VM_APPEND="lifeboat.job=backup lifeboat.src=/dev/vda lifeboat.dest=/dev/vdb lifeboat.image=disk.qcow2" job backup \
	-drive file="$src",if=virtio,format=raw,readonly=on -drive file="$T/dest.img",if=virtio,format=raw; then
	debugfs -R "dump /disk.qcow2 $T/disk.qcow2" "$T/dest.img" >/dev/null 2>&1
	if ! e2fsck -fn "$T/dest.img" >"$T/fsck.out" 2>&1; then
		fail "backup to ext4" "destination filesystem not clean: $(tail -2 "$T/fsck.out" | tr '\n' ' ')"
	elif ! qemu-img check -q "$T/disk.qcow2" >"$T/check.out" 2>&1; then
		fail "backup to ext4" "qemu-img check: $(head -3 "$T/check.out" | tr '\n' ' ')"
	elif ! qemu-img compare -q -f raw -F qcow2 "$src" "$T/disk.qcow2" >"$T/cmp.out" 2>&1; then
		fail "backup to ext4" "qemu-img compare: $(head -2 "$T/cmp.out" | tr '\n' ' ')"
	else
		pass "backup to ext4 (qemu-img check and compare agree, e2fsck clean)"; backup_ok=1
	fi
else
	fail "backup to ext4" "$(cat "$T/backup.verdict")"
fi

# Restore that image onto a SATA disk behind AHCI.
if [ -z "$backup_ok" ]; then
	skip "restore to AHCI" "the backup it restores failed"
else
	truncate -s "$(stat -c %s "$src")" "$T/sata.img"
	if VM_APPEND="lifeboat.job=restore lifeboat.dest=/dev/vda lifeboat.image=disk.qcow2 lifeboat.dst=/dev/sda" job restore \
		-drive file="$T/dest.img",if=virtio,format=raw \
		-device ahci,id=ahci -drive file="$T/sata.img",if=none,id=sata,format=raw -device ide-hd,drive=sata,bus=ahci.0; then
		same_bytes "restore to AHCI" "$src" "$T/sata.img"
	else
		fail "restore to AHCI" "$(cat "$T/restore.verdict")"
	fi
fi

# Restore it with --grow-last onto a virtio disk 64 MiB larger: the ISO's
# own e2fsck and resize2fs (initramfs /usr/sbin) grow partition 2's ext4.
if [ -z "$backup_ok" ]; then
	skip "restore --grow-last grows ext4 in the ISO" "the backup it restores failed"
else
	truncate -s $(( $(stat -c %s "$src") + (64 << 20) )) "$T/grow.img"
	if VM_APPEND="lifeboat.job=restore lifeboat.dest=/dev/vda lifeboat.image=disk.qcow2 lifeboat.dst=/dev/vdb lifeboat.opts=--grow-last" job grow \
		-drive file="$T/dest.img",if=virtio,format=raw -drive file="$T/grow.img",if=virtio,format=raw; then
		off=$(( $(sgdisk -i 2 "$T/grow.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p') * 512 ))
		last=$(sgdisk -i 2 "$T/grow.img" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
		bc=$(dumpe2fs -h "$T/grow.img?offset=$off" 2>/dev/null | awk -F: '/^Block count/{gsub(/ /,"",$2); print $2}')
		bs=$(dumpe2fs -h "$T/grow.img?offset=$off" 2>/dev/null | awk -F: '/^Block size/{gsub(/ /,"",$2); print $2}')
		per=$(( ${bs:-4096} < 4096 ? 4096 / ${bs:-4096} : 1 ))
		want=$(( (last * 512 + 512 - off) / ${bs:-1} / per * per ))
		if ! tr -d '\r' <"$T/grow.serial" | grep -aq "its ext4 filesystem grown from"; then
			fail "restore --grow-last grows ext4 in the ISO" "no 'filesystem grown' line: $(tr -d '\r' <"$T/grow.serial" | grep -a 'partition 2' | tail -2)"
		elif ! sgdisk -v "$T/grow.img" | grep -q "No problems found"; then
			fail "restore --grow-last grows ext4 in the ISO" "sgdisk -v: $(sgdisk -v "$T/grow.img" | head -2)"
		elif ! e2fsck -fn "$T/grow.img?offset=$off" >"$T/fsck.out" 2>&1; then
			fail "restore --grow-last grows ext4 in the ISO" "e2fsck: $(tail -2 "$T/fsck.out" | tr '\n' ' ')"
		elif [ "$bc" != "$want" ]; then
			fail "restore --grow-last grows ext4 in the ISO" "block count $bc, want $want"
		else
			pass "restore --grow-last grows ext4 in the ISO (e2fsck clean, $bc blocks fill partition 2, sgdisk -v clean)"
		fi
	else
		fail "restore --grow-last grows ext4 in the ISO" "$(cat "$T/grow.verdict")"
	fi
fi

# Back up onto a FAT32 destination disk.
truncate -s 512M "$T/fat.img"
mkfs.vfat -F 32 -n LBFAT "$T/fat.img" >/dev/null
if VM_APPEND="lifeboat.job=backup lifeboat.src=/dev/vda lifeboat.dest=/dev/vdb lifeboat.image=disk.qcow2" job fatbackup \
	-drive file="$src",if=virtio,format=raw,readonly=on -drive file="$T/fat.img",if=virtio,format=raw; then
	mcopy -n -i "$T/fat.img" ::/disk.qcow2 "$T/fat.qcow2" 2>"$T/mcopy.out"
	if ! fsck.vfat -n "$T/fat.img" >"$T/fsck.out" 2>&1; then
		fail "backup to FAT32" "destination filesystem not clean: $(tail -2 "$T/fsck.out" | tr '\n' ' ')"
	elif ! qemu-img check -q "$T/fat.qcow2" >"$T/check.out" 2>&1; then
		fail "backup to FAT32" "qemu-img check: $(head -3 "$T/check.out" "$T/mcopy.out" | tr '\n' ' ')"
	elif ! qemu-img compare -q -f raw -F qcow2 "$src" "$T/fat.qcow2" >"$T/cmp.out" 2>&1; then
		fail "backup to FAT32" "qemu-img compare: $(head -2 "$T/cmp.out" | tr '\n' ' ')"
	else
		pass "backup to FAT32 (qemu-img check and compare agree, fsck.vfat clean)"
	fi
else
	fail "backup to FAT32" "$(cat "$T/fatbackup.verdict")"
fi

# A job line that names no known action.
VM_APPEND="lifeboat.job=frobnicate" job badjob
if grep -q 'LIFEBOAT-JOB: FAILED rc=2' "$T/badjob.verdict" && ! kill -0 "$(cat "$T/badjob.pid" 2>/dev/null)" 2>/dev/null; then
	pass "bad job line fails with rc=2 and powers off"
else
	fail "bad job line" "verdict: $(cat "$T/badjob.verdict")"
fi
