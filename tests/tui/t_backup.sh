#!/usr/bin/env bash
# Back up a disk to a folder through the screens, then a partition, then
# restore the disk image onto another loop device (typed confirmation) and
# verify it; every step asserted on the screen and on the bytes (qemu-img
# check and compare are the referees).
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip backup || exit 0
have qemu-img || { skip backup "needs qemu-img"; exit 0; }
random_disk "$T/a.img" 32
random_disk "$T/b.img" 40
A=$(mkloop "$T/a.img") && B=$(mkloop "$T/b.img") || { skip backup "losetup failed"; exit 0; }
a=${A#/dev/}; b=${B#/dev/}
mkdir "$T/imgs"
sum_a=$(sha256sum <"$T/a.img")

# engine_missing CASE VERB: skip CASE when the screen says the engine
# function is not in this build; returns 0 in that case.
engine_missing() {
	screen | grep -q "cannot $2 yet" || return 1
	skip "$1" "the engine cannot $2 in this build"
}

tui_start "LIFEBOAT_TUI_DEVICES='$A $B' LIFEBOAT_IMAGE_DIR=$T/imgs" ||
	{ fail "backup: starts" "$(screen)"; exit 0; }

# --- whole disk -----------------------------------------------------------
keys b; tui_wait "Back up a disk: which one?"; keys Enter
shown "backup: destination picker offers the folder" "Folder $T/imgs"
keys Enter
shown "backup: folder browser shows free space" "free of"
keys Enter
shown "backup: proposes a name from model and date" "a-$(date +%Y-%m-%d).qcow2"
# Esc on the name screen goes back one step, to the destination choice.
esc; shown "backup: Esc on the name goes back to the destination" "Where should the image go?"
keys Enter; tui_wait "free of"; keys Enter; tui_wait "File name of the image"
keys C-u; type_text "disk.qcow2"; keys Enter
if ! tui_wait "Backup result" 120; then
	fail "backup: finishes" "$(screen)"
elif ! engine_missing "backup: finishes" "back up"; then
	shown "backup: success in plain words" "Backup finished: the image is complete."
	check "backup: checksum shown" grep -qE "SHA-256: +[0-9a-f]{64}" <<<"$(screen)"
	check "backup: says what the checksum is of, as info does" grep -qE "\(of the (source disk|restored disk, free space as zeros)\)" <<<"$(screen)"
	shown "backup: log location shown" "The log of this session is in"
	shown "backup: says what to do next" "What next"
	check "backup: qemu-img check passes" qemu-img check "$T/imgs/disk.qcow2"
	check "backup: image holds the disk's bytes (qemu-img compare)" \
		qemu-img compare -f raw -F qcow2 "$T/a.img" "$T/imgs/disk.qcow2"
	check "backup: no .part left" test ! -e "$T/imgs/disk.qcow2.part"
	check "backup: source untouched" test "$(sha256sum <"$T/a.img")" = "$sum_a"
fi
keys Enter; tui_wait "Disks in this machine"

# --- one partition --------------------------------------------------------
keys p; tui_wait "Back up a partition: which disk?"; keys Enter
shown "partition: lists the partitions" "${a}p1"
keys Enter; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "File name of the image"
keys C-u; type_text "part.qcow2"; keys Enter
if tui_wait "Backup finished" 120; then
	dd if="$T/a.img" of="$T/p1.raw" bs=1M skip=1 count=30 status=none
	check "partition: image holds exactly the partition (qemu-img compare)" \
		qemu-img compare -f raw -F qcow2 "$T/p1.raw" "$T/imgs/part.qcow2"
else
	engine_missing "partition: finishes" "back up" || fail "partition: finishes" "$(screen)"
fi
keys Enter; tui_wait "Disks in this machine"

# --- restore onto the other disk -------------------------------------------
if [ ! -e "$T/imgs/disk.qcow2" ]; then
	skip "restore" "no image was made above"; exit 0
fi
keys r; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "Restore: which image?"
if screen | grep -q "cannot read images in this build"; then
	skip "restore and verify" "lb_image_info is not in this build"; exit 0
fi
shown "restore: image list shows the size" "32.0 MiB"
shown "restore: image list says complete" "complete"
keys v
shown "restore: V verifies the highlighted image" "The image is intact." 60
keys Enter
shown "restore: the list then says it verified" "verified OK"
keys Enter       # disk.qcow2 sorts first
shown "restore: asks whole disk or partition" "Restore: onto what?"
keys Enter
shown "restore: asks which disk to overwrite" "which disk should be overwritten"
keys Down Down
shown_re "restore: arrows reach the second disk" "^> +$b "
keys Enter
shown "restore: erase screen" "WARNING: EVERYTHING ON THIS DISK WILL BE ERASED"
shown "restore: erase screen names the image" "$T/imgs/disk.qcow2"
shown "restore: erase screen dates the image" "made $(date -u +%Y-%m-%d)"
type_text "$b"; keys Enter
if ! tui_wait "Restore result" 120; then
	fail "restore: finishes" "$(screen)"
elif ! engine_missing "restore: finishes" "restore"; then
	shown "restore: success in plain words" "Restore finished: the disk matches the image."
	same_bytes "restore: disk holds the source's bytes" "$T/a.img" <(head -c 32M "$T/b.img")
fi
keys Enter; tui_wait "Disks in this machine"

# --- verify, then a damaged copy --------------------------------------------
verify_image() {   # verify_image ROW-DOWNS: runs V on the N-th image
	keys v; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
	tui_wait "Verify: which image?"
	local i; for ((i = 0; i < $1; i++)); do keys Down; done
	keys Enter
	tui_wait "Verify: how?"
	if [ "${2:-}" ]; then   # compare with the first disk in the list
		keys Down Enter; tui_wait "compare with which disk"; keys Enter
	else
		keys Enter
	fi
	tui_wait "Verify result" 120
}
cp "$T/imgs/disk.qcow2" "$T/imgs/bad.qcow2"
size=$(stat -c %s "$T/imgs/bad.qcow2")
printf '\xff\x00\xff\x00' | dd of="$T/imgs/bad.qcow2" bs=1 seek=$((size / 2)) conv=notrunc status=none
verify_image 1   # bad, disk, part: disk is the second
if engine_missing "verify: good image" "verify"; then :; else
	shown "verify: good image is intact" "The image is intact."
	check "verify: checksum shown" grep -qE "SHA-256: +[0-9a-f]{64}" <<<"$(screen)"
	keys Enter; tui_wait "Disks in this machine"
	verify_image 0
	shown "verify: damaged image reported" "The image did NOT verify."
	keys Enter; tui_wait "Disks in this machine"
	verify_image 1 compare
	shown "verify: compared with the source disk" "Compared with the disk $A: the same"
	shown "verify: image and disk agree" "The image is intact."
fi
if ! screen | grep -q "cannot verify yet"; then
	keys Enter; tui_wait "Disks in this machine"
	printf 'X' | dd of="$A" bs=1 seek=$((5 * 1048576 + 7)) conv=notrunc status=none
	verify_image 1 compare
	shown "verify: a changed disk is reported" "The image did NOT verify."
	shown "verify: in words" "Verification found a difference."
fi

# --- a partition image into one partition of the other disk ----------------
if ! screen | grep -q "cannot restore yet"; then
	keys Enter; tui_wait "Disks in this machine"
	head -c 1M "$B" | sha256sum >"$T/b.head"
	tail_sum() { dd if="$B" bs=1M skip=31 status=none | sha256sum; }
	tail_sum >"$T/b.tail"
	keys r; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
	tui_wait "Restore: which image?"; keys Down Down Enter   # part.qcow2
	tui_wait "onto what?"; keys Down Enter
	shown "partition restore: asks for the disk" "Restore into a partition: which disk?"
	keys Down Down Enter
	shown "partition restore: asks for the partition" "Which partition of $b?"
	keys Down Enter
	shown "partition restore: erase screen says partition" "WARNING: EVERYTHING IN THIS PARTITION WILL BE ERASED"
	shown "partition restore: says the rest is not touched" "The partition table and the other partitions are not touched."
	type_text "${b}p1"; keys Enter
	shown "partition restore: finishes" "Restore finished: the disk matches the image." 120
	same_bytes "partition restore: the partition holds the partition image" "$T/p1.raw" \
		<(dd if="$B" bs=1M skip=1 count=30 status=none)
	check "partition restore: the partition table is untouched" \
		test "$(head -c 1M "$B" | sha256sum)" = "$(cat "$T/b.head")"
	check "partition restore: bytes after the partition untouched" \
		test "$(tail_sum)" = "$(cat "$T/b.tail")"
fi
