#!/usr/bin/env bash
# Used-block imaging, end to end through `lifeboat backup` and `restore`:
# real filesystems (ext4 in several feature sets, FAT12/16/32, exFAT, NTFS)
# filled with real files, one large file deleted again.  After the round
# trip the filesystem's own checker is clean, every remaining file reads
# back identical, the image is smaller than qemu-img's compressed copy of
# every non-zero cluster (the deleted file's data was not stored), and
# `lb_plan_used` (via the lbprobe driver) reports used-blocks mode.
. "$(dirname "$0")/../lib.sh"
P=$TOP/build/tests/pt/lbprobe
export ASAN_OPTIONS=detect_leaks=0
[ -x "$LIFEBOAT" ] || { fail "setup" "$LIFEBOAT missing"; exit 0; }

mkdir -p "$T/files/sub"
head -c 3000000 /dev/urandom >"$T/files/random.bin"
seq 1 200000 >"$T/files/sub/seq.txt"
cp /usr/bin/bash "$T/files/sub/bash"
head -c 20000000 /dev/urandom >"$T/big.bin"     # written, then deleted
FILES="random.bin sub/seq.txt sub/bash"

# roundtrip NAME IMG CHECKER READER: backup, restore, check, compare
roundtrip() {
	local name=$1 img=$2 checker=$3 reader=$4 f bad=
	"$P" fs "$img" >"$T/probe" 2>&1
	grep -q '^MODE=used-blocks' "$T/probe" || { fail "$name: mode" "$(grep -a -E 'TYPE|MODE|REASON' "$T/probe" | tr '\n' ' ')"; return; }
	"$LIFEBOAT" backup "$img" "$T/i.qcow2" --force >"$T/log" 2>&1 || { fail "$name: backup" "$(tail -2 "$T/log")"; return; }
	"$LIFEBOAT" restore "$T/i.qcow2" "$T/r.img" --yes >"$T/log" 2>&1 || { fail "$name: restore" "$(tail -2 "$T/log")"; return; }
	if out=$($checker "$T/r.img" 2>&1); then pass "$name: $checker clean after used-block round trip"
	else fail "$name: $checker" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
	for f in $FILES; do
		$reader "$T/r.img" "$f" >"$T/out" 2>/dev/null
		cmp -s "$T/out" "$T/files/$f" || bad="$bad $f"
	done
	if [ -z "$bad" ]; then pass "$name: every file identical after restore"; else fail "$name: files differ:$bad"; fi
	qemu-img convert -c -O qcow2 "$img" "$T/ref.qcow2" 2>/dev/null
	local a b; a=$(stat -c %s "$T/i.qcow2"); b=$(stat -c %s "$T/ref.qcow2")
	if [ "$a" -lt $((b - 10000000)) ]; then pass "$name: image $a bytes < all-non-zero copy $b bytes"
	else fail "$name: image size" "$a bytes, all-non-zero copy $b (deleted 20 MB file stored?)"; fi
	rm -f "$T/i.qcow2" "$T/r.img" "$T/ref.qcow2"
}

ext_read() { debugfs -R "dump /$2 /dev/stdout" "$1" 2>/dev/null; }
ext_check() { e2fsck -fn "$1"; }
for v in "4k:-b 4096" "1k:-b 1024" "64bit-meta_bg:-O 64bit,meta_bg,^resize_inode -b 4096" \
         "bigalloc:-O bigalloc -b 4096 -C 16384" "ext2:-t ext2 -b 1024" "flex_bg-uninit:-O flex_bg,uninit_bg,^metadata_csum -b 4096"; do
	name=${v%%:*}; opts=${v#*:}
	rm -f "$T/fs.img"; truncate -s 96M "$T/fs.img"
	cp "$T/big.bin" "$T/files/big.bin"
	if ! mkfs.ext4 -q -F $opts -d "$T/files" "$T/fs.img" >/dev/null 2>&1; then fail "ext $name: mkfs"; continue; fi
	rm -f "$T/files/big.bin"
	debugfs -w -R "rm /big.bin" "$T/fs.img" >/dev/null 2>&1
	roundtrip "ext4 $name" "$T/fs.img" ext_check ext_read
done

fat_read() { mcopy -n -i "$1" "::/$2" /dev/stdout 2>/dev/null; }
fat_check() { fsck.vfat -n "$1"; }
for v in "FAT12:-F 12 -s 16:16M" "FAT16:-F 16:64M" "FAT32:-F 32:96M" "FAT32-1k-clusters:-F 32 -s 2:96M" "FAT16-32k-clusters:-F 16 -s 64:192M"; do
	IFS=: read -r name opts size <<<"$v"
	rm -f "$T/fs.img"; truncate -s "$size" "$T/fs.img"
	mkfs.vfat $opts "$T/fs.img" >/dev/null 2>&1 || { fail "$name: mkfs.vfat"; continue; }
	mmd -i "$T/fs.img" ::/sub
	for f in $FILES; do mcopy -i "$T/fs.img" "$T/files/$f" "::/$f"; done
	if [ "$name" = FAT12 ]; then head -c 8000000 "$T/big.bin" >"$T/b"; else cp "$T/big.bin" "$T/b"; fi
	mcopy -i "$T/fs.img" "$T/b" ::/big.bin && mdel -i "$T/fs.img" ::/big.bin
	if [ "$name" = FAT12 ]; then
		# too small for the 10 MB margin: check modes and content only
		"$LIFEBOAT" backup "$T/fs.img" "$T/i.qcow2" --force >/dev/null 2>&1 && "$LIFEBOAT" restore "$T/i.qcow2" "$T/r.img" --yes >/dev/null 2>&1
		check "FAT12: fsck.vfat clean after used-block round trip" fsck.vfat -n "$T/r.img"
		bad=; for f in $FILES; do fat_read "$T/r.img" "$f" | cmp -s - "$T/files/$f" || bad="$bad $f"; done
		if [ -z "$bad" ]; then pass "FAT12: every file identical"; else fail "FAT12: files differ:$bad"; fi
		rm -f "$T/i.qcow2" "$T/r.img"; continue
	fi
	roundtrip "$name" "$T/fs.img" fat_check fat_read
done

ntfs_read() { case $2 in sub/*) ntfscat "$1" "/${2#sub/}";; *) ntfscat "$1" "/$2";; esac 2>/dev/null; }
ntfs_check() { ntfsfix -n "$1"; }
rm -f "$T/fs.img"; truncate -s 96M "$T/fs.img"
mkdir -p "$T/mnt"
if ! mkntfs -Q -F "$T/fs.img" >/dev/null 2>&1; then fail "NTFS: mkntfs"
elif need_root && have ntfs-3g && ntfs-3g "$T/fs.img" "$T/mnt" 2>/dev/null; then
	cp "$T/files/random.bin" "$T/mnt/"; cp "$T/files/sub/seq.txt" "$T/files/sub/bash" "$T/mnt/"
	cp "$T/big.bin" "$T/mnt/big.bin"; sync; rm "$T/mnt/big.bin"; umount "$T/mnt"
	roundtrip "NTFS" "$T/fs.img" ntfs_check ntfs_read
else
	skip "NTFS: round trip with a deleted file" "needs root for an ntfs-3g FUSE mount"
fi

# exFAT: files need a mount (exfat-fuse wants a block device: a loop device)
rm -f "$T/fs.img"; truncate -s 96M "$T/fs.img"
exfat_read() { cat "$T/mnt2/$2"; }
exfat_check() { fsck.exfat -n "$1"; }
if ! mkfs.exfat "$T/fs.img" >/dev/null 2>&1; then fail "exFAT: mkfs.exfat"
elif ! need_root || ! have mount.exfat-fuse || ! loop=$(losetup -f --show "$T/fs.img" 2>/dev/null); then
	skip "exFAT: round trip with files" "needs root, loop devices and exfat-fuse"
else
	if mount.exfat-fuse "$loop" "$T/mnt" >/dev/null 2>&1; then
		mkdir -p "$T/mnt/sub"; for f in $FILES; do cp "$T/files/$f" "$T/mnt/$f"; done
		cp "$T/big.bin" "$T/mnt/big.bin"; sync; rm "$T/mnt/big.bin"; umount "$T/mnt"
	fi
	losetup -d "$loop"
	# reading the restored files needs a mount of r.img: wrap the reader
	exfat_read() { local l; l=$(losetup -f --show "$1") || return 1; mkdir -p "$T/mnt2"; mount.exfat-fuse -o ro "$l" "$T/mnt2" >/dev/null 2>&1 && { cat "$T/mnt2/$2"; umount "$T/mnt2"; }; losetup -d "$l"; }
	roundtrip "exFAT" "$T/fs.img" exfat_check exfat_read
fi

# ---- a whole GPT disk: ext4, FAT32, NTFS and an unknown partition ----
rm -f "$T"/*.img
truncate -s 160M "$T/disk.img"
sgdisk -o -n1:2048:+48M -t1:8300 -n2:0:+40M -t2:0700 -n3:0:+40M -t3:0700 -n4:0:+8M -t4:8300 "$T/disk.img" >/dev/null
mkdir -p "$T/e"; cp "$T/files/random.bin" "$T/e/"; cp "$T/big.bin" "$T/e/"
truncate -s 48M "$T/p1.img"; mkfs.ext4 -q -F -d "$T/e" "$T/p1.img"; debugfs -w -R "rm /big.bin" "$T/p1.img" >/dev/null 2>&1
truncate -s 40M "$T/p2.img"; mkfs.vfat -F 32 "$T/p2.img" >/dev/null 2>&1; mcopy -i "$T/p2.img" "$T/files/random.bin" ::/random.bin
cp "$T/big.bin" "$T/b"; mcopy -i "$T/p2.img" "$T/b" ::/big.bin; mdel -i "$T/p2.img" ::/big.bin
truncate -s 40M "$T/p3.img"; mkntfs -Q -F "$T/p3.img" >/dev/null 2>&1; ntfscp -q "$T/p3.img" "$T/files/random.bin" random.bin >/dev/null 2>&1
head -c 4000000 /dev/urandom >"$T/p4.img"
for i in 1 2 3 4; do dd if="$T/p$i.img" of="$T/disk.img" bs=512 seek=$(sgdisk -i $i "$T/disk.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p') conv=notrunc status=none; done
"$LIFEBOAT" backup "$T/disk.img" "$T/d.qcow2" --force >"$T/log" 2>&1 || fail "whole disk: backup" "$(tail -1 "$T/log")"
info=$("$LIFEBOAT" info "$T/d.qcow2" 2>&1)
n=$(grep -c "mode used-blocks" <<<"$info"); r=$(grep -A1 "partition 4 " <<<"$info" | grep -c "mode raw")
if [ "$n" = 3 ] && [ "$r" = 1 ]; then pass "whole disk: info shows partitions 1-3 used-blocks, 4 raw, with reasons"
else fail "whole disk: info modes" "$(grep -A6 'imaged as' <<<"$info" | tr '\n' '|')"; fi
"$LIFEBOAT" restore "$T/d.qcow2" "$T/r.img" --yes >"$T/log" 2>&1 || fail "whole disk: restore" "$(tail -1 "$T/log")"
for i in 1 2 3 4; do
	s=$(sgdisk -i $i "$T/r.img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p'); c=$(sgdisk -i $i "$T/r.img" | sed -n 's/^Partition size: \([0-9]*\).*/\1/p')
	dd if="$T/r.img" of="$T/q$i.img" bs=512 skip="$s" count="$c" status=none
done
bad=
e2fsck -fn "$T/q1.img" >/dev/null 2>&1 || bad="$bad e2fsck"
fsck.vfat -n "$T/q2.img" >/dev/null 2>&1 || bad="$bad fsck.vfat"
ntfsfix -n "$T/q3.img" >/dev/null 2>&1 || bad="$bad ntfsfix"
cmp -s -n 4000000 "$T/p4.img" "$T/q4.img" || bad="$bad raw-partition-bytes"
debugfs -R "dump /random.bin /dev/stdout" "$T/q1.img" 2>/dev/null | cmp -s - "$T/files/random.bin" || bad="$bad ext-file"
mcopy -n -i "$T/q2.img" ::/random.bin /dev/stdout 2>/dev/null | cmp -s - "$T/files/random.bin" || bad="$bad fat-file"
ntfscat "$T/q3.img" /random.bin 2>/dev/null | cmp -s - "$T/files/random.bin" || bad="$bad ntfs-file"
sgdisk -v "$T/r.img" | grep -q "No problems found" || bad="$bad sgdisk"
if [ -z "$bad" ]; then pass "whole disk: each filesystem's checker clean, files identical, raw partition byte-identical, sgdisk -v clean"
else fail "whole disk: after restore" "$bad"; fi
a=$(stat -c %s "$T/d.qcow2"); qemu-img convert -c -O qcow2 "$T/disk.img" "$T/ref.qcow2"; b=$(stat -c %s "$T/ref.qcow2")
if [ "$a" -lt $((b - 30000000)) ]; then pass "whole disk: image $a bytes, all-non-zero copy $b bytes (deleted files not stored)"
else fail "whole disk: image size" "$a vs $b"; fi

# ---- verify --against the source of a used-block image ----
rm -f "$T"/*.img "$T"/*.qcow2
truncate -s 64M "$T/v.img"; cp "$T/big.bin" "$T/files/big.bin"; mkfs.ext4 -q -F -d "$T/files" "$T/v.img"; rm -f "$T/files/big.bin"
debugfs -w -R "rm /big.bin" "$T/v.img" >/dev/null 2>&1
"$LIFEBOAT" backup "$T/v.img" "$T/v.qcow2" --force >/dev/null 2>&1
check "verify --against the source: free space (deleted data) not counted as a difference" "$LIFEBOAT" verify "$T/v.qcow2" --against "$T/v.img"
bs=$(dumpe2fs -h "$T/v.img" 2>/dev/null | sed -n 's/^Block size: *//p')
off=$(( $(debugfs -R "bmap /random.bin 10" "$T/v.img" 2>/dev/null) * bs + 7 ))
printf 'X' | dd of="$T/v.img" bs=1 seek=$off conv=notrunc status=none
"$LIFEBOAT" verify "$T/v.qcow2" --against "$T/v.img" >"$T/log" 2>&1; rc=$?
[ $rc = 7 ] && grep -q "at byte $off" "$T/log" && pass "verify --against: a changed byte in a file is still found (exit 7, byte $off)" || fail "verify --against changed file" "rc=$rc $(tail -1 "$T/log")"

# ---- one partition backed up by used blocks, restored into a partition ----
rm -f "$T"/*.img "$T"/*.qcow2
truncate -s 64M "$T/d.img"; sgdisk -o -n1:2048:+40M "$T/d.img" >/dev/null
truncate -s 40M "$T/p.img"; mkfs.ext4 -q -F -d "$T/files" "$T/p.img"
dd if="$T/p.img" of="$T/d.img" bs=512 seek=2048 conv=notrunc status=none
"$LIFEBOAT" backup "$T/d.img" "$T/p.qcow2" --partition 1 --force >/dev/null 2>&1
"$LIFEBOAT" info "$T/p.qcow2" | grep -A1 "(ext4)" | grep -q "mode used-blocks" && pass "partition backup: info says ext4, used-blocks" || fail "partition backup: mode"
truncate -s 64M "$T/d2.img"; sgdisk -o -n1:2048:+40M "$T/d2.img" >/dev/null
"$LIFEBOAT" restore "$T/p.qcow2" "$T/d2.img" --partition 1 --yes >/dev/null 2>&1
dd if="$T/d2.img" of="$T/q.img" bs=512 skip=2048 count=81920 status=none
bad=; e2fsck -fn "$T/q.img" >/dev/null 2>&1 || bad=e2fsck
for f in $FILES; do ext_read "$T/q.img" "$f" | cmp -s - "$T/files/$f" || bad="$bad $f"; done
[ -z "$bad" ] && pass "partition restore into partition 1: e2fsck -fn clean, files identical" || fail "partition restore" "$bad"
