#!/usr/bin/env bash
# Issue 5 in the screens: restoring a GPT disk image (ext4 last partition)
# onto a larger disk asks whether to use the whole disk; Yes grows the last
# partition and its ext4 filesystem (imager/fs_grow.c) and the result
# screen says so in the engine's words.  Judged on the bytes: sgdisk -v,
# e2fsck -fn, dumpe2fs' block count, a file's content (debugfs).
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip grow || exit 0
for t in sfdisk sgdisk mkfs.ext4 debugfs dumpe2fs e2fsck resize2fs; do
	have $t || { skip grow "needs $t"; exit 0; }
done
truncate -s 64M "$T/src.img"
printf 'label: gpt\nstart=2048, size=16384\nstart=18432\n' | sfdisk -q "$T/src.img" ||
	{ fail "grow: make the GPT disk"; exit 0; }
mkdir -p "$T/files"; seq 1 100000 >"$T/files/a.txt"
sz=$(sfdisk -d "$T/src.img" | awk -F'size=' '/2 : /{split($2,a,","); gsub(/ /,"",a[1]); print a[1]}')
truncate -s $((sz * 512)) "$T/p2.img"
mkfs.ext4 -q -F -d "$T/files" "$T/p2.img" && dd if="$T/p2.img" of="$T/src.img" bs=512 seek=18432 conv=notrunc status=none
mkdir "$T/imgs"
$LIFEBOAT backup "$T/src.img" "$T/imgs/src.qcow2" >"$T/backup.out" 2>&1 ||
	{ fail "grow: backup" "$(cat "$T/backup.out")"; exit 0; }
truncate -s 160M "$T/t.img"
L=$(mkloop "$T/t.img") || { skip grow "losetup failed"; exit 0; }
l=${L#/dev/}

tui_start "LIFEBOAT_TUI_DEVICES='$L' LIFEBOAT_IMAGE_DIR=$T/imgs" ||
	{ fail "grow: starts" "$(screen)"; exit 0; }
keys r; tui_wait "Where are the images?"; keys Enter
tui_wait "Use this folder"; keys Enter
tui_wait "Restore: which image?" 10; keys Enter
tui_wait "onto what?" 10; keys Enter
tui_wait "which disk should be overwritten" 10 || { fail "grow: target list" "$(screen)"; exit 0; }
keys Down; shown_re "grow: the cursor on the larger disk" "^> +$l "
keys Enter
shown "grow: a larger disk offers to use the whole disk" "Grow the last partition (ext4) and its"
keys y
shown "grow: then the typed confirmation" "type the device name  $l  and"
type_text "$l"; keys Enter
tui_wait "Restore result" 120 || { fail "grow: finishes" "$(screen)"; exit 0; }
# The read-back compared the disk before growing changed it (trial 2 F11):
# the result says so and does not claim the disk matches the image now.
shown "grow: result says the disk matched the image before growing" \
	"Restore finished: the disk matched the image before growing."
shown "grow: the SHA-256 is labelled as compared before growing" "SHA-256 as compared before growing (free space as zeros):"
not_shown "grow: no claim that the grown disk matches the image" "the disk matches the image"
shown_re "grow: result says the entry was grown" "partition 2: entry grown from 54.0 MiB to 151 MiB"
shown "grow: result says the ext4 filesystem was grown" "its ext4 filesystem grown"
off=$((18432 * 512))
last=$(sgdisk -i2 "$T/t.img" | awk '/Last sector/{print $3}')
size=$(( (last - 18432 + 1) * 512 ))
check "grow: sgdisk -v finds no problem" bash -c "sgdisk -v '$T/t.img' | grep -q 'No problems found'"
check "grow: e2fsck -fn clean" e2fsck -fn "$T/t.img?offset=$off"
bc=$(dumpe2fs -h "$T/t.img?offset=$off" 2>/dev/null | awk -F: '/^Block count/{gsub(/ /,"",$2); print $2}')
bs=$(dumpe2fs -h "$T/t.img?offset=$off" 2>/dev/null | awk -F: '/^Block size/{gsub(/ /,"",$2); print $2}')
# resize2fs grows to a whole number of 4 KiB pages (1 KiB blocks: a multiple of 4)
per=$(( ${bs:-4096} < 4096 ? 4096 / ${bs:-4096} : 1 ))
check "grow: the block count fills the grown partition ($size bytes, $bs-byte blocks)" test "$bc" = "$((size / bs / per * per))"
same_bytes "grow: a file's content is intact" "$T/files/a.txt" <(debugfs -R "cat /a.txt" "$T/t.img?offset=$off" 2>/dev/null)
