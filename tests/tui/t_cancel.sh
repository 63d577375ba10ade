#!/usr/bin/env bash
# Cancelling a backup from the progress screen: Esc asks first (No goes
# on), Yes stops the job; the screen says so in words, no complete-looking
# image is left and the source is untouched.  The source is a disk file
# read through the engine's test-only fault backend with a delay on every
# read, so the job is still running when the keys arrive.
. "$(dirname "$0")/tui_lib.sh"

have tmux || { skip cancel "tmux is not installed"; exit 0; }
random_disk "$T/s.img" 64
printf '0x0 +\n0x0 0x4000000 +\n' >"$T/good.map"
mkdir "$T/imgs"
sum=$(sha256sum <"$T/s.img")

tui_start "LIFEBOAT_TUI_DEVICES=fault:$T/s.img LIFEBOAT_IMAGE_DIR=$T/imgs" \
	"LIFEBOAT_FAULT_MAP=$T/good.map LIFEBOAT_FAULT_DELAY_MS=150" ||
	{ fail "cancel: starts" "$(screen)"; exit 0; }
shown "cancel: a disk file is listed as a disk" "s.img"
keys b; tui_wait "Back up a disk: which one?"; keys Enter
tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "File name of the image"; keys C-u; type_text "c.qcow2"; keys Enter
if ! tui_wait "Phase:" 20; then
	if screen | grep -q "cannot back up yet"; then skip cancel "lb_backup is not in this build"
	else fail "cancel: progress screen" "$(screen)"; fi
	exit 0
fi
shown "progress: shows the strip map" "Disk map (each cell is"
shown "progress: shows the legend" "# copied"
shown "progress: shows the rates" "Speed:"
shown "progress: shows errors so far" "Errors so far: 0"
shown "progress: says how to cancel" "Esc cancel"
keys l
shown "progress: L shows the log while the job runs" "start: Backing up fault:$T/s.img"
esc
shown "progress: Esc from the log returns to the progress screen" "Disk map (each cell is"
esc
shown "cancel: Esc asks first" "Stop this job now?"
keys n; sleep 0.5
shown "cancel: No lets the job go on" "Phase:"
esc; tui_wait "Stop this job now?"; keys y
shown "cancel: result says cancelled" "You cancelled the job." 60
shown "cancel: result says the source was not written" "The source disk was only read, never"
check "cancel: no image under the final name" test ! -e "$T/imgs/c.qcow2"
check "cancel: nothing complete-looking in the folder" bash -c "! ls '$T/imgs' | grep -q '\.qcow2$'"
check "cancel: source untouched" test "$(sha256sum <"$T/s.img")" = "$sum"
keys Enter
shown "cancel: back home afterwards" "Disks in this machine"

# SIGTERM while a backup runs: the job is cancelled, not left half-done.
keys b; tui_wait "Back up a disk: which one?"; keys Enter
tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "File name of the image"; keys C-u; type_text "t.qcow2"; keys Enter
if tui_wait "Phase:" 20; then
	kill -TERM "$(pgrep -P "$(tm list-panes -t lb -F '#{pane_pid}')" -x lifeboat)"
	shown "SIGTERM during a job: exits with the cancelled code" "LIFEBOAT-EXITED-8" 60
	check "SIGTERM during a job: no image" bash -c "! ls '$T/imgs' | grep -q '^t\.qcow2'"
	check "SIGTERM during a job: the log says why" grep -q "asked to stop" "$T/tui.log"
else
	fail "SIGTERM during a job: progress screen" "$(screen)"
fi
