#!/usr/bin/env bash
# Filesystem cases from ../shared/cases/cases.md (FS-EXT, FS-NTFS,
# FS-OTHER): which mode each filesystem gets and why, and that a safe
# fallback really keeps every byte.  Uses the lbprobe driver for the mode
# and reason, and `lifeboat backup`/`restore` for the bytes.
. "$(dirname "$0")/../lib.sh"
P=$TOP/build/tests/pt/lbprobe
export ASAN_OPTIONS=detect_leaks=0
L=$LIFEBOAT
cd "$T" || exit 1

mode() { "$P" fs "$1" 2>&1 | grep -a -E '^(TYPE|MODE|REASON)=' | tr '\n' ' '; }
roundtrip_same() {      # NAME IMG: backup + restore give the same bytes
	"$L" backup "$2" i.qcow2 --force >log 2>&1 && "$L" restore i.qcow2 r.img --yes >>log 2>&1 \
		&& cmp -s "$2" r.img && pass "$1" || fail "$1" "$(tail -1 log)"
	rm -f i.qcow2 r.img
}

# ---- C044: ext4 needing journal recovery: raw, every byte kept ----
truncate -s 32M j.img; mkfs.ext4 -q -F j.img
debugfs -w -R 'write /usr/bin/bash bash' j.img >/dev/null 2>&1
debugfs -w -R 'feature needs_recovery' j.img >/dev/null 2>&1
m=$(mode j.img)
grep -q "MODE=raw" <<<"$m" && grep -q "journal needs recovery" <<<"$m" && pass "C044: needs_recovery checked up front: raw, with the reason" || fail "C044 mode" "$m"
roundtrip_same "C044: the unrecovered fs restores byte-identical" j.img

# ---- C045: error state: still imaged (raw), mount count only informational ----
truncate -s 32M s.img; mkfs.ext4 -q -F s.img; debugfs -w -R 'ssv state 2' s.img >/dev/null 2>&1
m=$(mode s.img)
grep -q "MODE=raw" <<<"$m" && grep -q "errors" <<<"$m" && pass "C045: error state: imaged raw with the reason, not refused" || fail "C045 errors" "$m"
roundtrip_same "C045: the fs with errors restores byte-identical" s.img
truncate -s 32M c.img; mkfs.ext4 -q -F c.img; tune2fs -C 50 -c 20 c.img >/dev/null 2>&1
m=$(mode c.img)
grep -q "MODE=used-blocks" <<<"$m" && pass "C045: mount count over the limit is informational (used-blocks)" || fail "C045 mount count" "$m"

# ---- C042: a bitmap that disagrees with the group descriptors ----
truncate -s 32M b.img; mkfs.ext4 -q -F -O ^metadata_csum -b 4096 b.img
debugfs -w -R 'write /usr/bin/bash bash' b.img >/dev/null 2>&1
bb=$(dumpe2fs b.img 2>/dev/null | sed -n 's/.*Block bitmap at \([0-9]*\).*/\1/p' | head -1)
printf '\x00\x00\x00\x00' | dd of=b.img bs=1 seek=$((bb*4096 + 4)) conv=notrunc status=none
m=$(mode b.img)
grep -q "MODE=raw" <<<"$m" && grep -q "disagrees with the group descriptors" <<<"$m" && pass "C042: bitmap used count checked against the descriptors' free counts: raw" || fail "C042" "$m"

# ---- swap: header page only ----
truncate -s 32M sw.img; mkswap -q sw.img >/dev/null 2>&1
m=$(mode sw.img)
grep -q "MODE=used-blocks" <<<"$m" && grep -q "header page only (4096 bytes)" <<<"$m" && pass "swap: only the 4096-byte header page" || fail "swap" "$m"
"$L" backup sw.img i.qcow2 --force >/dev/null 2>&1 && "$L" restore i.qcow2 r.img --yes >/dev/null 2>&1
[ "$(blkid -o value -s UUID sw.img)" = "$(blkid -o value -s UUID r.img)" ] && pass "swap: restored swap has the same UUID" || fail "swap restore"
rm -f i.qcow2 r.img

# ---- C038: hibernated NTFS raw, "wake" clean, dirty raw ----
ntfs_with_hiberfil() {  # IMG MAGIC
	truncate -s 48M "$1"; mkntfs -Q -F "$1" >/dev/null 2>&1 || return 1
	{ printf '%s' "$2"; head -c 8188 /dev/zero; } >hib.bin
	ntfscp -q "$1" hib.bin hiberfil.sys >/dev/null 2>&1
}
if ntfs_with_hiberfil h.img HIBR; then
	m=$(mode h.img)
	grep -q "MODE=raw" <<<"$m" && grep -q "hibernated" <<<"$m" && pass "C038: hiberfil.sys starting HIBR: raw, says Windows is hibernated" || fail "C038 hibr" "$m"
	roundtrip_same "C038: the hibernated volume restores byte-identical" h.img
	ntfs_with_hiberfil w.img wake
	m=$(mode w.img)
	grep -q "MODE=used-blocks" <<<"$m" && pass "C038: hiberfil.sys starting 'wake' is not flagged" || fail "C038 wake" "$m"
	# $Volume (MFT record 3) VOLUME_INFORMATION flags |= VOLUME_IS_DIRTY
	python3 - w.img <<'PY'
import struct, sys
f = open(sys.argv[1], 'r+b'); b = f.read(512)
bps = struct.unpack('<H', b[11:13])[0]; spc = b[13]; cs = bps * spc
mft = struct.unpack('<Q', b[48:56])[0]; cpr = struct.unpack('<b', b[64:65])[0]
rs = cpr * cs if cpr > 0 else 1 << -cpr
off = mft * cs + 3 * rs; f.seek(off); rec = bytearray(f.read(rs))
uo, uc = struct.unpack('<HH', rec[4:8]); fixed = bytearray(rec)
for i in range(1, uc): fixed[i*512-2:i*512] = rec[uo+2*i:uo+2*i+2]
a = struct.unpack('<H', fixed[20:22])[0]
while True:
    t, l = struct.unpack('<II', fixed[a:a+8])
    if t == 0x70: break
    a += l
v = a + struct.unpack('<H', fixed[a+20:a+22])[0] + 10
assert v % 512 < 510
f.seek(off + v); f.write(struct.pack('<H', struct.unpack('<H', fixed[v:v+2])[0] | 1))
PY
	m=$(mode w.img)
	grep -q "MODE=raw" <<<"$m" && grep -q "marked dirty" <<<"$m" && pass "C038: \$Volume dirty flag: raw, says so" || fail "C038 dirty" "$m"
else
	fail "C038: mkntfs/ntfscp"
fi

# ---- C039: BitLocker in a GPT partition of type 0700; LUKS ----
IMG=$SHARED/images/blkid/fs
if [ -f "$IMG/bitlocker-win7.img.xz" ]; then
	xz -dc "$IMG/bitlocker-win7.img.xz" >bl.raw
	n=$(( ($(stat -c %s bl.raw) + 511) / 512 ))
	truncate -s $(( (n + 2048 + 2048) * 512 )) bl.img
	sgdisk -o -n1:2048:+$n -t1:0700 bl.img >/dev/null
	dd if=bl.raw of=bl.img bs=512 seek=2048 conv=notrunc status=none
	out=$("$P" plan bl.img)
	grep -q "part 1 .*type=BitLocker mode=raw .*encrypted (BitLocker)" <<<"$out" && pass "C039: BitLocker partition: raw, 'encrypted', no NTFS checks" || fail "C039" "$out"
	xz -dc "$IMG/luks2.img.xz" >lk.img
	m=$(mode lk.img)
	grep -q "MODE=raw" <<<"$m" && grep -q "encrypted (LUKS)" <<<"$m" && pass "LUKS: raw, 'encrypted (LUKS)'" || fail "LUKS" "$m"
	xz -dc "$IMG/xfs.img.xz" >x.img
	m=$(mode x.img)
	grep -q "MODE=raw" <<<"$m" && grep -q "xfs: no used-block reader" <<<"$m" && pass "unknown to us (xfs): raw, says there is no reader" || fail "xfs" "$m"
else
	skip "C039/LUKS/xfs" "$IMG not present"
fi

# ---- C050: crafted FAT boot sectors: a reason, never a crash ----
for patch in "13:\x00:sectors per cluster 0" "22:\xff\xff:FAT size larger than the volume" "11:\x00\x03:768-byte sectors"; do
	IFS=: read -r at bytes what <<<"$patch"
	truncate -s 16M cf.img; mkfs.vfat -F 16 cf.img >/dev/null
	printf "$bytes" | dd of=cf.img bs=1 seek=$at conv=notrunc status=none
	m=$(mode cf.img); rc=$?
	if grep -q "MODE=raw" <<<"$m" || ! grep -q "TYPE=vfat" <<<"$m"; then pass "C050: FAT boot sector with $what: raw or not FAT, no crash"
	else fail "C050 $what" "$m"; fi
done

# a 65535-entry root directory is odd but consistent: stored whole, no crash
truncate -s 16M cf.img; mkfs.vfat -F 16 cf.img >/dev/null
printf '\xff\xff' | dd of=cf.img bs=1 seek=17 conv=notrunc status=none
"$P" fs cf.img >out 2>&1 && grep -q "^MODE=" out && pass "C050: 65535 root entries: a mode and a reason, no crash" || fail "C050 root entries" "$(cat out)"

# ---- 4096-byte sectors: FAT and NTFS made for 4Kn, used-block round trip ----
truncate -s 64M f4.img; mkfs.vfat -F 32 -S 4096 f4.img >/dev/null 2>&1
m=$(mode f4.img)
"$L" backup f4.img i.qcow2 --force >/dev/null 2>&1 && "$L" restore i.qcow2 r.img --yes >/dev/null 2>&1
grep -q "MODE=used-blocks" <<<"$m" && fsck.vfat -n r.img >/dev/null 2>&1 && pass "4Kn FAT32 (-S 4096): used-blocks, fsck.vfat clean after round trip" || fail "4Kn FAT32" "$m"
rm -f i.qcow2 r.img
truncate -s 64M n4.img; mkntfs -Q -F -s 4096 n4.img >/dev/null 2>&1; ntfscp -q n4.img /usr/bin/bash bash >/dev/null 2>&1
m=$(mode n4.img)
"$L" backup n4.img i.qcow2 --force >/dev/null 2>&1 && "$L" restore i.qcow2 r.img --yes >/dev/null 2>&1
if grep -q "MODE=used-blocks" <<<"$m" && ntfsfix -n r.img >/dev/null 2>&1 && ntfscat r.img /bash 2>/dev/null | cmp -s - /usr/bin/bash; then pass "4Kn NTFS (-s 4096): used-blocks, ntfsfix -n clean, file identical"
else fail "4Kn NTFS" "$m"; fi
