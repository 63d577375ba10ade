#!/usr/bin/env bash
# Backup then restore gives the same bytes, and the images pass the
# independent referees: qemu-img check (no errors, no leaks) and qemu-img
# compare (identical to the source).  Disks: a GPT disk with an EFI FAT32
# and an ext4 partition full of real files, an MBR disk, zstd and zlib,
# default (used-blocks) and --raw.  Images that qemu-img itself wrote
# (compressed zlib and zstd, and uncompressed) restore correctly; the
# thread count does not change the image bytes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"
. "$(dirname "$0")/image_lib.sh"
L=$LIFEBOAT
export SOURCE_DATE_EPOCH=1700000000

for t in sgdisk mkfs.vfat mcopy mkfs.ext4 sfdisk; do
	have $t || { skip "round trips" "$t not installed"; exit 0; }
done
make_gpt_disk "$T/gpt.img" 128 || { fail "make GPT disk" "builder failed"; exit 0; }
make_mbr_disk "$T/mbr.img" || { fail "make MBR disk" "builder failed"; exit 0; }
# Old data in free space and a run of random bytes (incompressible clusters).
head -c 3M /dev/urandom | dd of="$T/gpt.img" bs=1M seek=120 conv=notrunc status=none

roundtrip() {   # NAME DISK BACKUP-OPTIONS...
	local n=$1 d=$2; shift 2
	rm -f "$T/$n.qcow2" "$T/$n.out"
	expect_rc "$n: backup exits 0" 0 "$L" backup "$d" "$T/$n.qcow2" "$@"
	qcheck "$n: qemu-img check clean" "$T/$n.qcow2"
	expect_rc "$n: restore into a new file exits 0" 0 "$L" restore "$T/$n.qcow2" "$T/$n.out" --yes
	same_bytes "$n: restored bytes identical to the source" "$d" "$T/$n.out"
	expect_rc "$n: verify --against the source exits 0" 0 "$L" verify "$T/$n.qcow2" --against "$d"
}
roundtrip gpt-raw "$T/gpt.img" --raw
qcompare "gpt-raw: qemu-img compare identical" "$T/gpt-raw.qcow2" "$T/gpt.img"
roundtrip gpt-zlib "$T/gpt.img" --raw --compress zlib
qcompare "gpt-zlib: qemu-img compare identical" "$T/gpt-zlib.qcow2" "$T/gpt.img"
roundtrip mbr "$T/mbr.img"
qcompare "mbr: qemu-img compare identical" "$T/mbr.qcow2" "$T/mbr.img"
roundtrip gpt-64k "$T/gpt.img" --raw --cluster-size 65536
if [ "$(stat -c %s "$T/gpt-raw.qcow2")" -lt "$(stat -c %s "$T/gpt.img")" ]; then pass "gpt-raw: image smaller than the disk"; else fail "gpt-raw: image smaller than the disk"; fi

# A partition by offset (no partition node needed): the ext4 partition.
rm -f "$T/p2.qcow2"
expect_rc "partition by offset: backup" 0 "$L" backup "$T/gpt.img" "$T/p2.qcow2" --offset $((P2_SECTOR * 512)) --length $((80 * 1024 * 1024)) --raw
dd if="$T/gpt.img" of="$T/p2.ref" bs=512 skip=$P2_SECTOR count=$((80 * 2048)) status=none
qcompare "partition by offset: qemu-img compare with the partition's bytes" "$T/p2.qcow2" "$T/p2.ref"

# The same image bytes whatever the thread count.
for th in 1 2 4; do "$L" backup "$T/gpt.img" "$T/th$th.qcow2" --raw --threads $th >/dev/null 2>&1; done
if cmp -s "$T/th1.qcow2" "$T/th2.qcow2" && cmp -s "$T/th1.qcow2" "$T/th4.qcow2"; then
	pass "1, 2 and 4 threads write identical image bytes"
else fail "1, 2 and 4 threads write identical image bytes" "$(cmp "$T/th1.qcow2" "$T/th4.qcow2" 2>&1)"; fi
# Decompression threads do not change the result either.
"$L" restore "$T/th1.qcow2" "$T/th1.out" --yes --threads 1 >/dev/null 2>&1
same_bytes "restore with 1 thread identical" "$T/gpt.img" "$T/th1.out"

# Images written by qemu-img restore correctly.
if have qemu-img; then
	for ct in zlib zstd; do
		qemu-img convert -c -O qcow2 -o compression_type=$ct "$T/gpt.img" "$T/q-$ct.qcow2"
		expect_rc "qemu-img -c $ct image: restore exits 0" 0 "$L" restore "$T/q-$ct.qcow2" "$T/q-$ct.out" --yes
		same_bytes "qemu-img -c $ct image: restored bytes identical" "$T/gpt.img" "$T/q-$ct.out"
		expect_rc "qemu-img -c $ct image: verify --against exits 0" 0 "$L" verify "$T/q-$ct.qcow2" --against "$T/gpt.img"
	done
	qemu-img convert -O qcow2 "$T/mbr.img" "$T/q-plain.qcow2"
	expect_rc "qemu-img uncompressed image: restore exits 0" 0 "$L" restore "$T/q-plain.qcow2" "$T/q-plain.out" --yes
	same_bytes "qemu-img uncompressed image: restored bytes identical" "$T/mbr.img" "$T/q-plain.out"
else
	skip "qemu-img written images" "qemu-img not installed"
fi

# Zero areas stay holes in a restored file.
alloc=$(du -k "$T/gpt-raw.out" | cut -f1); full=$(( $(stat -c %s "$T/gpt.img") / 1024 ))
if [ "$alloc" -lt "$full" ]; then pass "restored file is sparse ($alloc of $full KiB allocated)"; else fail "restored file is sparse" "$alloc of $full KiB"; fi

# Block devices: back up from a loop device, restore onto another one
# (zero runs become BLKZEROOUT there), bytes identical.
if have_loop; then
	cp "$T/gpt.img" "$T/lsrc.img"; truncate -s 128M "$T/ldst.img"
	head -c 128M /dev/urandom | dd of="$T/ldst.img" conv=notrunc status=none   # old content to be replaced
	attach "$T/lsrc.img" && s=$LOOP && attach "$T/ldst.img" && d=$LOOP || { fail "loop devices" "losetup failed"; exit 0; }
	expect_rc "loop device: backup from $s" 0 "$L" backup "$s" "$T/loop.qcow2" --raw
	qcompare "loop device: image identical to the device" "$T/loop.qcow2" "$s"
	expect_rc "loop device: restore onto $d" 0 "$L" restore "$T/loop.qcow2" "$d" --yes
	same_bytes "loop device: target identical to the source" "$s" "$d"
	same_bytes "loop device: the source file was not modified" "$T/gpt.img" "$T/lsrc.img"
else
	skip "loop device round trip" "needs root and working loop devices"
fi

# A file whose size is not a multiple of 512: qemu sees it padded with
# zeros to the next sector, Lifeboat restores the exact bytes.
head -c 1000001 "$L" >"$T/odd.img"
roundtrip odd "$T/odd.img" --raw
if have qemu-img; then
	qemu-img convert -O raw "$T/odd.qcow2" "$T/odd.q" && cmp -s -n 1000001 "$T/odd.img" "$T/odd.q" &&
		[ "$(stat -c %s "$T/odd.q")" = 1000448 ] && pass "odd size: qemu reads the bytes, padded to 512" ||
		fail "odd size: qemu reads the bytes, padded to 512" "$(stat -c %s "$T/odd.q")"
fi

# restore --verify reads the target back and compares its SHA-256.
expect_rc "restore --verify exits 0" 0 "$L" restore "$T/mbr.qcow2" "$T/mbr-v.out" --yes --verify
same_bytes "restore --verify: bytes identical" "$T/mbr.img" "$T/mbr-v.out"
