#!/usr/bin/env bash
# tests/rescue/t_files.sh — after a rescue, the files that touch bad
# sectors are named: an ext4 filesystem in partition 1 of an MBR disk, made
# with mkfs.ext4 -d (no root, no mount), a bad sector inside one known file
# (found with debugfs), another in free space.  The report and `lifeboat
# info` must name that file and no other.  Also checks data first: with the
# filesystem readable, its used blocks are read before the free space.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

for t in qemu-img sfdisk mkfs.ext4 debugfs; do
	have $t || { skip "bad files listing" "$t not installed"; exit 0; }
done

mkdir -p "$T/root/docs" "$T/root/photos"
head -c 300000 /dev/urandom >"$T/root/docs/report.odt"
head -c 200000 /dev/urandom >"$T/root/photos/cat.jpg"
head -c 100000 /dev/urandom >"$T/root/notes.txt"
mkfs.ext4 -q -F -b 4096 -d "$T/root" "$T/fs.img" 24M >/dev/null 2>&1 ||
	{ skip "bad files listing" "mkfs.ext4 -d failed"; exit 0; }

# the disk: MBR, partition 1 at sector 2048 holding fs.img, 32 MiB in all
truncate -s 32M "$T/disk.img"
printf 'label: dos\nstart=2048, size=49152, type=83\n' | sfdisk -q "$T/disk.img" >/dev/null
dd if="$T/fs.img" of="$T/disk.img" bs=1M seek=1 conv=notrunc status=none

# a bad sector in the second block of photos/cat.jpg, one in free space
blk=$(debugfs -R "blocks /photos/cat.jpg" "$T/fs.img" 2>/dev/null | awk '{print $2}')
[ -n "$blk" ] || { fail "debugfs finds the file's blocks"; exit 0; }
s1=$((2048 + blk * 8 + 3))
s2=$((2048 + 40000))                    # 20 MiB into the fs: free
BAD="$s1:1 $s2:2"
badmap "$T/bad.map" "$BAD"
expected "$T/disk.img" "$T/expected.raw" "$BAD"

out=$(LIFEBOAT_FAULT_MAP=$T/bad.map "$LIFEBOAT" rescue "fault:$T/disk.img" \
	"$T/r.qcow2" 2>"$T/err")
rc=$?
raw_of "$T/r.qcow2" "$T/r.raw" 2>/dev/null
[ $rc -eq 0 ] && cmp -s "$T/r.raw" "$T/expected.raw" &&
	pass "ext4 disk rescued, bad sectors zeroed" ||
	fail "ext4 disk rescued, bad sectors zeroed" "exit $rc $(tail -2 "$T/err")"
if echo "$out" | grep -q "partition 1, ext4\] /photos/cat.jpg (512 bytes unreadable)" &&
   [ "$(echo "$out" | grep -c '\] /')" = 1 ]; then
	pass "the report names the one file that touches a bad sector"
else
	fail "the report names the one file that touches a bad sector" "$out"
fi
"$LIFEBOAT" info "$T/r.qcow2" | grep -q "/photos/cat.jpg" &&
	pass "lifeboat info names the file too" ||
	fail "lifeboat info names the file too"

# Data first: the used blocks (table area, bytes outside partitions,
# filesystem metadata and files) are read before the free space inside
# the filesystem.  With a delay per read, watch the checkpoints until the
# area past the partition's end (26 MiB, "used": outside any partition) is
# finished, kill, and check that the free space at 20 MiB is not.
LIFEBOAT_FAULT_MAP=$T/bad.map LIFEBOAT_FAULT_DELAY_MS=5 "$LIFEBOAT" rescue \
	"fault:$T/disk.img" "$T/d.qcow2" --checkpoint-ms 50 >/dev/null 2>&1 &
pid=$!
status_at() {   # status_at BYTE: the map's status there
	grep -v '^#' "$T/d.qcow2.rescue-map" 2>/dev/null | sed 1d |
	while read -r p s st; do
		[ $(($1 >= p && $1 < p + s)) = 1 ] && { echo "$st"; break; }
	done
}
for i in $(seq 1 300); do
	[ "$(status_at $((26 << 20)))" = + ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
nb=$(debugfs -R "blocks /notes.txt" "$T/fs.img" 2>/dev/null | awk '{print $NF}')
if [ "$(status_at $((26 << 20)))" = + ] &&
   [ "$(status_at $(( (2048 + nb * 8) * 512 )))" = + ] &&
   [ "$(status_at $((20 << 20)))" = "?" ]; then
	pass "data first: used blocks are rescued before free space"
else
	fail "data first: used blocks are rescued before free space" \
		"26M: $(status_at $((26 << 20))) notes.txt: $(status_at $(( (2048 + nb * 8) * 512 ))) 20M: $(status_at $((20 << 20)))"
fi

# FAT: a FAT16 filesystem in partition 1 (mkfs.vfat + mcopy, no root), a
# bad sector inside a file with a long name in a subfolder, found by a
# marker at the start of its content.
if have mkfs.vfat && have mcopy && have mmd; then
	truncate -s 20M "$T/fat.img"
	mkfs.vfat -F 16 -n RESCUE "$T/fat.img" 16384 >/dev/null 2>&1
	{ printf 'LIFEBOAT-MARKER-FAT'; head -c 150000 /dev/urandom; } >"$T/Holiday Photos 2024.jpg"
	head -c 70000 /dev/urandom >"$T/other.bin"
	mmd -i "$T/fat.img" ::/Pictures &&
	mcopy -i "$T/fat.img" "$T/other.bin" ::/other.bin &&
	mcopy -i "$T/fat.img" "$T/Holiday Photos 2024.jpg" "::/Pictures/Holiday Photos 2024.jpg"
	truncate -s 24M "$T/fdisk.img"
	printf 'label: dos\nstart=2048, size=32768, type=6\n' | sfdisk -q "$T/fdisk.img" >/dev/null
	dd if="$T/fat.img" of="$T/fdisk.img" bs=1M seek=1 conv=notrunc status=none
	off=$(grep -obUa LIFEBOAT-MARKER-FAT "$T/fat.img" | head -1 | cut -d: -f1)
	FBAD="$((2048 + off / 512 + 40)):1"
	badmap "$T/fbad.map" "$FBAD"
	out=$(LIFEBOAT_FAULT_MAP=$T/fbad.map "$LIFEBOAT" rescue "fault:$T/fdisk.img" "$T/f.qcow2" 2>&1)
	if echo "$out" | grep -q "partition 1, vfat\] /Pictures/Holiday Photos 2024.jpg (512 bytes unreadable)" &&
	   [ "$(echo "$out" | grep -c '\] /')" = 1 ]; then
		pass "FAT: the report names the one file (long name, subfolder)"
	else
		fail "FAT: the report names the one file (long name, subfolder)" "$(echo "$out" | tail -4)"
	fi
else
	skip "FAT: the report names the one file (long name, subfolder)" "mtools or dosfstools not installed"
fi

# NTFS: mkntfs + ntfscp (no root, no mount), a bad sector inside a file
# whose name has a space, found by a marker at the start of its content.
if have mkntfs && have ntfscp; then
	truncate -s 16M "$T/ntfs.img"
	mkntfs -F -Q "$T/ntfs.img" >/dev/null 2>&1
	{ printf 'LIFEBOAT-MARKER-NTFS'; head -c 150000 /dev/urandom; } >"$T/photo.jpg"
	head -c 90000 /dev/urandom >"$T/other.bin"
	ntfscp -f "$T/ntfs.img" "$T/other.bin" other.bin >/dev/null 2>&1
	ntfscp -f "$T/ntfs.img" "$T/photo.jpg" "Holiday photo.jpg" >/dev/null 2>&1
	truncate -s 20M "$T/ndisk.img"
	printf 'label: dos\nstart=2048, size=32768, type=7\n' | sfdisk -q "$T/ndisk.img" >/dev/null
	dd if="$T/ntfs.img" of="$T/ndisk.img" bs=1M seek=1 conv=notrunc status=none
	off=$(grep -obUa LIFEBOAT-MARKER-NTFS "$T/ntfs.img" | head -1 | cut -d: -f1)
	badmap "$T/nbad.map" "$((2048 + off / 512 + 40)):1"
	out=$(LIFEBOAT_FAULT_MAP=$T/nbad.map "$LIFEBOAT" rescue "fault:$T/ndisk.img" "$T/n.qcow2" 2>&1)
	if [ -n "$off" ] && echo "$out" | grep -q "partition 1, ntfs\] /Holiday photo.jpg (512 bytes unreadable)" &&
	   [ "$(echo "$out" | grep -c '\] /')" = 1 ]; then
		pass "NTFS: the report names the one file"
	else
		fail "NTFS: the report names the one file" "$(echo "$out" | tail -4)"
	fi
else
	skip "NTFS: the report names the one file" "ntfs-3g tools (mkntfs, ntfscp) not installed"
fi
