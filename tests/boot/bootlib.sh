# tests/boot/bootlib.sh — boots build/lifeboat.iso in QEMU (TCG) for the
# boot tests and the bench script.  Source it after tests/lib.sh.
#
# vm_start NAME FIRMWARE MEDIUM [QEMU ARGS...]
#     FIRMWARE: seabios | ovmf | secboot (OVMF with Secure Boot and
#     Microsoft's keys enrolled; q35 with SMM).  MEDIUM: cd | usb (the ISO as
#     a raw USB disk on xHCI) | kernel (the ISO as a CD, but the kernel and
#     initramfs taken out of it and started with -kernel, so that a test can
#     set the command line: put it in VM_APPEND).  The serial console goes
#     to $T/NAME.serial (kept as build/tests/log/boot/*.serial); VM_RAM (MiB, default 256) sets the memory.
# vm_wait NAME REGEX SECONDS   0 when REGEX shows on NAME's serial console
#                              within SECONDS; sets VM_WAITED (seconds)
# vm_wait_exit NAME SECONDS    0 when NAME's QEMU exited (the guest powered off)
# vm_stop NAME                 kills NAME's QEMU
ISO=${ISO:-$TOP/build/lifeboat.iso}
OVMF_DIR=${OVMF_DIR:-/usr/share/OVMF}
# The words of the TUI's first screen (tui/home.c's title line).
FIRST_SCREEN='Lifeboat [0-9][0-9.]* - back up, restore, clone'

# boot_skip_reason: prints why boot tests cannot run here, if they cannot.
boot_skip_reason() {
	[ -s "$ISO" ] || { echo "no ISO at $ISO (make iso)"; return; }
	have qemu-system-x86_64 || { echo "qemu-system-x86_64 not installed"; return; }
	have xorriso || { echo "xorriso not installed"; return; }
	[ -e "$OVMF_DIR/OVMF_CODE_4M.fd" ] || { echo "OVMF not installed (package ovmf)"; return; }
}

# iso_extract: the ISO's kernel and initramfs into $T (for -kernel boots).
iso_extract() {
	[ -s "$T/vmlinuz" ] && return 0
	xorriso -osirrox on -indev "$ISO" -extract /boot/vmlinuz "$T/vmlinuz" \
		-extract /boot/initrd.gz "$T/initrd.gz" >/dev/null 2>&1
}

_fw_args() {
	case $1 in
	seabios) echo "-machine pc";;
	ovmf)
		cp "$OVMF_DIR/OVMF_VARS_4M.fd" "$T/$2.vars"
		echo "-machine q35 -drive if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=$T/$2.vars";;
	secboot)
		cp "$OVMF_DIR/OVMF_VARS_4M.ms.fd" "$T/$2.vars"
		echo "-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on -drive if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_DIR/OVMF_CODE_4M.secboot.fd -drive if=pflash,format=raw,unit=1,file=$T/$2.vars";;
	esac
}

vm_start() {
	local name=$1 fw=$2 medium=$3; shift 3
	local args
	args="$(_fw_args "$fw" "$name") -m ${VM_RAM:-256} -smp 1 -display none -no-reboot -monitor none -serial file:$T/$name.serial"
	case $medium in
	cd) args="$args -drive if=none,id=lbcd,media=cdrom,readonly=on,format=raw,file=$ISO -device ide-cd,drive=lbcd,bootindex=0";;
	usb) args="$args -device qemu-xhci,id=lbxhci -drive if=none,id=lbstick,readonly=on,format=raw,file=$ISO -device usb-storage,bus=lbxhci.0,drive=lbstick,bootindex=0";;
	kernel) iso_extract || return 1
		args="$args -drive if=none,id=lbcd,media=cdrom,readonly=on,format=raw,file=$ISO -device ide-cd,drive=lbcd";;
	esac
	: >"$T/$name.serial"
	if [ "$medium" = kernel ]; then
		# shellcheck disable=SC2086 # args is a list of words
		qemu-system-x86_64 $args -kernel "$T/vmlinuz" -initrd "$T/initrd.gz" \
			-append "console=ttyS0,115200 quiet ${VM_APPEND:-}" "$@" \
			</dev/null >"$T/$name.qemu" 2>&1 &
	else
		# shellcheck disable=SC2086
		qemu-system-x86_64 $args "$@" </dev/null >"$T/$name.qemu" 2>&1 &
	fi
	echo $! >"$T/$name.pid"
	on_exit "vm_stop $name"
	on_exit "mkdir -p '$TOP/build/tests/log/boot' && cp '$T/$name.serial' '$TOP/build/tests/log/boot/${0##*/}-$name.serial'"
}

vm_wait() {
	local name=$1 re=$2 limit=$3 start=$SECONDS
	while [ $((SECONDS - start)) -lt "$limit" ]; do
		if tr -d '\r' <"$T/$name.serial" | grep -aEq "$re"; then
			VM_WAITED=$((SECONDS - start)); return 0
		fi
		kill -0 "$(cat "$T/$name.pid")" 2>/dev/null || break
		sleep 1
	done
	tr -d '\r' <"$T/$name.serial" | grep -aEq "$re" && { VM_WAITED=$((SECONDS - start)); return 0; }
	return 1
}

vm_wait_exit() {
	local pid start=$SECONDS
	pid=$(cat "$T/$1.pid")
	while kill -0 "$pid" 2>/dev/null; do
		[ $((SECONDS - start)) -lt "$2" ] || return 1
		sleep 1
	done
}

vm_stop() {
	local pid
	pid=$(cat "$T/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null && sleep 0.5
	kill -9 "$pid" 2>/dev/null
	rm -f "$T/$1.pid"
}

# vm_tail NAME: the last lines of NAME's console without escape sequences,
# for failure messages.
vm_tail() {
	tr -d '\r' <"$T/$1.serial" | sed 's/\x1b\[[0-9;?=]*[A-Za-z]//g' | grep -a . | tail -${2:-3} | tr '\n' ' ' | cut -c1-300
}
