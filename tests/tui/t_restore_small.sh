#!/usr/bin/env bash
# Trial finding 9: the restore's target list offers exactly the disks the
# engine accepts.  A 64 MiB GPT disk whose partitions end near 36 MiB
# restores onto a 60 MiB disk (offered, typed confirmation, GPT valid,
# every partition's bytes identical); a 20 MiB disk is still refused.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip restore-small || exit 0
have sgdisk || { skip restore-small "needs sgdisk (gdisk)"; exit 0; }
truncate -s 64M "$T/src.img"
sgdisk -o -n 1:2048:+16M -n 2:0:+18M "$T/src.img" >/dev/null 2>&1 &&
	sgdisk -p "$T/src.img" | grep -q "^ *2 " || { fail "restore-small: make the GPT disk" "sgdisk failed"; exit 0; }
head -c 34M /dev/urandom | dd of="$T/src.img" bs=1M seek=1 conv=notrunc status=none
mkdir "$T/imgs"
$LIFEBOAT backup "$T/src.img" "$T/imgs/src.qcow2" >"$T/backup.out" 2>&1 ||
	{ fail "restore-small: backup" "$(cat "$T/backup.out")"; exit 0; }
head -c 70000 "$T/imgs/src.qcow2" >"$T/imgs/zz-cut-short.qcow2"
truncate -s 60M "$T/t.img"; truncate -s 20M "$T/tiny.img"
L=$(mkloop "$T/t.img") && S=$(mkloop "$T/tiny.img") || { skip restore-small "losetup failed"; exit 0; }
l=${L#/dev/}; s=${S#/dev/}

tui_start "LIFEBOAT_TUI_DEVICES='$S $L' LIFEBOAT_IMAGE_DIR=$T/imgs" ||
	{ fail "restore-small: starts" "$(screen)"; exit 0; }
keys r; tui_wait "Where are the images?"; keys Enter
tui_wait "Use this folder"; keys Enter
tui_wait "Restore: which image?" 10
shown_re "image list: date and time (HH:MM) of each image" "^> src.qcow2 +20[0-9-]{8} [0-2][0-9]:[0-5][0-9] "
shown_re "image list: the source's path when there is no model" "^> src.qcow2 .*src.img +64.0 MiB"
shown "image list: an unreadable image stays listed" "zz-cut-short.qcow2   cannot be read:"
shown_re "image list: its reason on the next line, without the folder" "^ +zz-cut-short.qcow2 is 70000 bytes"
check "image list: no line runs past 80 columns" bash -c "! tmux -L $TUI_SOCK capture-pane -t lb -p | grep -q '.\{81\}'"
keys Enter
tui_wait "onto what?" 10; keys Enter
if ! tui_wait "which disk should be overwritten" 10; then
	fail "restore-small: target list" "$(screen)"; exit 0
fi
not_shown "restore-small: the 60 MiB disk is not refused" "60.0 MiB, needs"
shown_re "restore-small: a 20 MiB disk is refused with the engine's minimum" \
	"too small: 20.0 MiB, needs 3[5-9].[0-9] MiB"
keys Down
shown_re "restore-small: the cursor lands on the 60 MiB disk" "^> +$l "
keys Enter
shown "restore-small: typed confirmation asked" "type the device name  $l  and"
type_text "$l"; keys Enter
if ! tui_wait "Restore result" 120; then
	fail "restore-small: finishes" "$(screen)"; exit 0
fi
shown "restore-small: result in plain words" "Restore finished: the disk matches the image."
check "restore-small: the target keeps its 60 MiB" test "$(stat -c %s "$T/t.img")" = $((60 << 20))
check "restore-small: sgdisk -v finds no problem" bash -c "sgdisk -v '$T/t.img' | grep -q 'No problems found'"
for p in 1 2; do
	read -r st en < <(sgdisk -i "$p" "$T/src.img" | awk '/^First sector/{f=$3} /^Last sector/{l=$3} END{print f, l}')
	read -r st2 en2 < <(sgdisk -i "$p" "$T/t.img" | awk '/^First sector/{f=$3} /^Last sector/{l=$3} END{print f, l}')
	check "restore-small: partition $p at the same sectors ($st-$en)" test "$st $en" = "$st2 $en2"
	same_bytes "restore-small: partition $p bytes identical" \
		<(dd if="$T/src.img" bs=512 skip="$st" count=$((en - st + 1)) status=none) \
		<(dd if="$T/t.img" bs=512 skip="$st" count=$((en - st + 1)) status=none)
done
