#!/bin/sh
# iso/mkinitramfs.sh — assembles the live system's initramfs.
#
#   iso/mkinitramfs.sh OUT.gz LIFEBOAT_BINARY
#
# The tree is rootfs/ (init scripts), BusyBox (static, musl; one symlink per
# applet), the static lifeboat, e2fsprogs' static e2fsck and resize2fs and
# ntfs-3g's ntfsresize in /usr/sbin, and the kernel modules listed in
# rootfs/modules.txt with their dependency closure, decompressed (Debian
# signs each module before compressing it, so the signature survives and
# Secure Boot's lockdown still loads them) and indexed with depmod.  The
# archive is a gzip'd newc cpio with fixed owners and times, so the same
# inputs give the same bytes.
set -eu
out=${1:?usage: mkinitramfs.sh OUT.gz LIFEBOAT_BINARY}
lb=${2:?usage: mkinitramfs.sh OUT.gz LIFEBOAT_BINARY}
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}; case $B in /*) ;; *) B=$top/$B;; esac
lb=$(readlink -f "$lb"); mkdir -p "$(dirname "$out")"; out=$(readlink -f "$out")
kroot=$B/deps/debs/linux-image
kver=$(ls "$kroot/usr/lib/modules")
root=$B/iso/rootfs
rm -rf "$root"; mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys run tmp mnt root lib/modules
cp -a "$top/rootfs/etc/." etc/
cp -a "$top/rootfs/sbin/." sbin/
cp "$B/deps/busybox/busybox" bin/busybox
for a in $(bin/busybox --list-full); do
	[ -e "$a" ] || ln -s /bin/busybox "$a"
done
ln -s bin/busybox init
cp "$lb" bin/lifeboat; strip bin/lifeboat 2>/dev/null || true
# e2fsprogs' e2fsck and resize2fs and ntfs-3g's ntfsresize (static,
# deps/build.sh): restore/clone --grow-last grows an ext2/3/4 or NTFS
# filesystem with them (imager/fs_grow.c finds them on PATH or in
# /usr/sbin).
for p in e2fsck resize2fs ntfsresize; do
	rm -f "usr/sbin/$p"; cp "$B/deps/musl/sbin/$p" "usr/sbin/$p"
done

# Modules: closure from the kernel package's own metadata.
[ -e "$kroot/lib" ] || ln -s usr/lib "$kroot/lib"
[ -e "$kroot/lib/modules/$kver/modules.dep" ] || depmod -b "$kroot" "$kver"
mods=$(sed 's/#.*//' "$top/rootfs/modules.txt")
for m in $mods; do
	opt=; case $m in '?'*) opt=1; m=${m#?};; esac
	if ! modprobe -d "$kroot" -S "$kver" --show-depends "$m" >deps.tmp 2>&1; then
		[ -n "$opt" ] && continue
		echo "mkinitramfs: module $m not in kernel $kver: $(cat deps.tmp)" >&2; exit 1
	fi
	awk '$1 == "insmod" {print $2}' deps.tmp >>files.tmp
done
rm -f deps.tmp
moddir=lib/modules/$kver
sort -u files.tmp | while read -r f; do
	rel=${f#*/lib/modules/$kver/}
	mkdir -p "$moddir/$(dirname "$rel")"
	case $f in
		*.xz) xz -dc "$f" >"$moddir/${rel%.xz}";;
		*.zst) zstd -qdc "$f" >"$moddir/${rel%.zst}";;
		*) cp "$f" "$moddir/$rel";;
	esac
done
rm -f files.tmp
cp "$kroot/$moddir/modules.order" "$kroot/$moddir/modules.builtin" "$kroot/$moddir/modules.builtin.modinfo" "$moddir/" 2>/dev/null || true
depmod -b "$root" "$kver"
echo "mkinitramfs: $(find "$moddir" -name '*.ko' | wc -l) modules for $kver"

find . -exec touch -h -d @0 {} +
find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 -n >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out $(stat -c %s "$out") bytes"
