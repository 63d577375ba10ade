#!/usr/bin/env bash
# Clone through the screens: nothing preselected as the target, the source
# and a too-small disk refused in words, the erase screen naming the
# target, a mistyped name refused with nothing written, then a real clone
# whose bytes match the source.
. "$(dirname "$0")/tui_lib.sh"

loops_or_skip clone || exit 0
random_disk "$T/a.img" 32
random_disk "$T/b.img" 48
truncate -s 8M "$T/c.img"
A=$(mkloop "$T/a.img") && B=$(mkloop "$T/b.img") && C=$(mkloop "$T/c.img") ||
	{ skip clone "losetup failed"; exit 0; }
a=${A#/dev/}; b=${B#/dev/}; c=${C#/dev/}
sum_a=$(sha256sum <"$T/a.img"); sum_b=$(sha256sum <"$T/b.img")

tui_start "LIFEBOAT_TUI_DEVICES='$A $B $C'" || { fail "clone: starts" "$(screen)"; exit 0; }
keys c; tui_wait "which disk is the source"
keys Enter
shown "clone: target list opens" "Clone: which disk should be overwritten?"
check "clone: no target preselected" bash -c "! grep -q '^>' <<<'$(screen)'"
shown "clone: the source is refused in words" "cannot be used: this disk is the source disk"
shown "clone: a small disk is refused in words" "cannot be used: this disk is too small: 8.00 MiB, needs 32.0 MiB"
keys Enter; sleep 0.3
shown "clone: Enter with nothing chosen does nothing" "move to a disk with the arrow keys"
keys Down
shown_re "clone: arrow goes to the first usable disk" "^> +$b "
keys Enter
shown "clone: erase screen in words" "WARNING: EVERYTHING ON THIS DISK WILL BE ERASED"
shown "clone: erase screen names the device" "Device:    $B"
shown "clone: erase screen shows its size" "Size:      48.0 MiB"
shown "clone: erase screen lists what is on it" "${b}p1"
shown "clone: asks for the name" "type the device name  $b  and"
type_text "$a"; keys Enter
shown "clone: wrong name refused" "\"$a\" is not $b. Nothing was changed."
keys Enter; sleep 0.2; esc
shown "clone: Esc goes home" "Disks in this machine"
check "clone: target untouched after refusal" test "$(sha256sum <"$T/b.img")" = "$sum_b"

keys c; tui_wait "which disk is the source"; keys Enter
tui_wait "with the arrow keys"; keys Down Enter
tui_wait "type the device name"; type_text "${b:0:2}"
tm resize-window -t lb -x 90 -y 30 2>/dev/null; sleep 0.5
shown "resize: erase screen redrawn while typing" "WARNING: EVERYTHING ON THIS DISK WILL BE ERASED"
type_text "${b:2}"; keys Enter
if ! tui_wait "Clone result" 120; then
	fail "clone: finishes" "$(screen)"
elif screen | grep -q "cannot clone yet"; then
	skip "clone: finishes" "lb_clone is not in this build"
else
	shown "clone: result in plain words" "Clone finished: the target matches the source."
	same_bytes "clone: target holds the source's bytes" "$T/a.img" <(head -c 32M "$T/b.img")
	check "clone: source untouched" test "$(sha256sum <"$T/a.img")" = "$sum_a"
	shown "clone: result says where the log is" "The log of this session is in"
fi
