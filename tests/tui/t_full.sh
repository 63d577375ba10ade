#!/usr/bin/env bash
# A destination too small for the image: the name screen warns before the
# backup starts; the backup then fails in words and leaves no image.
. "$(dirname "$0")/tui_lib.sh"

have tmux || { skip full "tmux is not installed"; exit 0; }
need_root || { skip full "needs root to mount a small tmpfs"; exit 0; }
mkdir "$T/small"
mount -t tmpfs -o size=3m lbfull "$T/small" 2>/dev/null ||
	{ skip full "cannot mount a tmpfs here"; exit 0; }
MOUNTS+=("$T/small")
random_disk "$T/s.img" 32
sum=$(sha256sum <"$T/s.img")

tui_start "LIFEBOAT_TUI_DEVICES=$T/s.img LIFEBOAT_IMAGE_DIR=$T/small" ||
	{ fail "full: starts" "$(screen)"; exit 0; }
keys b; tui_wait "Back up a disk: which one?"; keys Enter
tui_wait "Folder $T/small"; keys Enter; tui_wait "Use this folder"; keys Enter
shown "full: warns that it may not fit" "WARNING: only 3.00 MiB free for a source of 32.0 MiB"
keys C-u; type_text "full.qcow2"; keys Enter
if ! tui_wait "The image may not fit" 30; then
	if screen | grep -q "cannot back up yet"; then skip full "lb_backup is not in this build"; exit 0; fi
	fail "full: asks whether to try anyway" "$(screen)"; exit 0
fi
pass "full: the engine's space check is put as a question"
keys n
shown "full: No: the backup did not start" "The backup did NOT finish." 30
check "full: No: the reason names the space" bash -c "grep -qiE 'space|fit' <<<'$(screen)'"
check "full: No: nothing written" bash -c "[ -z \"\$(ls -A '$T/small')\" ]"
keys Enter; tui_wait "Disks in this machine"

# Yes: the drive really fills up while writing.
keys b; tui_wait "Back up a disk: which one?"; keys Enter
tui_wait "Folder $T/small"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "File name of the image"; keys C-u; type_text "full.qcow2"; keys Enter
tui_wait "The image may not fit" 30; keys y
shown "full: Yes: the backup fails when the drive is full" "The backup did NOT finish. Writing failed" 60
check "full: no image left" test ! -e "$T/small/full.qcow2"
check "full: no partial file left behind" bash -c "[ -z \"\$(ls -A '$T/small')\" ]"
check "full: source untouched" test "$(sha256sum <"$T/s.img")" = "$sum"
