#!/usr/bin/env bash
# Rescue a failing disk through the screens: a disk file read through the
# engine's fault backend with 64 KiB unreadable at 16 MiB.  The screen
# says some areas could not be read; the image holds every readable byte.
. "$(dirname "$0")/tui_lib.sh"

have tmux && have qemu-img || { skip rescue "needs tmux and qemu-img"; exit 0; }
random_disk "$T/s.img" 32
printf '0x0 +\n0x0 0x1000000 +\n0x1000000 0x10000 -\n0x1010000 0xFF0000 +\n' >"$T/bad.map"
mkdir "$T/imgs"
sum=$(sha256sum <"$T/s.img")

tui_start "LIFEBOAT_TUI_DEVICES=fault:$T/s.img LIFEBOAT_IMAGE_DIR=$T/imgs" \
	"LIFEBOAT_FAULT_MAP=$T/bad.map" || { fail "rescue: starts" "$(screen)"; exit 0; }
keys f
shown "rescue: asks for the failing disk" "Rescue a failing disk: which one?"
keys Enter; tui_wait "Folder $T/imgs"; keys Enter; tui_wait "Use this folder"; keys Enter
shown "rescue: proposes a rescue name" "-rescue-$(date +%Y-%m-%d).qcow2"
keys C-u; type_text "r.qcow2"; keys Enter
if ! tui_wait "Rescue result" 180; then fail "rescue: finishes" "$(screen)"; exit 0; fi
if screen | grep -q "cannot rescue yet"; then skip rescue "lb_rescue is not in this build"; exit 0; fi
shown "rescue: says some areas could not be read" "Rescue finished: some areas could not be read."
shown "rescue: counts the unreadable bytes" "Unreadable: 64.0 KiB in 1 area."
shown "rescue: says how to try the unreadable areas again" "To try the unreadable areas again"
check "rescue: qemu-img check passes" qemu-img check "$T/imgs/r.qcow2"
qemu-img convert -O raw "$T/imgs/r.qcow2" "$T/r.raw"
same_bytes "rescue: bytes before the bad area" <(head -c 16M "$T/s.img") <(head -c 16M "$T/r.raw")
same_bytes "rescue: bytes after the bad area" <(tail -c +$((16*1048576 + 65537)) "$T/s.img") <(tail -c +$((16*1048576 + 65537)) "$T/r.raw")
check "rescue: source untouched" test "$(sha256sum <"$T/s.img")" = "$sum"
