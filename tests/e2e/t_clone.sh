#!/usr/bin/env bash
# t_clone.sh — `lifeboat clone` end to end: a GPT disk (EFI FAT32 + ext4
# with real files) file->file and loop->loop byte-identical, zero areas as
# holes, a new target file created sparse (C006), --partition by offset,
# the source never written and its read-only flag given back.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

if ! make_gpt_disk "$T/disk.img" 96; then
	skip "clone tests" "cannot build the GPT test disk (sgdisk/mkfs.vfat/mtools/mkfs.ext4)"
	exit 0
fi

# file -> new file
out=$("$LIFEBOAT" clone "$T/disk.img" "$T/copy.img" --yes 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass "file to new file exits 0"; else fail "file to new file exits 0" "rc=$rc: $out"; fi
same_bytes "file to file is byte-identical" "$T/disk.img" "$T/copy.img"
size=$(stat -c %s "$T/copy.img"); used=$(( $(stat -c %b "$T/copy.img") * 512 ))
if [ "$size" -eq $((96 << 20)) ]; then pass "new target file has the source size (C006)"; else fail "new target file has the source size (C006)" "size $size"; fi
if [ "$used" -lt $((size / 2)) ]; then pass "zero areas are holes in the target file"; else fail "zero areas are holes in the target file" "du $used of $size bytes"; fi
case $out in *"clone done"*) pass "success line printed";; *) fail "success line printed" "$out";; esac

# onto an existing longer file: a disk of that size (trial finding 5):
# never shrunk, the partitions byte-identical, the GPT moved to its end
head -c $((100 << 20)) /dev/urandom >"$T/old.img"
"$LIFEBOAT" clone "$T/disk.img" "$T/old.img" --yes >/dev/null 2>&1
[ "$(stat -c %s "$T/old.img")" = $((100 << 20)) ] && pass "over an existing longer file: its size is kept" ||
	fail "over an existing longer file: its size is kept" "$(stat -c %s "$T/old.img") bytes"
cmp -s <(dd if="$T/disk.img" bs=1M skip=1 count=94 status=none) <(dd if="$T/old.img" bs=1M skip=1 count=94 status=none) &&
	pass "over an existing longer file: the partitions are byte-identical" ||
	fail "over an existing longer file: the partitions are byte-identical"
if have sgdisk; then sgdisk -v "$T/old.img" | grep -q "No problems found" && pass "over an existing longer file: sgdisk -v is clean" ||
	fail "over an existing longer file: sgdisk -v is clean" "$(sgdisk -v "$T/old.img" | head -2)"; fi

# --partition 2 of the disk image equals that byte range
"$LIFEBOAT" clone "$T/disk.img" "$T/p2.img" --partition 2 --yes >/dev/null 2>&1
dd if="$T/disk.img" of="$T/p2.ref" bs=512 skip=$P2_SECTOR count=$(( (96 << 11) - P2_SECTOR - 33 )) status=none
same_bytes "--partition 2 clones exactly that partition" "$T/p2.ref" "$T/p2.img"
if have e2fsck; then check "cloned ext4 partition passes e2fsck -fn" e2fsck -fn "$T/p2.img"; fi

# backup of partition 2 restored into partition 2 of a disk whose copy of
# it was wiped gives back the original disk
cp "$T/disk.img" "$T/wiped.img"
dd if=/dev/zero of="$T/wiped.img" bs=512 seek=$P2_SECTOR count=4096 conv=notrunc status=none
if "$LIFEBOAT" backup "$T/disk.img" "$T/p2.qcow2" --partition 2 >/dev/null 2>&1 &&
   "$LIFEBOAT" restore "$T/p2.qcow2" "$T/wiped.img" --partition 2 --yes >/dev/null 2>&1; then
	same_bytes "backup/restore --partition 2 by offset gives back the disk" "$T/disk.img" "$T/wiped.img"
else fail "backup/restore --partition 2 by offset gives back the disk" "backup or restore failed"; fi
out=$("$LIFEBOAT" clone "$T/disk.img" "$T/p9.img" --partition 9 --yes 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"no partition 9"*"1, 2"* ]]; then pass "a missing --partition is a usage error listing the partitions"; else fail "a missing --partition is a usage error listing the partitions" "rc=$rc $out"; fi

# --verify on a good target
check "--verify passes on a good copy" "$LIFEBOAT" clone "$T/disk.img" "$T/v.img" --yes --verify

if ! have_loop; then
	skip "loop to loop clone" "needs root and working loop devices"
	exit 0
fi
truncate -s 96M "$T/tgt.img"
head -c 1M /dev/urandom | dd of="$T/tgt.img" conv=notrunc status=none
{ attach "$T/disk.img" && src=$LOOP; } && { attach "$T/tgt.img" && tgt=$LOOP; } || { skip "loop to loop clone" "losetup failed"; exit 0; }
before=$(sha "$src"); ro_before=$(blockdev --getro "$src")
out=$("$LIFEBOAT" clone "$src" "$tgt" --yes --verify 2>&1); rc=$?
if [ $rc -eq 0 ]; then pass "loop to loop exits 0"; else fail "loop to loop exits 0" "rc=$rc: $out"; fi
same_bytes "loop to loop is byte-identical" "$src" "$tgt"
if [ "$(sha "$src")" = "$before" ]; then pass "source device bytes unchanged"; else fail "source device bytes unchanged"; fi
if [ "$(blockdev --getro "$src")" = "$ro_before" ]; then pass "source read-only flag restored (blockdev --getro)"; else fail "source read-only flag restored (blockdev --getro)" "was $ro_before, now $(blockdev --getro "$src")"; fi
# a device already read-only stays read-only
blockdev --setro "$src"
"$LIFEBOAT" clone "$src" "$T/ro.img" --yes >/dev/null 2>&1
if [ "$(blockdev --getro "$src")" = 1 ]; then pass "a source that was read-only stays read-only"; else fail "a source that was read-only stays read-only"; fi
blockdev --setrw "$src"
# loop -> file, partition by offset from a device without partition nodes
"$LIFEBOAT" clone "$src" "$T/p2b.img" --partition 2 --yes >/dev/null 2>&1
same_bytes "--partition on a loop device without partition nodes" "$T/p2.ref" "$T/p2b.img"
