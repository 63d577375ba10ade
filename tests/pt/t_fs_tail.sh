#!/usr/bin/env bash
# t_fs_tail.sh — used-block mode drops bytes only inside a filesystem's own
# extent (trial finding 3): a byte range that starts at a FAT filesystem and
# runs over the ext4 after it, and random data inside a partition after the
# end of a smaller ext4, both restore byte for byte (cmp of those ranges),
# and verify --against still says the stored bytes match.
. "$(dirname "$0")/../lib.sh"

for t in sgdisk mkfs.vfat mkfs.ext4; do
	have $t || { skip "bytes after a filesystem are kept" "needs $t"; exit 0; }
done
# 64 MiB GPT: 16 MiB FAT at 1 MiB, ext4 (with files) from 17 MiB to the end.
truncate -s 64M "$T/g.img"
sgdisk -n1:2048:+16M -t1:ef00 -n2:34816:0 "$T/g.img" >/dev/null
truncate -s 16M "$T/fat.img"; mkfs.vfat "$T/fat.img" >/dev/null
mkfs.ext4 -q -F -d "$TOP/imager" "$T/e.img" 46M >/dev/null 2>&1
dd if="$T/fat.img" of="$T/g.img" bs=1M seek=1 conv=notrunc status=none
dd if="$T/e.img" of="$T/g.img" bs=512 seek=34816 conv=notrunc status=none
"$LIFEBOAT" backup "$T/g.img" "$T/off.qcow2" --offset 1M >"$T/b.out" 2>&1 &&
	"$LIFEBOAT" restore "$T/off.qcow2" "$T/off.raw" --yes >/dev/null 2>&1
tail -c +$((1048576 + 1)) "$T/g.img" >"$T/tail.img"
cmp -s <(tail -c +$((16 * 1048576 + 1)) "$T/tail.img") <(tail -c +$((16 * 1048576 + 1)) "$T/off.raw") &&
	pass "--offset 1M over FAT and ext4: the ext4 after the FAT restores byte for byte" ||
	fail "--offset 1M over FAT and ext4: the ext4 after the FAT restores byte for byte" "$(tail -1 "$T/b.out")"
out=$("$LIFEBOAT" verify "$T/off.qcow2" --against "$T/tail.img" 2>&1) &&
	pass "verify --against the range still matches" || fail "verify --against the range still matches" "$out"
grep -q "after its end kept whole" "$T/b.out" && pass "backup says the bytes after the FAT are kept" ||
	fail "backup says the bytes after the FAT are kept" "$(head -1 "$T/b.out")"

# 8 MiB ext4 in a 24 MiB partition, random data at 15 MiB.
truncate -s 32M "$T/p.img"; sgdisk -n1:2048:+24M "$T/p.img" >/dev/null
mkfs.ext4 -q -F "$T/e8.img" 8M >/dev/null 2>&1
dd if="$T/e8.img" of="$T/p.img" bs=1M seek=1 conv=notrunc status=none
head -c 1M /dev/urandom | dd of="$T/p.img" bs=1M seek=15 conv=notrunc status=none
"$LIFEBOAT" backup "$T/p.img" "$T/p.qcow2" >"$T/b2.out" 2>&1 &&
	"$LIFEBOAT" restore "$T/p.qcow2" "$T/p.raw" --yes >/dev/null 2>&1
cmp -s <(dd if="$T/p.img" bs=1M skip=9 count=16 status=none) <(dd if="$T/p.raw" bs=1M skip=9 count=16 status=none) &&
	pass "data in a partition after its ext4's end restores byte for byte" ||
	fail "data in a partition after its ext4's end restores byte for byte" "$(head -1 "$T/b2.out")"
out=$("$LIFEBOAT" verify "$T/p.qcow2" --against "$T/p.img" 2>&1) &&
	pass "verify --against the partitioned disk still matches" ||
	fail "verify --against the partitioned disk still matches" "$out"
