#!/usr/bin/env bash
# A rescue image through the screens (trial 2 F5, F14): a 32 MiB disk file
# read through the engine's fault backend with 64 KiB unreadable at 16 MiB
# and 4 KiB at 24 MiB is rescued by the CLI; then the image list, Verify
# (alone and against the original disk) and Restore say that it is a
# rescue, how many bytes it holds as zeros and what its SHA-256 is of.  The
# restored disk holds the source's bytes outside the bad sectors, zeros in
# them.
. "$(dirname "$0")/tui_lib.sh"
. "$TOP/tests/rescue/rescue_lib.sh"

# said NAME TEXT: TEXT on the screen, read as wrapped text (the lines
# joined with one space), so a sentence may run over two lines.
said() {
	local i
	for ((i = 0; i < 100; i++)); do
		screen | sed 's/^ *//; s/ *$//' | tr '\n' ' ' | grep -qF -- "$2" &&
			{ pass "$1"; return; }
		sleep 0.1
	done
	fail "$1" "'$2' not on screen:
$(screen)"
}

have tmux && have qemu-img || { skip rescue-notes "needs tmux and qemu-img"; exit 0; }
BAD="32768:128 49152:8"         # 512-byte sectors: 64 KiB + 4 KiB, 2 areas
random_disk "$T/s.img" 32
badmap "$T/bad.map" "$BAD"
expected "$T/s.img" "$T/want.img" "$BAD"
mkdir "$T/imgs"
LIFEBOAT_FAULT_MAP="$T/bad.map" $LIFEBOAT rescue "fault:$T/s.img" \
	"$T/imgs/r.qcow2" >"$T/rescue.out" 2>&1
[ -f "$T/imgs/r.qcow2" ] || { fail "rescue-notes: the CLI rescue" "$(cat "$T/rescue.out")"; exit 0; }
head -c 32M /dev/urandom >"$T/t.img"    # the target: not zeros before

tui_start "LIFEBOAT_TUI_DEVICES='$T/s.img $T/t.img' LIFEBOAT_IMAGE_DIR=$T/imgs" ||
	{ fail "rescue-notes: starts" "$(screen)"; exit 0; }

# --- verify alone -----------------------------------------------------------
keys v; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "Verify: which image?"
shown_re "list: a rescue image says so" "^> r.qcow2 .* rescue *$"
shown "list: its unreadable bytes on the line below" \
	"rescue: 69632 unreadable bytes (68.0 KiB) in 2 areas, zeros in it"
check "list: no line runs past 80 columns" bash -c "! tmux -L $TUI_SOCK capture-pane -t lb -p | grep -q '.\{81\}'"
keys Enter; tui_wait "Verify: how?"; keys Enter
tui_wait "Verify result" 60 || { fail "verify: finishes" "$(screen)"; exit 0; }
shown "verify: intact" "The image is intact."
said "verify: says it is a rescue, zeros in it" \
	"This image is a rescue: 69632 bytes (68.0 KiB) in 2 areas could not be read and are zeros in it."
sum=$(sha256sum <"$T/want.img" | cut -c1-64)
shown "verify: the hash is the rescued disk's (zeros in the bad sectors)" "SHA-256:  $sum"
said "verify: ... labelled as the engine labels it" \
	"SHA-256:  $sum (of the rescued disk, unreadable bytes as zeros)"
keys Enter; tui_wait "Disks in this machine"

# --- verify against the original disk: differences inside the areas --------
keys v; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "Verify: which image?"; keys Enter
tui_wait "Verify: how?"; keys Down Enter
tui_wait "compare with which disk"; keys Enter
tui_wait "Verify result" 60 || { fail "verify against: finishes" "$(screen)"; exit 0; }
shown "verify against: intact" "The image is intact."
said "verify against: the engine's words on the expected differences" \
	"bytes differ from $T/s.img inside the areas the rescue could not read"
said "verify against: ... expected" "expected, the image holds zeros there; every other byte matches"
keys Enter; tui_wait "Disks in this machine"

# --- restore ----------------------------------------------------------------
keys r; tui_wait "Where are the images?"; keys Enter
tui_wait "Use this folder"; keys Enter
tui_wait "Restore: which image?"; keys Enter
tui_wait "onto what?" 10; keys Enter
tui_wait "which disk should be overwritten" 10 || { fail "restore: target list" "$(screen)"; exit 0; }
for i in 1 2 3; do
	screen | grep -qE "^> +t.img " && break
	keys Down; sleep 0.3
done
keys Enter
tui_wait "type the device name" 10 || { fail "restore: confirmation" "$(screen)"; exit 0; }
said "restore: warns before the name is typed: zeros on the target" \
	"This image is a rescue: 69632 bytes (68.0 KiB) in 2 areas could not be read and will be zeros on t.img."
type_text "t.img"; keys Enter
tui_wait "Restore result" 120 || { fail "restore: finishes" "$(screen)"; exit 0; }
shown "restore: finished" "Restore finished: the disk matches the image."
said "restore: repeats the rescue note after" \
	"Note: this image is a rescue: 69632 bytes (68.0 KiB) in 2 areas could not be read by the rescue and are zeros on t.img too."
shown "restore: the SHA-256 label is the rescued disk's" \
	"SHA-256 of the rescued disk, unreadable bytes as zeros:"
shown "restore: ... and the hash" "$sum"
not_shown "restore: not called free space" "free space as zeros"
same_bytes "restore: the source's bytes outside the bad sectors, zeros in them" \
	"$T/want.img" "$T/t.img"
for r in $BAD; do
	check "restore: sectors ${r%%:*}+${r##*:} are zeros" cmp -s \
		<(dd if="$T/t.img" bs=512 skip=${r%%:*} count=${r##*:} status=none) \
		<(head -c $((${r##*:} * 512)) /dev/zero)
done
same_bytes "restore: bytes before the first bad sector" \
	<(head -c $((32768 * 512)) "$T/s.img") <(head -c $((32768 * 512)) "$T/t.img")
