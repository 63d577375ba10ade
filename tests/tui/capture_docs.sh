#!/usr/bin/env bash
# tests/tui/capture_docs.sh — regenerates the 80x25 screen captures in
# docs/tui.md from the real binary (needs root for loop devices).  Not a
# test (no t_ prefix): run it by hand after changing a screen.
. "$(dirname "$0")/tui_lib.sh"

random_disk "$T/system.img" 64
random_disk "$T/spare.img" 96
mkfs.ext4 -q -F -L BACKUPS -E offset=1048576 "$T/spare.img" 96256 >/dev/null 2>&1
truncate -s 16M "$T/stick.img"
A=$(mkloop "$T/system.img"); B=$(mkloop "$T/spare.img"); C=$(mkloop "$T/stick.img")
mkdir "$T/imgs"
printf '0x0 +\n0x0 0x4000000 +\n' >"$T/good.map"
out=${1:-$TOP/docs/tui.md}
cap() { echo; echo "### $1"; echo; echo '```'; screen | sed 's/[[:space:]]*$//'; echo '```'; }
{
cat <<'HEAD'
# The Lifeboat screens

`lifeboat` with no arguments on a terminal starts these screens; on the ISO
they run on tty1 and on the serial console.  Everything works at 80x25 with
arrow keys, Enter, Esc, Tab and the letters shown; colour is used where the
terminal has it, and every state is also in words (monochrome and vt100
show the same text).  These captures come from the real program driving
loop devices (`tests/tui/capture_docs.sh` regenerates them); the tests in
`tests/tui/` drive the same screens the same way and check the bytes.

Environment variables for tests and special setups:
`LIFEBOAT_TUI_DEVICES` (only these disks, or disk image files, in this
order), `LIFEBOAT_IMAGE_DIR` (a folder offered first as the image place),
`LIFEBOAT_LOG` (the session log; default `/run/lifeboat/lifeboat.log` on
the medium, else `/tmp/lifeboat.log`).  Reboot and power off act only
when `/run/lifeboat/medium` exists (the medium's init writes it).
SIGTERM or SIGHUP (a serial line hanging up) cancels a running job,
unmounts what Lifeboat mounted under `/mnt/lifeboat` and exits with 8.
`LIFEBOAT_ASCII=1` draws popup borders with `+ - |` instead of the
line-drawing set (which some serial terminals print as `lqqk x mqj`);
this is automatic on `/dev/ttyS*`, `ttyAMA*`, `ttyUSB*` and when TERM was
unset or unknown, and `LIFEBOAT_ASCII=0` turns it off.

Keys: arrows move, Enter chooses, Esc goes back (and, on the progress
screen, asks before cancelling), Tab moves between the disk table and the
actions on the home screen, the letters shown start actions; L shows the
log from the home, progress and result screens; V in an image list
verifies the highlighted image.  Target disks and partitions start with
nothing highlighted; disks that may not be written stay listed with the
reason ("holds the image being restored", "is in use (mounted at ...)",
"is too small", "holds the Lifeboat medium").  A restore offers every
disk the engine accepts: one smaller than the image when every partition
(and a GPT backup) fits, as `lb_image_min_target` computes with the
restore's own rule.  Esc on the "name the image" screen goes back to the
destination choice.  When a destination partition cannot be mounted, the
message gives the kernel's reason and what to try.  U (Update the disk
list) also asks the kernel to re-read the partition table of each disk
whose partitions have no /dev node (after a clone or restore onto it) and
that is not in use; it writes nothing.

The screens hold no imaging logic: each job is one call into the engine
(`lb_backup`, `lb_restore`, `lb_clone`, `lb_verify`, `lb_rescue`) on a
worker thread, and the progress screen is drawn from the engine's
progress, region (strip map) and log callbacks.
HEAD
tui_start "LIFEBOAT_TUI_DEVICES='$A $B $C fault:$T/system.img' LIFEBOAT_IMAGE_DIR=$T/imgs LIFEBOAT_FAULT_MAP=$T/good.map LIFEBOAT_FAULT_DELAY_MS=120"
cap "Home: the disks and the actions"
keys b; tui_wait "which one"; keys Down Down Down Enter
tui_wait "Folder $T/imgs"
cap "Where the image goes"
keys Enter; tui_wait "Use this folder"; keys Enter; tui_wait "File name"
cap "Naming the image (with the space check)"
keys C-u; type_text "system.qcow2"; keys Enter
tui_wait "Phase:     Copying" 20; sleep 2.5
cap "Progress, with the strip map"
tui_wait "Backup result" 120
cap "Result"
keys Enter; tui_wait "Disks in this machine"
keys r; tui_wait "Where are the images"; keys Enter; tui_wait "Use this folder"; keys Enter
tui_wait "which image"
cap "Restore: the images found"
keys Enter; tui_wait "onto what?"; keys Enter; tui_wait "should be overwritten"
cap "Restore: choosing the disk (nothing preselected, refusals in words)"
keys Down Down Enter; tui_wait "WARNING"
cap "The erase confirmation"
esc; tui_wait "Disks in this machine"
random_disk "$T/failing.img" 48
printf '0x0 +\n0x0 0x1000000 +\n0x1000000 0x40000 -\n0x1040000 0x4c0000 +\n0x1500000 0x8000 -\n0x1508000 0x1af8000 +\n' >"$T/bad.map"
tui_start "LIFEBOAT_TUI_DEVICES=fault:$T/failing.img LIFEBOAT_IMAGE_DIR=$T/imgs LIFEBOAT_FAULT_MAP=$T/bad.map LIFEBOAT_FAULT_DELAY_MS=15"
keys f; tui_wait "which one"; keys Enter; tui_wait "Folder $T/imgs"; keys Enter
tui_wait "Use this folder"; keys Enter; tui_wait "File name"
keys C-u; type_text "failing.qcow2"; keys Enter
tui_wait "Rescue: scraping" 60 || tui_wait "Rescue: trimming" 5
cap "Rescue a failing disk: progress"
tui_wait "Rescue result" 180
cap "Rescue result"
} >"$out"
echo "wrote $out"
