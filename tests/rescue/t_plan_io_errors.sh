#!/usr/bin/env bash
# tests/rescue/t_plan_io_errors.sh — the partition-table reader and the
# used-block plan on a disk with unreadable sectors (issue 6, data first),
# through the test-only fault backend (fault:FILE, LIFEBOAT_FAULT_MAP).
# One bad sector where the plan does not need it must not cost the whole
# disk its plan: the last sector of an MBR disk (where a backup GPT header
# would be), a sector in the last 4 KiB, a sector in the MBR gap; on a GPT
# disk the backup header, the primary header, a sector of the primary entry
# array; an EBR; a sector in one filesystem's FAT costs only that partition.  An
# unreadable sector 0 gives no table (raw), said so.  For each: `lifeboat
# probe` names the reason and the LBA or byte; `lifeboat rescue` logs the
# per-partition data-first plan, recovers every readable byte (cmp against
# the source with the bad sectors zeroed) and marks exactly the bad sectors
# (`lifeboat info`).  As root, the same through a loop device (the
# kernel's block layer and page cache).  A bad sector in the first 64 KiB
# (LBA 1, the MBR gap) no longer stops data first: the rescue plans once
# sector 0 has read.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

for t in qemu-img sfdisk mkfs.vfat mcopy mkfs.ext4; do
	have $t || { skip "plan with I/O errors" "$t not installed"; exit 0; }
done

N=65536                                 # 32 MiB disk
mkdir -p "$T/root"
head -c 400000 /dev/urandom >"$T/root/a.bin"
head -c 100000 /dev/urandom >"$T/b.bin"
# ext4 fills partition 2 on the MBR disk (23 MiB); the GPT disk's
# partition 2 ends before the backup GPT, so its ext4 is 22 MiB
mkfs.ext4 -q -F -b 4096 -d "$T/root" "$T/ext.img" 23M >/dev/null 2>&1 &&
mkfs.ext4 -q -F -b 4096 -d "$T/root" "$T/ext22.img" 22M >/dev/null 2>&1 ||
	{ skip "plan with I/O errors" "mkfs.ext4 -d failed"; exit 0; }
truncate -s 8M "$T/fat.img"
mkfs.vfat -F 16 -s 1 "$T/fat.img" >/dev/null 2>&1 && mcopy -i "$T/fat.img" "$T/b.bin" ::/b.bin ||
	{ skip "plan with I/O errors" "mkfs.vfat/mcopy failed"; exit 0; }

# mkdisk_fs LABEL OUT [22]: partition 1 FAT16 (LBA 2048, 8 MiB), partition 2 ext4
# (LBA 18432, 22 MiB in a partition to the end), the rest of the disk random bytes.
mkdisk_fs() {
	head -c $((N * 512)) /dev/urandom >"$2"
	if [ "$1" = gpt ]; then
		printf 'label: gpt\nstart=2048, size=16384\nstart=18432\n'
	else
		printf 'label: dos\nstart=2048, size=16384, type=6\nstart=18432, type=83\n'
	fi | sfdisk -q "$2" >/dev/null
	dd if="$T/fat.img" of="$2" bs=512 seek=2048 conv=notrunc status=none
	dd if="$T/ext${3:-}.img" of="$2" bs=512 seek=18432 conv=notrunc status=none
}
mkdisk_fs dos "$T/mbr.img"
mkdisk_fs gpt "$T/gpt.img" 22
# a sector inside partition 1's first FAT (after its reserved sectors)
res=$(od -An -tu2 -j14 -N2 "$T/fat.img" | tr -d ' ')
FATBAD=$((2048 + res + 1))

# probe_case NAME DISK BAD PATTERN PARTS: probe of DISK with BAD sectors
# exits 0, its notes match PATTERN (grep -E), and PARTS ("1:used 2:raw")
# says each partition's mode.
probe_case() {
	local name=$1 disk=$2 bad=$3 pat=$4 parts=$5 out rc p ok=1 why=""
	badmap "$T/$name.map" "$bad"
	out=$(LIFEBOAT_FAULT_MAP=$T/$name.map "$LIFEBOAT" probe "fault:$disk" 2>&1)
	rc=$?
	[ $rc = 0 ] || { ok=0; why="exit $rc"; }
	echo "$out" | grep -Eq "$pat" || { ok=0; why="$why; no /$pat/"; }
	for p in $parts; do
		if [ "${p#*:}" = used ]; then
			echo "$out" | grep -q "^partition ${p%%:*}: .*: used-blocks" ||
				{ ok=0; why="$why; partition ${p%%:*} not used-blocks"; }
		else
			echo "$out" | grep -q "^partition ${p%%:*}: .*: raw" ||
				{ ok=0; why="$why; partition ${p%%:*} not raw"; }
		fi
	done
	[ $ok = 1 ] && pass "probe, $name: $pat" ||
		fail "probe, $name: $pat" "$why: $(echo "$out" | tr '\n' '|')"
}

# rescue_case NAME DISK BAD PATTERN: rescue of DISK with BAD sectors; the
# log matches PATTERN (the data-first plan), every readable byte is equal,
# exactly the bad sectors are marked, lifeboat info lists them.
rescue_case() {
	local name=$1 disk=$2 bad=$3 pat=$4 out rc want got first
	badmap "$T/$name.map" "$bad"
	expected "$disk" "$T/$name.want" "$bad"
	out=$(LIFEBOAT_FAULT_MAP=$T/$name.map "$LIFEBOAT" rescue "fault:$disk" \
		"$T/$name.qcow2" --export-map "$T/$name.rmap" 2>&1)
	rc=$?
	if [ $rc = 0 ] && echo "$out" | grep -Eq "$pat" &&
	   ! echo "$out" | grep -q "no used-block map"; then
		pass "rescue, $name: data first ($pat)"
	else
		fail "rescue, $name: data first ($pat)" "exit $rc: $(echo "$out" | grep -i 'rescue:' | tr '\n' '|')"
	fi
	raw_of "$T/$name.qcow2" "$T/$name.raw" 2>/dev/null
	same_bytes "rescue, $name: every readable byte recovered" "$T/$name.raw" "$T/$name.want"
	want=$(ranges_of "$bad"); got=$(bad_sectors "$T/$name.rmap")
	first=${want%%-*}
	if [ "$got" = "$want" ] &&
	   "$LIFEBOAT" info "$T/$name.qcow2" | grep -q "LBA $first-${want##*-}"; then
		pass "rescue, $name: exactly the bad sectors marked ($want)"
	else
		fail "rescue, $name: exactly the bad sectors marked ($want)" "map: $got"
	fi
}

L=$((N - 1))
probe_case mbr-last "$T/mbr.img" "$L:1" \
	"backup GPT header unreadable \(I/O error at LBA $L\), in the disk's last sector.*MBR in sector 0 is used" \
	"1:used 2:used"
probe_case mbr-last4k "$T/mbr.img" "$((N - 5)):1" "table: dos" "1:used 2:used"
probe_case mbr-gap "$T/mbr.img" "77:1" "table: dos" "1:used 2:used"
probe_case gpt-backup "$T/gpt.img" "$L:1" \
	"backup GPT header unreadable \(I/O error at LBA $L\); the primary is used" \
	"1:used 2:used"
probe_case gpt-backup-array "$T/gpt.img" "$((N - 20)):1" \
	"backup GPT entry array unreadable \(I/O error at LBA $((N - 20))\); the primary is used" \
	"1:used 2:used"
probe_case gpt-primary "$T/gpt.img" "1:1" \
	"primary GPT header unreadable \(I/O error at LBA 1\); using the backup at LBA $L" \
	"1:used 2:used"
probe_case gpt-array "$T/gpt.img" "10:1" \
	"primary GPT entry array unreadable \(I/O error at LBA 10\); using the backup at LBA $L" \
	"1:used 2:used"
probe_case gpt-both "$T/gpt.img" "1:1 $L:1" \
	"protective MBR \(0xEE\) but no valid GPT.*primary GPT header unreadable \(I/O error at LBA 1\)" ""
probe_case sector0 "$T/mbr.img" "0:1" \
	"sector 0 unreadable \(I/O error at LBA 0" ""
# an extended partition whose second EBR (LBA 28672) does not read: the
# chain ends there with a note, logical 5 and partition 1 keep their
# plans, logical 6 is not listed (its bytes are stored as bytes outside
# the known partitions)
cp "$T/mbr.img" "$T/ebr.img"
printf 'label: dos\nstart=2048, size=16384, type=6\nstart=18432, type=5\nstart=20480, size=8192, type=83\nstart=30720, type=83\n' |
	sfdisk -q "$T/ebr.img" >/dev/null 2>&1
probe_case ebr "$T/ebr.img" "28672:1" \
	"EBR at LBA 28672 unreadable \(I/O error\): the logical partitions from there on are not known" "1:used 5:raw"
LIFEBOAT_FAULT_MAP=$T/ebr.map "$LIFEBOAT" probe "fault:$T/ebr.img" 2>&1 | grep -q "^#6:" &&
	fail "probe, ebr: logical 6 (behind the unreadable EBR) is not listed" ||
	pass "probe, ebr: logical 6 (behind the unreadable EBR) is not listed"
probe_case fat-meta "$T/mbr.img" "$FATBAD:1" "table: dos" "1:raw 2:used"
badmap "$T/fm.map" "$FATBAD:1"
LIFEBOAT_FAULT_MAP=$T/fm.map "$LIFEBOAT" probe "fault:$T/mbr.img" 2>&1 |
	grep -q "^partition 1: .*raw.*I/O error at byte $((FATBAD * 512)) while reading its FAT" &&
	pass "probe, fat-meta: partition 1 raw, the reason names the byte and the FAT" ||
	fail "probe, fat-meta: partition 1 raw, the reason names the byte and the FAT" \
		"$(LIFEBOAT_FAULT_MAP=$T/fm.map "$LIFEBOAT" probe "fault:$T/mbr.img" 2>&1 | grep '^partition 1')"

# a whole disk with sector 0 unreadable is raw, and says so
LIFEBOAT_FAULT_MAP=$T/sector0.map "$LIFEBOAT" probe "fault:$T/mbr.img" 2>&1 |
	grep -q "whole disk.*raw\|imaged raw" &&
	pass "probe, sector0: the whole disk is raw" ||
	fail "probe, sector0: the whole disk is raw"

USED="partition 1 \(vfat\): used blocks; partition 2 \(ext4\): used blocks"
rescue_case mbr-last "$T/mbr.img" "$L:1" "$USED"
rescue_case mbr-last4k "$T/mbr.img" "$((N - 5)):1" "$USED"
rescue_case gpt-backup "$T/gpt.img" "$L:1" "$USED"
rescue_case gpt-primary "$T/gpt.img" "1:1" "$USED"
rescue_case mbr-gap "$T/mbr.img" "77:1" "$USED"
rescue_case fat-meta "$T/mbr.img" "$FATBAD:1" \
	"partition 1 \(vfat\): raw \(I/O error at byte $((FATBAD * 512)) while reading its FAT.*partition 2 \(ext4\): used blocks"

# Backup is not a rescue: with the table's unneeded sector bad it plans by
# used blocks and, when the bad sector is one it must store, fails with a
# message naming it; with the last sector bad (free space in partition 2)
# it completes.
out=$(LIFEBOAT_FAULT_MAP=$T/mbr-last.map "$LIFEBOAT" backup "fault:$T/mbr.img" \
	"$T/b.qcow2" 2>&1)
rc=$?
if [ $rc = 0 ] && qemu-img check "$T/b.qcow2" >/dev/null 2>&1 &&
   echo "$out" | grep -q "partition 2 (ext4): used-blocks" &&
   echo "$out" | grep -q "partition table: backup GPT header unreadable (I/O error at LBA $L)"; then
	pass "backup, mbr-last: completes by used blocks (the bad sector is free space)"
else
	fail "backup, mbr-last: completes by used blocks (the bad sector is free space)" \
		"exit $rc: $(echo "$out" | tail -4 | tr '\n' '|')"
fi
out=$(LIFEBOAT_FAULT_MAP=$T/sector0.map "$LIFEBOAT" backup "fault:$T/mbr.img" \
	"$T/b0.qcow2" 2>&1)
rc=$?
if [ $rc != 0 ] && [ ! -e "$T/b0.qcow2" ] && echo "$out" | grep -q "lifeboat rescue" &&
   echo "$out" | grep -q "sector 0 unreadable" &&
   echo "$out" | grep -q "at byte 0 (LBA 0) failed: Input/output error"; then
	pass "backup, sector0: fails, no image, says why and points to lifeboat rescue"
else
	fail "backup, sector0: fails, no image, says why and points to lifeboat rescue" \
		"exit $rc: $(echo "$out" | tail -4 | tr '\n' '|')"
fi
# a bad sector it must store (in partition 1's FAT, raw): the message names
# that sector, not the start of the read it was in
out=$(LIFEBOAT_FAULT_MAP=$T/fat-meta.map "$LIFEBOAT" backup "fault:$T/mbr.img" \
	"$T/bf.qcow2" 2>&1)
rc=$?
if [ $rc != 0 ] && [ ! -e "$T/bf.qcow2" ] &&
   echo "$out" | grep -q "at byte $((FATBAD * 512)) (LBA $FATBAD) failed: Input/output error (a backup stops at an unreadable sector; .lifeboat rescue."; then
	pass "backup, fat-meta: fails naming the bad sector (LBA $FATBAD) and lifeboat rescue"
else
	fail "backup, fat-meta: fails naming the bad sector (LBA $FATBAD) and lifeboat rescue" \
		"exit $rc: $(echo "$out" | tail -2 | tr '\n' '|')"
fi

# A block device read through the page cache fails a 512-byte read with
# its whole 4 KiB page.  Root: the disk served by nbdkit's ddrescue filter
# through nbdfuse, under a loop device with direct I/O (so that the kernel
# fails exactly the bad sector to an O_DIRECT read).  The table reader
# must name the sector that failed, not a neighbour, and read sector 0 and
# the last sector past a bad neighbour in their pages.
why=$(nbd_why)
have losetup || why="losetup not installed"
if [ -n "$why" ]; then
	skip "block device: table sectors read past a bad neighbour in their page" "$why"
	exit 0
fi
# blk_case NAME DISK BAD PATTERN PARTS: as probe_case, on /dev/loopN
blk_case() {
	local name=$1 disk=$2 bad=$3 pat=$4 parts=$5 dev out rc p ok=1 why=""
	badmap "$T/b-$name.bad" "$bad"
	okmap "$T/b-$name.bad" "$T/b-$name.ok" $((N * 512))
	nbd_up "$T/b-$name" "$disk" "$T/b-$name.ok" || { fail "block device, $name: nbdfuse"; return; }
	dev=$(losetup -f --show -r --direct-io=on "$T/b-$name/disk" 2>/dev/null)
	if [ -z "$dev" ]; then
		nbd_down "$T/b-$name"
		skip "block device, $name: $pat" "losetup --direct-io=on refused the FUSE file"
		return
	fi
	on_exit "losetup -d $dev 2>/dev/null; nbd_down $T/b-$name"
	out=$("$LIFEBOAT" probe "$dev" 2>&1)
	rc=$?
	[ $rc = 0 ] || { ok=0; why="exit $rc"; }
	echo "$out" | grep -Eq "$pat" || { ok=0; why="$why; no /$pat/"; }
	for p in $parts; do
		echo "$out" | grep -q "^partition ${p%%:*}: .*: used-blocks" ||
			{ ok=0; why="$why; partition ${p%%:*} not used-blocks"; }
	done
	if [ -n "${6:-}" ]; then        # a rescue of the loop device too
		out=$("$LIFEBOAT" rescue "$dev" "$T/b-$name.qcow2" 2>&1)
		echo "$out" | grep -Eq "$6" || { ok=0; why="$why; rescue log: $(echo "$out" | grep 'used-block' | tr '\n' '|')"; }
		expected "$disk" "$T/b-$name.want" "$bad"
		raw_of "$T/b-$name.qcow2" "$T/b-$name.raw" 2>/dev/null
		cmp -s "$T/b-$name.raw" "$T/b-$name.want" || { ok=0; why="$why; rescued bytes differ"; }
	fi
	losetup -d "$dev" 2>/dev/null || { sleep 1; losetup -d "$dev"; }
	nbd_down "$T/b-$name"
	[ $ok = 1 ] && pass "block device, $name: $pat" ||
		fail "block device, $name: $pat" "$why: $(echo "$out" | tr '\n' '|')"
}
# libblkid reads the end of a partition (RAID superblocks live there) and
# fails as a whole: partition 2, which ends at the disk's end, is raw with
# that reason; partition 1 keeps its map
P2RAW="partition 2: .*raw.*libblkid failed reading bytes 9437184-33554431 to identify it \(Input/output error\)"
blk_case mbr-last4k "$T/mbr.img" "$((N - 5)):1" "$P2RAW" "1" \
	"partition 1 \(vfat\): used blocks; partition 2 \(unknown\): raw \(libblkid failed"
blk_case mbr-last "$T/mbr.img" "$L:1" \
	"backup GPT header unreadable \(I/O error at LBA $L\), in the disk's last sector" "1"
# a sector in partition 2's ext4 block bitmap (libext2fs reads it through
# its own descriptor): partition 2 raw, the byte of the failed read named,
# partition 1 keeps its map.  1 KiB blocks without flex_bg put group 1's
# bitmap 8 MiB into the filesystem, away from what libblkid reads to
# identify it (a bad sector there fails libblkid, as mbr-last4k shows).
if mkfs.ext4 -q -F -b 1024 -O ^flex_bg,^resize_inode -d "$T/root" "$T/ext1k.img" 23M >/dev/null 2>&1; then
	mkdisk_fs dos "$T/mbr1k.img" 1k
	bb=$(dumpe2fs "$T/ext1k.img" 2>/dev/null | sed -n 's/.*Block bitmap at \([0-9]*\).*/\1/p' | sed -n 2p)
	blk_case ext-bitmap "$T/mbr1k.img" "$((18432 + bb * 2 + 1)):1" \
		"partition 2: .*raw.*ext: I/O error at byte $(( (18432 + bb * 2) * 512 )) \(a 1024-byte read\) while reading its block bitmap" "1"
else
	skip "block device, ext-bitmap" "mkfs.ext4 -b 1024 failed"
fi
blk_case gpt-array3 "$T/gpt.img" "3:1" \
	"primary GPT entry array unreadable \(I/O error at LBA 3\); using the backup at LBA $L" "1 2"
blk_case gpt-backup-page "$T/gpt.img" "$((N - 3)):1" \
	"backup GPT entry array unreadable \(I/O error at LBA $((N - 3))\); the primary is used" "1 2"
