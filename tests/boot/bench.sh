#!/usr/bin/env bash
# tests/boot/bench.sh [ISO] — the ISO's budgets, measured (not a test: it
# asserts nothing, it prints figures; `make iso-bench` or `make bench`):
#   - the ISO's size (budget: 32 MiB);
#   - boot-to-first-screen time under QEMU TCG for each cell of the boot
#     matrix (SeaBIOS, OVMF, OVMF + Secure Boot; CD and USB), at 256 MiB;
#   - the smallest RAM, in 8 MiB steps, that still reaches the first
#     screen on BIOS and on UEFI (budget: 128 MiB), found by bisection.
# Set BENCH_CELLS or BENCH_RAM_FW to a shorter list to measure less.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/bootlib.sh"
ISO=${1:-$ISO}
why=$(boot_skip_reason); [ -z "$why" ] || { echo "boot bench skipped: $why"; exit 0; }
size=$(stat -c %s "$ISO")
awk -v s="$size" 'BEGIN { printf "ISO size: %d bytes (%.1f MiB; budget 32 MiB)\n", s, s / 1048576 }'

# boots FW MEDIUM RAM [LIMIT]: 0 when the first screen shows within LIMIT
# seconds (default 300); prints the seconds.  A boot that runs out of
# memory may hang rather than panic, hence the shorter LIMIT when probing.
boots() {
	local name=b$RANDOM
	VM_RAM=$3 vm_start "$name" "$1" "$2"
	if vm_wait "$name" "$FIRST_SCREEN|Kernel panic|Out of memory|Failed to boot" "${4:-300}" &&
	   ! tr -d '\r' <"$T/$name.serial" | grep -aEq 'Kernel panic|Out of memory|Failed to boot'; then
		vm_stop "$name"; echo "$VM_WAITED"; return 0
	fi
	vm_stop "$name"; echo "-"; return 1
}

echo "Boot to first screen (QEMU TCG, 256 MiB, serial console; includes the 3 s menu timeout):"
for c in ${BENCH_CELLS:-seabios-cd seabios-usb ovmf-cd ovmf-usb secboot-cd secboot-usb}; do
	t=$(boots "${c%-*}" "${c#*-}" 256) && printf '  %-12s %4s s\n' "$c" "$t" || printf '  %-12s did not boot\n' "$c"
done

echo "Smallest RAM that reaches the first screen (CD, 8 MiB steps):"
for fw in ${BENCH_RAM_FW:-seabios ovmf}; do
	lo=48 hi=256     # lo: assumed too small; hi: must work
	if ! boots "$fw" cd $hi >/dev/null; then echo "  $fw: does not boot even with $hi MiB"; continue; fi
	while [ $((hi - lo)) -gt 8 ]; do
		mid=$(( (lo + hi) / 2 / 8 * 8 ))
		if boots "$fw" cd $mid 150 >/dev/null; then hi=$mid; else lo=$mid; fi
	done
	label=BIOS; [ "$fw" = seabios ] || label=UEFI
	echo "  $label ($fw): $hi MiB (budget 128 MiB)"
done
