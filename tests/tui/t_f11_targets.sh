#!/usr/bin/env bash
# Trial 2 F11 in the screens: (1) restoring a 512-byte-sector GPT image, a
# disk with 4096-byte logical sectors (losetup -b 4096) is listed as
# "cannot be used" with both sector sizes before anyone types its name (the
# engine's own checks, lb_restore with check_only), and cannot be chosen;
# (2) the erase screen names a filesystem that lies on the whole disk
# (NTFS, its label) instead of "no partitions"; (3) the folder chosen in
# the browser is where the next Restore starts browsing; (4) the clone's
# target list marks the 4096-byte disk for a 512-byte source the same way.
# Judged on the screen and on the bytes: refused and abandoned disks
# unchanged.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip f11 || exit 0
for t in sfdisk mkntfs sha256sum; do have $t || { skip f11 "needs $t"; exit 0; }; done
truncate -s 32M "$T/g.img"
printf 'label: gpt\nstart=2048, size=20480\nstart=22528, size=20480\n' |
	sfdisk -q "$T/g.img" || { fail "f11: make the GPT disk"; exit 0; }
mkdir -p "$T/top/imgs"
$LIFEBOAT backup "$T/g.img" "$T/top/imgs/g.qcow2" >"$T/backup.out" 2>&1 ||
	{ fail "f11: backup" "$(cat "$T/backup.out")"; exit 0; }
truncate -s 64M "$T/k.img" "$T/n.img"
mkntfs -q -F -Q -L F11VOL "$T/n.img" >/dev/null 2>&1 ||
	{ skip f11 "mkntfs failed on a file"; exit 0; }
cp "$T/n.img" "$T/k.img"
K=$(losetup -f --show -b 4096 "$T/k.img" 2>/dev/null) ||
	{ skip f11 "losetup -b 4096 is not supported here"; exit 0; }
echo "$K" >>"$T/.loops"
[ "$(cat /sys/block/${K#/dev/}/queue/logical_block_size)" = 4096 ] ||
	{ skip f11 "the loop device did not take 4096-byte sectors"; exit 0; }
N=$(mkloop "$T/n.img") || { skip f11 "losetup failed"; exit 0; }
k=${K#/dev/}; n=${N#/dev/}
sum_k=$(sha256sum <"$T/k.img"); sum_n=$(sha256sum <"$T/n.img")

tui_start "LIFEBOAT_TUI_DEVICES='$K $N' LIFEBOAT_IMAGE_DIR=$T/top" ||
	{ fail "f11: starts" "$(screen)"; exit 0; }
keys r; tui_wait "Where are the images?"; keys Enter
tui_wait "Use this folder" || { fail "f11: browser" "$(screen)"; exit 0; }
keys Down; keys Enter
tui_wait "Images (*.qcow2) here: 1"; keys Enter
tui_wait "Restore: which image?" 10 || { fail "f11: image list" "$(screen)"; exit 0; }
keys Enter; tui_wait "onto what?" 10; keys Enter
tui_wait "which disk should be overwritten" 10 || { fail "f11: target list" "$(screen)"; exit 0; }
shown "f11 sectors: the 4096-byte disk says why it cannot be used" \
	"^ cannot be used: this disk has 4096-byte sectors"
shown "f11 sectors: ... and which sector size the image's table uses" \
	"(the image's table uses 512-byte sectors)"
keys Down
shown_re "f11 sectors: the cursor skips the 4096-byte disk" "^> +$n "
keys Enter
shown "f11 erase: the erase screen comes" "type the device name  $n  and"
shown "f11 erase: it names the whole-disk NTFS and its label" \
	'an NTFS filesystem on the whole disk, label "F11VOL"'
not_shown "f11 erase: not 'no partitions'" "no partitions that Lifeboat recognises"
esc; tui_wait "Disks in this machine" 10
check "f11: the 4096-byte disk was not written" test "$(sha256sum <"$T/k.img")" = "$sum_k"
check "f11: the disk left at the erase screen was not written" test "$(sha256sum <"$T/n.img")" = "$sum_n"

# A second Restore in the same session starts in the folder chosen last.
keys r; tui_wait "Where are the images?"; keys Enter
shown "f11 folders: the next browse starts in the last folder" "Images (*.qcow2) here: 1"
shown "f11 folders: ... named on the screen" "imgs"
keys Enter
shown "f11 folders: and lists its image" "g.qcow2" 10
esc; esc; esc; tui_wait "Disks in this machine" 10

# Clone: the NTFS disk (512-byte sectors, NTFS made for them) onto the
# 4096-byte disk is refused by the clone's own check, so it is marked.
keys c; tui_wait "which disk is the source"
keys Down; keys Enter
tui_wait "Clone: which disk should be overwritten?" 20 ||
	{ fail "f11 clone: target list" "$(screen)"; exit 0; }
shown "f11 clone: the 4096-byte disk says why it cannot be used" \
	"^ cannot be used: this disk has 4096-byte sectors"
shown "f11 clone: ... and the source's sector size" "(the source disk uses 512-byte sectors)"
esc; tui_wait "Disks in this machine" 10
check "f11 clone: the 4096-byte disk was not written" test "$(sha256sum <"$T/k.img")" = "$sum_k"
