#!/bin/sh
# iso/demo-disks.sh DIR — makes the two disks `make run` attaches:
#   DIR/source.img  256 MiB, GPT: an EFI system partition (FAT32, 64 MiB)
#                   and a Linux ext4 partition, both holding real files
#   DIR/target.img  256 MiB, blank (the place to restore or clone to)
# Built without root or loop devices: each filesystem is made in its own
# file (mkfs.vfat + mcopy, mke2fs -d) and copied into place with dd.
set -eu
dir=${1:?usage: demo-disks.sh DIR}
mkdir -p "$dir"; cd "$dir"
rm -f source.img target.img esp.img root.img
truncate -s 256M source.img
sgdisk -n 1:2048:+64M -t 1:ef00 -c 1:"EFI system" \
       -n 2:0:0 -t 2:8300 -c 2:"demo data" source.img >/dev/null 2>&1
p1=$(sgdisk -i 1 source.img | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
p2=$(sgdisk -i 2 source.img | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
e2=$(sgdisk -i 2 source.img | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')

# The EFI partition: FAT32 with a boot loader-like tree.
truncate -s 64M esp.img
mkfs.vfat -F 32 -n DEMO-ESP esp.img >/dev/null
mmd -i esp.img ::/EFI ::/EFI/demo
printf 'This is a demo EFI system partition made by Lifeboat (make run).\n' >readme.txt
mcopy -i esp.img readme.txt ::/EFI/demo/README.TXT
mcopy -i esp.img /usr/share/common-licenses/GPL-3 ::/EFI/demo/LICENSE.TXT

# The data partition: ext4 filled from a small tree of real files.
rm -rf tree; mkdir -p tree/docs tree/data
cp -r /usr/share/common-licenses tree/docs/
cp /etc/os-release tree/docs/
head -c 8M /dev/urandom >tree/data/random.bin     # incompressible
seq 1 400000 >tree/data/numbers.txt                # compressible
mke2fs -q -F -t ext4 -L demo-data -d tree root.img $(( (e2 - p2 + 1) / 2 ))k 2>/dev/null
dd if=esp.img of=source.img bs=512 seek="$p1" conv=notrunc status=none
dd if=root.img of=source.img bs=512 seek="$p2" conv=notrunc status=none
rm -rf tree esp.img root.img readme.txt
truncate -s 256M target.img
echo "demo disks: $dir/source.img (GPT: FAT32 ESP + ext4), $dir/target.img (blank)"
