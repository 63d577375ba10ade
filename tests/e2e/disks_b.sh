# tests/e2e/disks_b.sh — disk builders for the clone, safety, list and CLI
# tests (sourced after tests/lib.sh; not a test itself).

# make_gpt_disk FILE SIZE_MIB: a GPT disk with an EFI FAT32 partition
# (1 MiB..41 MiB, 512-byte clusters so that FAT32 is legal at that size)
# holding a few files and an ext4 partition (to the end) holding real files
# (this source tree).  Needs sgdisk, mkfs.vfat, mtools, mkfs.ext4 with -d.
# Partition 2 starts at sector 83968 (byte 42991616).
P2_SECTOR=83968
make_gpt_disk() {
	local f=$1 mib=$2 p2=$P2_SECTOR
	rm -f "$f"; truncate -s "${mib}M" "$f"
	sgdisk -n1:2048:+40M -t1:ef00 -c1:EFI -n2:$p2:0 -t2:8300 -c2:root "$f" >/dev/null || return 1
	local fat=$T/.fat.$$ ext=$T/.ext.$$
	rm -f "$fat" "$ext"
	mkfs.vfat -F 32 -s 1 -n EFI -C "$fat" $((40 * 1024)) >/dev/null 2>&1 || return 1
	mmd -i "$fat" ::/EFI ::/EFI/BOOT && mcopy -i "$fat" "$TOP/Makefile" ::/EFI/BOOT/README.TXT || return 1
	local end; end=$(sgdisk -i2 "$f" | awk '/Last sector/{print $3}')
	mkfs.ext4 -q -F -L root -d "$TOP/imager" "$ext" $(( (end - p2 + 1) / 2 ))k >/dev/null || return 1
	dd if="$fat" of="$f" bs=512 seek=2048 conv=notrunc status=none &&
	dd if="$ext" of="$f" bs=512 seek=$p2 conv=notrunc status=none || return 1
	rm -f "$fat" "$ext"
}

# attach FILE: binds a loop device to FILE, sets LOOP to its path and
# detaches it at exit; fails when losetup does not work here.  Call it
# directly, never inside $(...): the cleanup hook must be registered in
# the test's own shell, or the device leaks.
attach() {
	LOOP=$(losetup -f --show "$1" 2>/dev/null) || { LOOP=; return 1; }
	on_exit "losetup -d $LOOP"
}

# have_loop: root and a working losetup.
have_loop() {
	need_root || return 1
	local f=$T/.probe.$$ dev
	truncate -s 1M "$f"
	dev=$(losetup -f --show "$f" 2>/dev/null) || { rm -f "$f"; return 1; }
	losetup -d "$dev"; rm -f "$f"
}

# sha FILE_OR_DEV
sha() { sha256sum "$1" | cut -d' ' -f1; }
