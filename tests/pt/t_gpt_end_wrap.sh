#!/usr/bin/env bash
# t_gpt_end_wrap.sh — a GPT entry whose EndingLBA is 2^64-1 (trial 2, F8).
# start + size wrapped to a small number, so the "beyond the device end"
# check passed and probe/backup later failed with a bare "Value too large
# for defined data type".  Now the table is untrusted with the usual note,
# the disk is imaged raw and restores byte for byte.
. "$(dirname "$0")/../lib.sh"

have sgdisk || { skip "GPT entry ending at LBA 2^64-1" "needs sgdisk"; exit 0; }
cd "$T" || exit 1
truncate -s 64M g.img
sgdisk -o -n1:2048:+16M -n2:100000:+8M g.img >/dev/null
head -c 300000 /dev/urandom | dd of=g.img bs=512 seek=2048 conv=notrunc status=none
# Entry 2's EndingLBA := 2^64-1 in both arrays, with both CRCs fixed.
python3 - <<'PY'
import struct, zlib
f = open('g.img', 'r+b')
def fix(hdr_lba):
    f.seek(hdr_lba * 512); h = bytearray(f.read(92))
    arr, n, esz = struct.unpack_from('<QII', h, 72)
    f.seek(arr * 512 + esz + 40); f.write(struct.pack('<Q', 2**64 - 1))
    f.seek(arr * 512); a = f.read(n * esz)
    struct.pack_into('<I', h, 88, zlib.crc32(a)); struct.pack_into('<I', h, 16, 0)
    struct.pack_into('<I', h, 16, zlib.crc32(bytes(h)))
    f.seek(hdr_lba * 512); f.write(h)
fix(1)
f.seek(512); alt = struct.unpack_from('<Q', f.read(92), 32)[0]
fix(alt)
PY
out=$("$LIFEBOAT" probe g.img 2>&1); rc=$?
if [ $rc = 0 ] && grep -q "partition 2 (LBA [0-9]*-18446744073709551615) extends beyond the device end (LBA 131071)" <<<"$out" &&
   grep -q "untrusted (imaged raw)" <<<"$out"; then
	pass "probe: an EndingLBA of 2^64-1 is named, the table untrusted"
else fail "probe of a GPT entry ending at 2^64-1" "rc=$rc $out"; fi
if "$LIFEBOAT" backup g.img g.qcow2 >log 2>&1 && qemu-img check -q g.qcow2 &&
   qemu-img compare -q g.img g.qcow2; then
	pass "backup: imaged raw, qemu-img check and compare agree with the disk"
else fail "backup of a GPT entry ending at 2^64-1" "$(tail -2 log)"; fi
