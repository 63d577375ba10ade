#!/usr/bin/env bash
# tests/boot/t_matrix.sh — the boot matrix: SeaBIOS, OVMF and OVMF with
# Secure Boot on, each with the ISO as a CD-ROM and as a raw USB disk.  Each
# cell must reach Lifeboat's first screen on the serial console (the default
# menu entry, untouched), and the live system must say how it booted: BIOS
# or UEFI, Secure Boot on only in the secboot cells, and which device it
# recognised as its own medium.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/bootlib.sh"
cells="seabios-cd seabios-usb ovmf-cd ovmf-usb secboot-cd secboot-usb"
why=$(boot_skip_reason)
if [ -n "$why" ]; then
	for c in $cells; do skip "$c reaches the first screen" "$why"; done
	exit 0
fi
for c in $cells; do
	fw=${c%-*} medium=${c#*-}
	case $fw in seabios) want_fw=BIOS want_sb=off;; ovmf) want_fw=UEFI want_sb=off;; secboot) want_fw=UEFI want_sb=on;; esac
	case $medium in cd) want_dev=sr0;; usb) want_dev=sd[a-z];; esac
	vm_start "$c" "$fw" "$medium"
	if ! vm_wait "$c" "$FIRST_SCREEN" 420; then
		fail "$c reaches the first screen" "not on the serial console after 420 s: $(vm_tail "$c")"
	elif ! tr -d '\r' <"$T/$c.serial" | grep -aEq "$want_fw boot, Secure Boot $want_sb, medium /dev/$want_dev\$"; then
		fail "$c reaches the first screen" "boot summary is not '$want_fw boot, Secure Boot $want_sb, medium /dev/$want_dev': $(tr -d '\r' <"$T/$c.serial" | grep -a 'Lifeboat live system' | head -1)"
	else
		pass "$c reaches the first screen ($want_fw, Secure Boot $want_sb, medium found)"
		echo "   $c: first screen after ${VM_WAITED}s"
	fi
	vm_stop "$c"
done
