#!/usr/bin/env bash
# Cases C025/C026 (../shared/cases/cases.md): NTFS, FAT and exFAT record
# the sector size they were made for (NTFS/FAT BPB byte 0x0B, exFAT
# BytesPerSectorShift).  Restore and clone onto a disk with other logical
# sectors (losetup -b 4096) are refused before any write, naming the
# filesystem and both sizes; a volume made for the target's size goes
# through.  exFAT's boot checksum is computed over 11 sectors of the
# volume's own sector size.
. "$(dirname "$0")/../lib.sh"
export ASAN_OPTIONS=detect_leaks=0
L=$LIFEBOAT
cd "$T" || exit 1

# exFAT boot checksum of FILE over 11 sectors of BPS bytes (exFAT spec 3.4)
exsum() { python3 - "$1" "$2" <<'EOF'
import sys, struct
f = open(sys.argv[1], 'rb'); bps = int(sys.argv[2]); b = f.read(12 * bps); s = 0
for i in range(11 * bps):
    if i in (106, 107, 112): continue
    s = ((0x80000000 if s & 1 else 0) + (s >> 1) + b[i]) & 0xffffffff
print("%08x %08x" % (s, struct.unpack('<I', b[11 * bps:11 * bps + 4])[0]))
EOF
}

# x4k.img: exFAT with 4096-byte sectors — `mkfs.exfat --sector-size 4096`
# where exfatprogs has it (1.2.1+), else made on a 4096-byte loop device
# (mkfs.exfat takes the device's sector size; Debian 12 ships 1.2.0)
truncate -s 64M x4k.img
if ! mkfs.exfat --sector-size 4096 x4k.img >/dev/null 2>&1; then
	if need_root && lo=$(losetup -b 4096 -f --show x4k.img 2>/dev/null); then
		mkfs.exfat "$lo" >/dev/null 2>&1; losetup -d "$lo"
	else
		skip "C025/C026" "this mkfs.exfat has no --sector-size and losetup -b 4096 needs root"
		exit 0
	fi
fi
[ "$(od -A n -t u1 -j 108 -N 1 x4k.img | tr -d ' ')" = 12 ] || fail "C026 setup" "x4k.img has no BytesPerSectorShift 12"
read -r sum stored <<<"$(exsum x4k.img 4096)"
out=$("$L" probe x4k.img)
if [ "$sum" = "$stored" ] && grep -q "exfat.*used-blocks" <<<"$out"; then
	pass "C026: mkfs.exfat --sector-size 4096: checksum over 11 sectors of 4096 bytes ($sum) matches sector 11; probe validates it the same way (used-blocks)"
else fail "C026 checksum 4096" "$sum/$stored $out"; fi
# a 4Kn volume whose checksum was computed over 512-byte sectors (the old
# mkfs bug): not trusted, imaged raw, and the probe says why
cp x4k.img bad.img
read -r s512 _ <<<"$(exsum bad.img 512)"
python3 -c "
import struct; f=open('bad.img','r+b'); f.seek(11*4096); f.write(struct.pack('<I',0x$s512)*1024)"
out=$("$L" probe bad.img)
grep -q "raw.*boot checksum over 11 sectors of 4096 bytes is $sum but sector 11 holds $s512" <<<"$out" &&
	pass "C026: a checksum computed over 512-byte sectors on a 4096-byte volume is found and the volume imaged raw" || fail "C026 bad checksum" "$out"

if ! need_root || ! have losetup; then
	skip "C025/C026 restore and clone onto 4096-byte sectors" "needs root for losetup -b 4096"
	exit 0
fi
lo4() { losetup -b 4096 -f --show "$@"; }

# ---- C025: NTFS made for 512-byte sectors ----
truncate -s 64M n512.img; mkntfs -Q -F -s 512 n512.img >/dev/null 2>&1
"$L" backup n512.img n.qcow2 --force >/dev/null 2>&1
truncate -s 64M t4.img; before=$(sha256sum <t4.img); lo=$(lo4 t4.img)
"$L" restore n.qcow2 "$lo" --yes >log 2>&1; rc=$?
"$L" clone n512.img "$lo" --yes >log2 2>&1; rc2=$?
losetup -d "$lo"
if [ $rc = 3 ] && grep -q "refusing to write $lo, nothing was written: the source holds NTFS made for 512-byte sectors (BPB BytesPerSector at byte 0x0B), but the target has 4096-byte logical sectors" log &&
   [ $rc2 = 3 ] && grep -q "NTFS made for 512-byte sectors" log2 && [ "$before" = "$(sha256sum <t4.img)" ]; then
	pass "C025: NTFS (512) restore and clone onto a 4096-byte-sector disk refused (exit 3) naming NTFS and both sizes; target unchanged"
else fail "C025 whole" "rc=$rc rc2=$rc2 $(tail -1 log) / $(tail -1 log2)"; fi

# into partition 1 of a 4Kn GPT disk (restore --partition N; clone onto a
# loop device over the partition's bytes, as a partition node would be)
lo=$(lo4 t4.img); printf 'label: gpt\nstart=256,size=12288\n' | sfdisk -q "$lo" >/dev/null 2>&1; losetup -d "$lo"
before=$(sha256sum <t4.img); lo=$(lo4 t4.img)
"$L" restore n.qcow2 "$lo" --yes --partition 1 >log 2>&1; rc=$?
losetup -d "$lo"
lo=$(lo4 -o $((256*4096)) --sizelimit $((12288*4096)) t4.img)
"$L" clone n512.img "$lo" --yes >log2 2>&1; rc2=$?
losetup -d "$lo"
if [ $rc = 3 ] && grep -q "NTFS made for 512-byte sectors.*4096-byte logical sectors" log && [ $rc2 = 3 ] &&
   grep -q "NTFS made for 512-byte sectors" log2 && [ "$before" = "$(sha256sum <t4.img)" ]; then
	pass "C025: NTFS (512) into partition 1 of a 4Kn disk (restore --partition 1, clone onto the partition's range) refused; target unchanged"
else fail "C025 partition" "rc=$rc rc2=$rc2 $(tail -1 log) / $(tail -1 log2)"; fi

# FAT: a 512-byte GPT disk with FAT32 in partition 1, restored whole
# (the table check speaks first) and as a partition image
truncate -s 64M f.img; sgdisk -o -n1:2048:+40M -t1:0700 f.img >/dev/null
mkfs.vfat -F 32 -S 512 --offset=2048 f.img $((40*1024)) >/dev/null 2>&1
"$L" backup f.img f.qcow2 --force >/dev/null 2>&1
"$L" backup f.img fp.qcow2 --partition 1 --force >/dev/null 2>&1
before=$(sha256sum <t4.img); lo=$(lo4 t4.img)
"$L" restore f.qcow2 "$lo" --yes >log 2>&1; rc=$?
"$L" restore fp.qcow2 "$lo" --yes --partition 1 >log2 2>&1; rc2=$?
losetup -d "$lo"
if [ $rc = 3 ] && grep -q "partition table uses 512-byte sectors but the target has 4096-byte" log &&
   [ $rc2 = 3 ] && grep -q "the source holds FAT made for 512-byte sectors (BPB BytesPerSector at byte 0x0B)" log2 && [ "$before" = "$(sha256sum <t4.img)" ]; then
	pass "C025: FAT32 (512) disk and partition images onto a 4Kn disk refused (table, then BPB), target unchanged"
else fail "C025 FAT" "rc=$rc rc2=$rc2 $(tail -1 log) / $(tail -1 log2)"; fi

# ---- C026: exFAT shift 9 onto 4096 refused; shift 12 goes through ----
truncate -s 64M x.img; mkfs.exfat x.img >/dev/null 2>&1
"$L" backup x.img x.qcow2 --force >/dev/null 2>&1
"$L" backup x4k.img x4k.qcow2 --force >/dev/null 2>&1
truncate -s 64M e4.img; before=$(sha256sum <e4.img); lo=$(lo4 e4.img)
"$L" restore x.qcow2 "$lo" --yes >log 2>&1; rc=$?
same=$([ "$before" = "$(sha256sum <e4.img)" ] && echo y)
"$L" restore x4k.qcow2 "$lo" --yes >log2 2>&1; rc2=$?
fsck=$(fsck.exfat -n "$lo" 2>&1); frc=$?
losetup -d "$lo"
if [ $rc = 3 ] && grep -q "exFAT made for 512-byte sectors (BytesPerSectorShift at byte 108), but the target has 4096-byte" log && [ "$same" = y ]; then
	pass "C026: exFAT with 512-byte sectors onto a 4Kn disk refused before writing"
else fail "C026 refuse" "rc=$rc $(tail -1 log)"; fi
if [ $rc2 = 0 ] && [ $frc = 0 ] && cmp -s x4k.img e4.img; then
	pass "C026: exFAT made for 4096-byte sectors restored onto the 4Kn disk: fsck.exfat -n clean, bytes identical"
else fail "C026 4k restore" "rc=$rc2 $(tail -1 log2) fsck=$frc $fsck"; fi

# control: NTFS (512) cloned onto a 512-byte loop device is not refused
truncate -s 64M t5.img; lo=$(losetup -f --show t5.img)
"$L" clone n512.img "$lo" --yes >log 2>&1; rc=$?
nf=$(ntfsfix -n "$lo" 2>&1); nrc=$?
losetup -d "$lo"
[ $rc = 0 ] && [ $nrc = 0 ] && pass "control: NTFS (512) cloned onto a 512-byte-sector disk: not refused, ntfsfix -n clean" || fail "control 512" "rc=$rc $(tail -1 log) / $nf"
