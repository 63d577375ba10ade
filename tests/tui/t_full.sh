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
if ! tui_wait "Backup result" 60; then fail "full: result" "$(screen)"; exit 0; fi
if screen | grep -q "cannot back up yet"; then skip full "lb_backup is not in this build"; exit 0; fi
shown "full: the backup fails in words" "The backup did NOT finish."
check "full: the reason names the space" bash -c "screen() { tmux -L $TUI_SOCK capture-pane -t lb -p; }; screen | grep -qiE 'space|full|fit'"
check "full: no image left" test ! -e "$T/small/full.qcow2"
check "full: no partial file left behind" bash -c "[ -z \"\$(ls -A '$T/small')\" ]"
check "full: source untouched" test "$(sha256sum <"$T/s.img")" = "$sum"
