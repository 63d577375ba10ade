#!/usr/bin/env bash
# tests/rescue/t_files_meta.sh — the list of damaged files names lost
# filesystem METADATA (issue 6, trial finding F4): bad sectors in the ext4
# inode table (all of it from inode 1, or one block of file inodes whose
# paths the readable folders still give), the ext4 primary superblock
# (the list is made from the backup superblock), the FAT16 first FAT and
# root folder, NTFS MFT records (the files named through their folder's
# $I30 index).  Each line is asserted exactly.  No root:
# mkfs.ext4 -d, mkfs.fat + mcopy, mkntfs + ntfscp on image files.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

for t in qemu-img sfdisk mkfs.ext4 debugfs dumpe2fs mkfs.fat mcopy mkntfs ntfscp; do
	have $t || { skip "metadata in the damaged files list" "$t not installed"; exit 0; }
done

# The disk: MBR; p1 ext4 (1 KiB blocks, 5 files) at 2048, p2 FAT16 at
# 51200, p3 NTFS at 83968; 24 MiB, 16 MiB, 16 MiB.
mkdir -p "$T/root"
for f in a b c d e; do head -c 300000 /dev/urandom >"$T/root/file_$f.bin"; done
mkfs.ext4 -q -F -b 1024 -I 256 -d "$T/root" "$T/ext.img" 24M >/dev/null 2>&1 ||
	{ skip "metadata in the damaged files list" "mkfs.ext4 -d failed"; exit 0; }
truncate -s 16M "$T/fat.img"
mkfs.fat -F 16 "$T/fat.img" >/dev/null 2>&1
for f in a b c; do mcopy -i "$T/fat.img" "$T/root/file_$f.bin" "::/FILE_$f.BIN"; done
truncate -s 16M "$T/ntfs.img"
mkntfs -F -Q "$T/ntfs.img" >/dev/null 2>&1
for f in a b c d e; do ntfscp -f "$T/ntfs.img" "$T/root/file_$f.bin" "file_$f.bin" >/dev/null 2>&1; done
# 35 more files: the root folder's $I30 index no longer fits in its MFT
# record, so the names of lost records come from its index blocks (INDX).
echo small >"$T/small.txt"
for i in $(seq 10 44); do ntfscp -f "$T/ntfs.img" "$T/small.txt" "more_$i.txt" >/dev/null 2>&1; done
truncate -s 120M "$T/disk.img"
printf 'label: dos\nstart=2048, size=49152, type=83\nstart=51200, size=32768, type=6\nstart=83968, size=32768, type=7\n' |
	sfdisk -q "$T/disk.img" >/dev/null
dd if="$T/ext.img" of="$T/disk.img" bs=512 seek=2048 conv=notrunc status=none
dd if="$T/fat.img" of="$T/disk.img" bs=512 seek=51200 conv=notrunc status=none
dd if="$T/ntfs.img" of="$T/disk.img" bs=512 seek=83968 conv=notrunc status=none

# Where the metadata lies.
itab=$(dumpe2fs "$T/ext.img" 2>/dev/null | sed -n 's/.*Inode table at \([0-9]*\)-.*/\1/p' | head -1)
le16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
rsv=$(le16 "$T/fat.img" 14); fatsz=$(le16 "$T/fat.img" 22)
rootsec=$((rsv + 2 * fatsz))
mftlcn=$(od -An -tu8 -j 48 -N8 "$T/ntfs.img" | tr -d ' ')
spc=$(od -An -tu1 -j 13 -N1 "$T/ntfs.img" | tr -d ' ')
mftsec=$((83968 + mftlcn * spc + 64 * 2))      # MFT record 64 (1 KiB records)

# rescue DISKMAP OUT: the "Files that touch" lines (without the indent).
rescue_list() {
	LIFEBOAT_FAULT_MAP=$1 "$LIFEBOAT" rescue "fault:$T/disk.img" "$2" 2>&1 |
		sed -n '/^Files that touch/,$p' | sed 1d | sed 's/^  //'
}
check() {      # check NAME GOT WANT
	[ "$2" = "$3" ] && pass "$1" || fail "$1" "got:
$2
want:
$3"
}

# A: ext4 inode table from inode 1 (8 blocks = inodes 1-32), FAT16 first
# FAT (its first sector) and root folder (first 4 sectors), MFT records 64-65.
badmap "$T/a.map" "$((2048 + itab * 2)):16 $((51200 + rsv)):1 $((51200 + rootsec)):4 $mftsec:4"
got=$(rescue_list "$T/a.map" "$T/a.qcow2")
want="[partition 1, ext4] inode table of group 0 (inodes 1-32): the files with these inodes are lost (8192 bytes unreadable)
[partition 1, ext4] journal (inode 8, lost with its inode table block) (256 bytes unreadable)
[partition 1, ext4] / (inode 2, lost with its inode table block) (256 bytes unreadable)
[partition 2, vfat] first FAT (the second copy is intact: fsck.fat can restore it; the list used it) (512 bytes unreadable)
[partition 2, vfat] root folder: the entries in its lost sectors are lost (2048 bytes unreadable)
[partition 3, ntfs] /\$MFT (2048 bytes unreadable)
[partition 3, ntfs] MFT records 64-65 lost: up to 2 files or folders (2048 bytes unreadable)
[partition 3, ntfs] /file_a.bin (MFT record 64, lost) (1024 bytes unreadable)
[partition 3, ntfs] /file_b.bin (MFT record 65, lost) (1024 bytes unreadable)"
check "lost ext4 inode table, FAT16 first FAT + root folder, NTFS MFT records (files named through the root's index blocks): each named" "$got" "$want"
"$LIFEBOAT" info "$T/a.qcow2" 2>&1 | grep -qF "inode table of group 0 (inodes 1-32)" &&
	pass "lifeboat info lists the lost metadata too" ||
	fail "lifeboat info lists the lost metadata too"

# B: only the inode table block of inodes 13-16 (4 per 1 KiB block): the
# root folder still reads, so the paths of those inodes are named.
badmap "$T/b.map" "$((2048 + (itab + 3) * 2)):2"
got=$(rescue_list "$T/b.map" "$T/b.qcow2")
want="[partition 1, ext4] inode table of group 0 (inodes 13-16): the files with these inodes are lost (1024 bytes unreadable)"
for f in a b c d e; do
	ino=$(debugfs -R "stat /file_$f.bin" "$T/ext.img" 2>/dev/null | sed -n 's/^Inode: \([0-9]*\).*/\1/p')
	[ "$ino" -ge 13 ] && [ "$ino" -le 16 ] &&
		want="$want
$ino [partition 1, ext4] /file_$f.bin (inode $ino, lost with its inode table block) (256 bytes unreadable)"
done
want=$(echo "$want" | sort -n | sed 's/^[0-9]* //')
check "one lost inode table block: the paths of its inodes are named" "$(echo "$got" | sort)" "$(echo "$want" | sort)"

# C: the ext4 primary superblock (bytes 1024-2047) and a sector of
# /file_c.bin: the list is made from the backup superblock.
blk=$(debugfs -R "blocks /file_c.bin" "$T/ext.img" 2>/dev/null | awk '{print $5}')
badmap "$T/c.map" "2050:2 $((2048 + blk * 2)):1"
got=$(rescue_list "$T/c.map" "$T/c.qcow2")
want="[partition 1, ext4] superblock / group descriptors: the backup at block 8193 is intact (e2fsck -b 8193 can restore them) (1024 bytes unreadable)
[partition 1, ext4] /file_c.bin (512 bytes unreadable)"
check "ext4 primary superblock lost: said so, files listed from the backup superblock" "$got" "$want"

# D: group 0's block and inode bitmaps and one journal block.
bb=$(dumpe2fs "$T/ext.img" 2>/dev/null | sed -n 's/.*Block bitmap at \([0-9]*\).*/\1/p' | head -1)
ib=$(dumpe2fs "$T/ext.img" 2>/dev/null | sed -n 's/.*Inode bitmap at \([0-9]*\).*/\1/p' | head -1)
jb=$(debugfs -R "bmap <8> 5" "$T/ext.img" 2>/dev/null)
badmap "$T/d.map" "$((2048 + bb * 2)):2 $((2048 + ib * 2)):2 $((2048 + jb * 2)):2"
got=$(rescue_list "$T/d.map" "$T/d.qcow2")
want="[partition 1, ext4] block bitmap of group 0 (e2fsck rebuilds it) (1024 bytes unreadable)
[partition 1, ext4] inode bitmap of group 0 (e2fsck rebuilds it) (1024 bytes unreadable)
[partition 1, ext4] journal (1024 bytes unreadable)"
check "ext4 block/inode bitmaps and a journal block: each named" "$got" "$want"

# E: the FAT16 boot sector: nothing is recognised there, one line says so.
badmap "$T/e.map" "51200:1"
got=$(rescue_list "$T/e.map" "$T/e.qcow2")
want="[partition 2, ?] start of the partition (superblock / boot sector): lost, no filesystem recognised, its files are not listed (512 bytes unreadable)"
check "a lost FAT boot sector: the partition's lost start is named" "$got" "$want"
