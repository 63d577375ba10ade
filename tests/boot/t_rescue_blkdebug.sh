#!/usr/bin/env bash
# tests/boot/t_rescue_blkdebug.sh — `lifeboat rescue` inside the booted ISO
# against a disk whose reads fail in the kernel's own error path: the source
# disk is served by qemu's blkdebug driver, which fails every read touching
# the injected 512-byte sectors with EIO, behind a controller whose Linux
# driver goes through SCSI error handling (so the rescue's sysfs timeout
# lowering applies).  The job (lifeboat.job=rescue, rootfs/sbin/lifeboat-job)
# writes the image and an exported ddrescue mapfile onto a second (ext4)
# disk; the host then judges with tools we did not write:
#   - the job ends "LIFEBOAT-JOB: OK" and the VM powers off (bounded waits;
#     no wall-clock assertion);
#   - the destination is e2fsck-clean, the image passes `qemu-img check`;
#   - the image's disk (qemu-img convert) equals the source with exactly the
#     bad sectors zeroed: every readable byte recovered, nothing invented;
#   - the exported mapfile's '-' blocks, ddrescuelog's own list of bad
#     sectors from it (-l-), and `lifeboat info`'s "Unreadable" ranges are
#     exactly the injected sectors, at the kernel's logical-sector
#     granularity (512-byte disks: the sectors themselves; a 4096-byte
#     logical disk: each injected sector widened to its 4 KiB sector, the
#     smallest unit the kernel can read);
#   - the rescue lowered sda's SCSI timeouts for the run and the job log
#     shows the original values afterwards; the source file is unchanged.
# Cells (8 MiB random disk, MBR, partition boundary at sector 14336):
#   scsi512:  virtio-scsi scsi-hd, 512-byte sectors: first sector, a lone
#             sector, a 144-sector run covering a whole 64 KiB read and
#             both its neighbours' edges, 12 sectors across the partition
#             boundary, the last sector (no table readable: disk order)
#   ahci512:  AHCI ide-hd (libata error handling): lone sectors, a run, two
#             sectors across the boundary, one near the end; the table
#             readable, so data first runs (and is checked to)
#   scsi4k:   virtio-scsi scsi-hd with 4096-byte logical sectors
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/bootlib.sh"
. "$(dirname "$0")/../rescue/rescue_lib.sh"

CELLS="scsi512 ahci512 scsi4k"
WHAT="job ends OK|image and destination clean|every readable byte recovered|exactly the injected sectors bad|ddrescuelog agrees|lifeboat info lists them|sysfs timeouts lowered and restored|source unchanged"
why=$(boot_skip_reason)
[ -n "$why" ] || have qemu-img || why="qemu-img not installed"
[ -n "$why" ] || have ddrescuelog || why="ddrescuelog not installed (package gddrescue)"
[ -n "$why" ] || have debugfs || why="debugfs not installed (package e2fsprogs)"
if [ -n "$why" ]; then
	for c in $CELLS; do skip "$c: rescue through blkdebug" "$why"; done
	exit 0
fi

SECTORS=16384                           # 8 MiB in 512-byte sectors
mkdisk "$T/disk.img" $SECTORS           # random bytes, MBR, boundary at 14336
src_sum=$(sha256sum <"$T/disk.img")

# blkdebug_conf OUT "START:COUNT ...": one inject-error rule per 512-byte
# sector (blkdebug fails a request when it contains the rule's sector).
blkdebug_conf() {
	local r i
	: >"$1"
	for r in $2; do
		for ((i = ${r%%:*}; i < ${r%%:*} + ${r##*:}; i++)); do
			printf '[inject-error]\nevent = "read_aio"\nsector = "%d"\nerrno = "5"\nonce = "off"\n\n' $i >>"$1"
		done
	done
}

# widen "START:COUNT ..." SECTOR_BYTES: the same ranges grown to whole
# logical sectors (in 512-byte units), as the kernel can read no less.
widen() {
	local r s e k=$(($2 / 512))
	for r in $1; do
		s=$((${r%%:*} / k * k)); e=$(((${r%%:*} + ${r##*:} - 1) / k * k + k - 1))
		echo -n "$s:$((e - s + 1)) "
	done
}

# ddrescuelog_bad MAP: ddrescuelog's list of bad 512-byte sectors, as ranges.
ddrescuelog_bad() {
	ddrescuelog -b512 -l- "$1" | awk '
		{ if (n && $1 == pe + 1) { pe = $1; next }
		  if (n) print ps "-" pe; ps = pe = $1; n = 1 }
		END { if (n) print ps "-" pe }'
}

# info_bad IMAGE: `lifeboat info`'s unreadable ranges, as 512-byte sector
# ranges (from its "bytes A-B" words).
info_bad() {
	"$LIFEBOAT" info "$1" | sed -n 's/^ *bytes \([0-9]*\)-\([0-9]*\) (LBA.*/\1 \2/p' |
		while read -r a b; do echo "$((a / 512))-$(((b + 1) / 512 - 1))"; done
}

# rescue_vm CELL "BAD" DEVICE-ARGS...: boots the ISO with a rescue job of
# /dev/sda (the blkdebug disk, behind DEVICE-ARGS, which must name drive
# "src") into rescue.qcow2 on a fresh ext4 disk; 0 when the job said OK and
# the VM powered off.  The verdict is left in $T/CELL.verdict.
rescue_vm() {
	local cell=$1 bad=$2 drive; shift 2
	blkdebug_conf "$T/$cell.conf" "$bad"
	truncate -s 64M "$T/$cell.dest"
	mke2fs -q -F -t ext4 -L lbdest "$T/$cell.dest"
	drive="if=none,id=src,driver=raw,file.driver=blkdebug,file.config=$T/$cell.conf,file.image.driver=file,file.image.filename=$T/disk.img"
	VM_APPEND="lifeboat.job=rescue lifeboat.src=/dev/sda lifeboat.dest=/dev/vda lifeboat.image=rescue.qcow2 lifeboat.opts=\"--export-map /mnt/dest/rescue.map\"" \
		vm_start "$cell" seabios kernel -drive "$drive$RO" "$@" \
		-drive file="$T/$cell.dest",if=virtio,format=raw
	vm_wait "$cell" 'LIFEBOAT-JOB: (OK|FAILED)' 480 ||
		{ echo "no job verdict within 480 s: $(vm_tail "$cell" 5)" >"$T/$cell.verdict"; vm_stop "$cell"; return 1; }
	vm_wait_exit "$cell" 120 ||
		{ echo "did not power off after the job" >"$T/$cell.verdict"; vm_stop "$cell"; return 1; }
	tr -d '\r' <"$T/$cell.serial" | grep -aoE 'LIFEBOAT-JOB: (OK|FAILED.*)' | tail -1 >"$T/$cell.verdict"
	grep -q 'LIFEBOAT-JOB: OK' "$T/$cell.verdict"
}

# judge CELL "EXPECTED-BAD": the host's verdicts on CELL's results.
judge() {
	local cell=$1 want=$2 log=$T/$1.log img=$T/$1.qcow2 map=$T/$1.map exp
	tr -d '\r' <"$T/$cell.serial" >"$log"
	debugfs -R "dump /rescue.qcow2 $img" "$T/$cell.dest" >/dev/null 2>&1
	debugfs -R "dump /rescue.map $map" "$T/$cell.dest" >/dev/null 2>&1
	if ! e2fsck -fn "$T/$cell.dest" >"$T/$cell.fsck" 2>&1; then
		fail "$cell: image and destination clean" "e2fsck: $(tail -2 "$T/$cell.fsck" | tr '\n' ' ')"
	elif [ ! -s "$img" ] || [ ! -s "$map" ]; then
		fail "$cell: image and destination clean" "no rescue.qcow2 or rescue.map on the destination"
	else
		check "$cell: image and destination clean (qemu-img check, e2fsck)" qemu-img check -q "$img"
	fi
	exp=$(ranges_of "$want" | tr '\n' ' '); exp=${exp% }
	expected "$T/disk.img" "$T/$cell.expected" "$want"
	if raw_of "$img" "$T/$cell.raw" 2>"$T/$cell.conv"; then
		same_bytes "$cell: every readable byte recovered, bad sectors zero" "$T/$cell.raw" "$T/$cell.expected"
	else
		fail "$cell: every readable byte recovered" "qemu-img convert: $(head -2 "$T/$cell.conv" | tr '\n' ' ')"
	fi
	local got; got=$(bad_sectors "$map" 2>/dev/null | tr '\n' ' '); got=${got% }
	[ "$got" = "$exp" ] && pass "$cell: exactly the injected sectors bad in the exported map ($exp)" ||
		fail "$cell: exactly the injected sectors bad in the exported map" "want '$exp', got '$got'"
	got=$(ddrescuelog_bad "$map" 2>&1 | tr '\n' ' '); got=${got% }
	if ddrescuelog -t "$map" >/dev/null 2>&1 && [ "$got" = "$exp" ]; then
		pass "$cell: ddrescuelog accepts the map and lists the same bad sectors"
	else
		fail "$cell: ddrescuelog agrees" "want '$exp', ddrescuelog -l- says '$got'"
	fi
	if [ -x "$LIFEBOAT" ]; then
		got=$(info_bad "$img" 2>&1 | tr '\n' ' '); got=${got% }
		[ "$got" = "$exp" ] && pass "$cell: lifeboat info lists exactly the injected sectors" ||
			fail "$cell: lifeboat info lists them" "want '$exp', got '$got'"
	else
		skip "$cell: lifeboat info lists them" "no host binary at $LIFEBOAT (make host)"
	fi
	local before after
	before=$(sed -n 's/.*before the rescue: //p' "$log" | tail -1)
	after=$(sed -n 's/.*after the rescue: //p' "$log" | tail -1)
	if grep -q 'block/sda/device: command timeout 5 s, error handling 5 s for the rescue' "$log" &&
	   grep -q 'block/sda/device: command timeout [0-9]* s, error handling [0-9]* s restored' "$log" &&
	   [ -n "$before" ] && [ "$before" = "$after" ] && ! grep -q 'timeout 5 s,' <<<"$before"; then
		pass "$cell: sda's SCSI timeouts lowered to 5 s for the rescue, then restored ($after)"
	else
		fail "$cell: sysfs timeouts lowered and restored" "before '$before', after '$after': $(grep -a 'rescue: /sys' "$log" | tr '\n' ' ' | cut -c1-300)"
	fi
	[ "$(sha256sum <"$T/disk.img")" = "$src_sum" ] && pass "$cell: source disk unchanged" ||
		fail "$cell: source unchanged" "the source's bytes changed"
	[ -n "${DF:-}" ] || return 0
	if grep -aq 'rescue: data first (used blocks) done' "$log" && ! grep -aq 'no used-block map' "$log"; then
		pass "$cell: data first read the table's used blocks through the faulty disk"
	else
		fail "$cell: data first ran" "$(grep -a 'used-block map\|data first' "$log" | head -2 | tr '\n' ' ')"
	fi
}

# run_cell CELL "INJECTED" "EXPECTED-BAD" DEVICE-ARGS...
run_cell() {
	local cell=$1 bad=$2 want=$3; shift 3
	if rescue_vm "$cell" "$bad" "$@"; then
		pass "$cell: rescue job ends OK and the VM powers off"
		judge "$cell" "$want"
	else
		fail "$cell: rescue job ends OK" "$(cat "$T/$cell.verdict")"
		IFS='|' read -ra w <<<"$WHAT"
		[ -n "${DF:-}" ] && w+=("data first ran")
		for c in "${w[@]:1}"; do skip "$cell: $c" "the rescue job did not finish"; done
	fi
}

# 1. virtio-scsi, 512-byte sectors: the whole set, sector 0 included.
BAD="0:1 77:1 2040:144 14330:12 $((SECTORS - 1)):1"
RO=,readonly=on run_cell scsi512 "$BAD" "$BAD" \
	-device virtio-scsi-pci,id=scsi0 -device scsi-hd,drive=src,bus=scsi0.0

# 2. AHCI (libata through SCSI error handling), 512-byte sectors.  The
# faults stay out of what data first needs: the first 64 KiB (read by the
# rescue before it plans) and the last 4 KiB (the planner's GPT probes,
# read through the page cache: one bad sector fails its 4 KiB page and the
# whole plan).  So the used-block map is read and data first runs over
# the faults.  QEMU's ide-hd refuses a read-only drive: the "source
# unchanged" check covers it.
BAD="200:1 500:1 3000:16 14335:2 16000:1"
RO= DF=1 run_cell ahci512 "$BAD" "$BAD" \
	-device ahci,id=ahci -device ide-hd,drive=src,bus=ahci.0

# 3. virtio-scsi with 4096-byte logical sectors: the kernel reads no less
# than 4 KiB, so each injected 512-byte sector costs its whole 4 KiB sector.
BAD="0:1 77:1 5003:2 14335:2 $((SECTORS - 1)):1"
RO=,readonly=on run_cell scsi4k "$BAD" "$(widen "$BAD" 4096)" \
	-device virtio-scsi-pci,id=scsi0 \
	-device scsi-hd,drive=src,bus=scsi0.0,logical_block_size=4096,physical_block_size=4096
