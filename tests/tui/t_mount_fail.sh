#!/usr/bin/env bash
# Trial finding 7: when a destination partition cannot be mounted, the
# message says why (the kernel's reason) and what to try, in words that
# fit the popup; nothing is mounted and the screens go on.  U asks the
# kernel to re-read the table of a disk whose partitions have no node.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip mount-fail || exit 0
have mkfs.ext4 && have sfdisk || { skip mount-fail "needs mkfs.ext4 and sfdisk"; exit 0; }
random_disk "$T/s.img" 16
truncate -s 32M "$T/bad.img"
printf 'label: dos\nstart=2048, size=63488, type=83\n' | sfdisk -q "$T/bad.img" >/dev/null
mkfs.ext4 -q -F -O ^metadata_csum -E offset=1048576 "$T/bad.img" 31744 >/dev/null 2>&1
# s_log_block_size = 20: blkid still says ext4, the kernel refuses it.
printf '\x14' | dd of="$T/bad.img" bs=1 seek=$((1048576 + 1024 + 24)) conv=notrunc status=none
cp "$T/bad.img" "$T/bad.copy"
D=$(mkloop "$T/bad.img") || { skip mount-fail "losetup failed"; exit 0; }
d=${D#/dev/}

tui_start "LIFEBOAT_TUI_DEVICES='$T/s.img $D'" || { fail "mount-fail: starts" "$(screen)"; exit 0; }
keys b; tui_wait "Back up a disk: which one?"; keys Enter
if ! tui_wait "${d}p1" 10; then
	skip "mount-fail: the damaged ext4 is offered" "blkid does not see ext4 there: $(screen | sed -n 3,8p)"
	exit 0
fi
keys Enter
shown "mount-fail: says it could not open the drive" "Could not open that drive"
shown "mount-fail: names the partition and the kernel's reason" "Cannot mount ${d}p1 (ext4"
shown_re "mount-fail: gives the errno's words" "Invalid argument|Structure needs cleaning|wrong fs type"
shown "mount-fail: says what to try" "choose another drive"
check "mount-fail: nothing left mounted" bash -c "! grep -q /mnt/lifeboat/${d}p1 /proc/mounts"
keys Enter
shown "mount-fail: back at the destination choice" "Where should the image go?"
esc; tui_wait "Disks in this machine"

# Loop devices here have no partition nodes: U asks the kernel (BLKRRPART
# through the engine's lb_dev_reread_table) and says what it answered.
keys u
shown "update: U asks the kernel to re-read the table" "Asked the kernel to read the partition tables again: $d"
shown_re "update: says whether it was re-read" "\((re-read|not re-read: reboot)\)"
check "update: the session log has the kernel's answer" grep -q "update: re-read the partition table of $D" "$T/tui.log"
keys Enter
shown "update: back home with the list read again" "Disks in this machine"
check "update: the disk is not written" cmp -s "$T/bad.img" "$T/bad.copy"
