#!/bin/sh
# iso/mkiso.sh — makes the hybrid Lifeboat image with xorriso.
#
#   iso/mkiso.sh OUT.iso INITRD VERSION
#
# One image boots every way, as Debian's install media do:
#  - BIOS from CD: isolinux (El Torito, no emulation);
#  - BIOS from USB: the isohybrid MBR (isohdpfx.bin) chains to isolinux;
#  - UEFI from CD and USB: El Torito EFI image /boot/grub/efi.img (a FAT
#    image) that the GPT also lists as an EFI system partition
#    (-isohybrid-gpt-basdat).  It holds EFI/BOOT/BOOTX64.EFI = Debian's
#    signed shim, EFI/BOOT/grubx64.efi = Debian's signed GRUB, and
#    EFI/debian/grub.cfg (boot/grub-efi.cfg), so Secure Boot stays on.
#    The ISO's filesystem holds the same /EFI/debian/grub.cfg: booted from
#    a CD, GRUB looks for it there.
# The ISO's filesystem is labelled LIFEBOAT and holds /.disk/lifeboat, by
# which the live system recognises its own medium.
set -eu
out=${1:?usage: mkiso.sh OUT.iso INITRD VERSION}
initrd=${2:?}; version=${3:?}
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}; case $B in /*) ;; *) B=$top/$B;; esac
debs=$B/deps/debs
tree=$B/iso/tree
rm -rf "$tree"; mkdir -p "$tree/boot/grub" "$tree/isolinux" "$tree/.disk"

cp "$debs"/linux-image/boot/vmlinuz-* "$tree/boot/vmlinuz"
cp "$initrd" "$tree/boot/initrd.gz"
id=$(cat "$tree/boot/vmlinuz" "$tree/boot/initrd.gz" | sha256sum | cut -c1-16)
echo "Lifeboat $version" >"$tree/.disk/info"
echo "Lifeboat $version $id" >"$tree/.disk/lifeboat"
: >"$tree/.disk/lifeboat-$id"

# BIOS: isolinux and the menu modules it loads.
cp "$debs/isolinux/usr/lib/ISOLINUX/isolinux.bin" "$tree/isolinux/"
for m in ldlinux.c32 menu.c32 libutil.c32 libcom32.c32; do
	cp "$debs/syslinux-common/usr/lib/syslinux/modules/bios/$m" "$tree/isolinux/"
done
sed "s/@VERSION@/$version/" "$top/boot/isolinux.cfg" >"$tree/isolinux/isolinux.cfg"

# UEFI: shim, GRUB and the config that finds this ISO, in a FAT image.
cp "$top/boot/grub.cfg" "$tree/boot/grub/grub.cfg"
shim=$debs/shim-signed/usr/lib/shim/shimx64.efi.signed
grub=$debs/grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
sed "s/@ID@/$id/" "$top/boot/grub-efi.cfg" >"$B/iso/grub-efi.cfg"
kb=$(( ( $(stat -c %s "$shim") + $(stat -c %s "$grub") ) / 1024 + 512 ))
img=$tree/boot/grub/efi.img
rm -f "$img"
mkfs.vfat -C -n LIFEBOATEFI "$img" "$kb" >/dev/null
mmd -i "$img" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$img" "$shim" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$img" "$grub" ::/EFI/BOOT/grubx64.efi
mcopy -i "$img" "$B/iso/grub-efi.cfg" ::/EFI/debian/grub.cfg
mcopy -i "$img" "$B/iso/grub-efi.cfg" ::/EFI/BOOT/grub.cfg
# From a CD, GRUB's device is the ISO filesystem itself, not the EFI image.
mkdir -p "$tree/EFI/debian"
cp "$B/iso/grub-efi.cfg" "$tree/EFI/debian/grub.cfg"

xorriso -as mkisofs -r -J -joliet-long -V LIFEBOAT -o "$out.tmp" \
	-isohybrid-mbr "$debs/isolinux/usr/lib/ISOLINUX/isohdpfx.bin" \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table \
	-eltorito-alt-boot -e boot/grub/efi.img -no-emul-boot \
	-isohybrid-gpt-basdat \
	"$tree" 2>"$B/iso/xorriso.log" || { cat "$B/iso/xorriso.log" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "mkiso: $out $(stat -c %s "$out") bytes (id $id)"
