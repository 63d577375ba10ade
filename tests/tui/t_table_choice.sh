#!/usr/bin/env bash
# Case C013 in the screens: backing up a disk whose valid GPT and stale MBR
# disagree asks which table to trust (GPT / MBR / whole disk raw), lists
# what each table holds, and the image records the choice (lifeboat info).
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip "table choice" || exit 0
cd "$T" || exit 1
truncate -s 64M c13.img mbr.img
printf 'label: dos\nstart=2048,size=4096,type=83\nstart=8192,size=4096,type=7\n' | sfdisk -q mbr.img
sgdisk -o -n1:20480:+8M c13.img >/dev/null
dd if=mbr.img of=c13.img bs=512 count=1 conv=notrunc status=none
mkfs.vfat --offset=20480 c13.img 8192 >/dev/null 2>&1
mcopy -i c13.img@@$((20480*512)) /usr/bin/ls ::/ls 2>/dev/null   # a file to find again
sum=$(sha256sum <c13.img)
A=$(mkloop "$T/c13.img") || { skip "table choice" "losetup failed"; exit 0; }
mkdir "$T/imgs"

# backup_as KEYS NAME: choose the row reached with KEYS, save as NAME
backup_as() {
	keys b; tui_wait "Back up a disk: which one?"; keys Enter
	tui_wait "tables disagree" || return 1
	keys "$@" Enter
	tui_wait "Folder $T/imgs"; keys Enter; tui_wait "free of"; keys Enter
	tui_wait "File name of the image"; keys C-u; type_text "$NAME"; keys Enter
	tui_wait "Backup result" 120
}

tui_start "LIFEBOAT_TUI_DEVICES='$A' LIFEBOAT_IMAGE_DIR=$T/imgs" ||
	{ fail "table choice: starts" "$(screen)"; exit 0; }
keys b; tui_wait "Back up a disk: which one?"; keys Enter
shown "C013 screen: asks which table when GPT and MBR disagree" "the disk's two partition tables disagree"
shown "C013 screen: the GPT row lists its partition" "GPT: #1 LBA 20480+16384"
shown "C013 screen: the MBR row lists its partitions" "MBR: #1 LBA 2048+4096 type 0x83, #2 LBA 8192+4096"
shown "C013 screen: whole disk raw offered" "Whole disk raw"
esc; shown "C013 screen: Esc goes back" "Disks in this machine"

NAME=g.qcow2; if backup_as Home; then
	shown "C013 screen: GPT choice backs up" "Backup finished: the image is complete."
	check "C013 screen: the image records the GPT choice (info)" grep -q "partition table: GPT trusted" <<<"$("$LIFEBOAT" info "$T/imgs/g.qcow2")"
	check "C013 screen: verify --against the disk: the stored bytes match" "$LIFEBOAT" verify "$T/imgs/g.qcow2" --against "$A"
else fail "C013 screen: GPT backup" "$(screen)"; fi
keys Enter; tui_wait "Disks in this machine"
NAME=r.qcow2; if backup_as Down Down; then
	info=$("$LIFEBOAT" info "$T/imgs/r.qcow2")
	if ! grep -q "partition table:" <<<"$info" && grep -q "whole disk" <<<"$info" && qemu-img compare -q -f raw -F qcow2 "$T/c13.img" "$T/imgs/r.qcow2"; then
		pass "C013 screen: whole disk raw: no choice recorded, every byte in the image (qemu-img compare)"
	else fail "C013 screen: raw" "$info"; fi
else fail "C013 screen: raw backup" "$(screen)"; fi
check "C013 screen: the source was not written" test "$(sha256sum <"$T/c13.img")" = "$sum"

# ---- "Back up a partition" on the same disk (trial 2 F3): the same
# question (GPT / MBR, no raw row), then that table's partitions ----
keys Enter; tui_wait "Disks in this machine"
keys p; tui_wait "Back up a partition: which disk?"; keys Enter
shown "C013 partition screen: asks which table before listing partitions" "Back up a partition: the disk's two tables disagree"
not_shown "C013 partition screen: no whole-disk-raw row for a partition" "Whole disk raw"
keys Home Enter
shown "C013 partition screen: GPT chosen: lists GPT partition 1 (8 MiB at LBA 20480)" "gpt1"
not_shown "C013 partition screen: GPT chosen: the MBR's second partition is not listed" "p2 "
keys Enter
tui_wait "Folder $T/imgs"; keys Enter; tui_wait "free of"; keys Enter
tui_wait "File name of the image"; keys C-u; type_text "pg.qcow2"; keys Enter
if tui_wait "Backup result" 120 && "$LIFEBOAT" restore "$T/imgs/pg.qcow2" "$T/pg.img" --yes >/dev/null 2>&1 &&
   [ "$(stat -c %s "$T/pg.img")" = $((16384*512)) ] &&
   cmp -s <(mtype -i "$T/pg.img" ::/ls 2>/dev/null) /usr/bin/ls &&
   fsck.vfat -n "$T/pg.img" >/dev/null 2>&1; then
	pass "C013 partition screen: the image holds GPT partition 1 (8 MiB; its FAT passes fsck.vfat -n, its file reads back)"
else fail "C013 partition screen: backup of GPT partition 1" "$(screen)"; fi
check "C013 partition screen: the source was not written" test "$(sha256sum <"$T/c13.img")" = "$sum"

# ---- "Restore into a partition" onto that disk: no guess (trial 2 F3) ----
keys Enter; tui_wait "Disks in this machine"
keys r; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "Restore: which image?"; keys Enter
tui_wait "onto what?"; keys Down Enter
shown "C013 restore into a partition: the disk is not offered, with the reason" "GPT and an MBR that disagree"
check "C013 restore into a partition: the disk was not written" test "$(sha256sum <"$T/c13.img")" = "$sum"
