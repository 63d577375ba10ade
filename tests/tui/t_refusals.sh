#!/usr/bin/env bash
# Each refusal shown in words where the person chooses a target: the disk
# holding the image being restored, a mounted disk, a disk too small; the
# home screen marks mounted disks; a refused disk cannot be chosen.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip refusals || exit 0
have qemu-img && have mkfs.ext4 || { skip refusals "needs qemu-img and mkfs.ext4"; exit 0; }
random_disk "$T/a.img" 32
truncate -s 64M "$T/m.img"; mkfs.ext4 -q -F "$T/m.img"
truncate -s 48M "$T/u.img"; mkfs.ext4 -q -F "$T/u.img"
truncate -s 8M "$T/s.img"
truncate -s 40M "$T/k.img"
A=$(mkloop "$T/a.img") && M=$(mkloop "$T/m.img") && U=$(mkloop "$T/u.img") &&
	S=$(mkloop "$T/s.img") && K=$(mkloop "$T/k.img") || { skip refusals "losetup failed"; exit 0; }
echo "${K#/dev/}" >"$T/medium"   # the engine's test hook: this disk is the medium
mkdir -p "$T/mnt" "$T/mnt2"
mount "$M" "$T/mnt" && MOUNTS+=("$T/mnt") && mount "$U" "$T/mnt2" && MOUNTS+=("$T/mnt2") ||
	{ skip refusals "cannot mount ext4 on a loop device here"; exit 0; }
mkdir "$T/mnt/imgs"
qemu-img convert -f raw -O qcow2 "$T/a.img" "$T/mnt/imgs/a.qcow2"
a=${A#/dev/}; m=${M#/dev/}; u=${U#/dev/}; s=${S#/dev/}; k=${K#/dev/}

tui_start "LIFEBOAT_TUI_DEVICES='$A $M $U $S $K' LIFEBOAT_IMAGE_DIR=$T/mnt/imgs" \
	"LIFEBOAT_MEDIUM_FILE=$T/medium" ||
	{ fail "refusals: starts" "$(screen)"; exit 0; }
check "home: mounted disk marked MOUNTED" grep -qE "^  $u .*MOUNTED" <<<"$(screen)"
check "home: disk holding the images marked MOUNTED" grep -qE "^  $m .*MOUNTED" <<<"$(screen)"
check "home: the medium marked LIFEBOAT MEDIUM" grep -qE "^  $k .*LIFEBOAT MEDIUM" <<<"$(screen)"

keys r; tui_wait "Where are the images?"
shown "restore: image folder offered" "Folder $T/mnt/imgs"
keys Enter; tui_wait "Use this folder"
shown "restore: folder shows its filesystem" "Filesystem: ext2/3/4"
keys Enter
if ! tui_wait "Restore: which image?" 10; then
	fail "restore: image list" "$(screen)"; exit 0
fi
shown "restore: lists the image" "a.qcow2"
keys Enter; tui_wait "onto what?" 10; keys Enter
if ! tui_wait "which disk should be overwritten" 10; then
	skip "refusals: target list" "the image list did not accept a.qcow2: $(screen | sed -n 3,8p)"
	exit 0
fi
shown "refusal: disk holding the image" "cannot be used: this disk holds the image being restored"
shown "refusal: mounted disk" "cannot be used: this disk is in use (mounted at ${T:0:20}"
# The engine's minimum (lb_image_min_target): where the partition ends.
shown "refusal: too small" "cannot be used: this disk is too small: 8.00 MiB, needs 31.0 MiB"
shown "refusal: the Lifeboat medium" "cannot be used: this disk holds the Lifeboat medium that is running now"
keys Down
shown_re "refusal: cursor lands only on the usable disk" "^> +$a "
keys Down Down Down Down Enter
shown "refusal: refused disks cannot be reached (Enter after Downs erases only $a)" "Erase $a?"
esc
shown "refusal: Esc leaves without writing" "Disks in this machine"
