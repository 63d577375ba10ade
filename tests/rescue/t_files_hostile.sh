#!/usr/bin/env bash
# tests/rescue/t_files_hostile.sh — a hostile FAT cannot flood or poison the
# list of damaged files (issue 6, trial finding F15): a FAT16 root folder
# with 1100 entries (and the folder DIRX) all sharing one chain that touches a bad sector, a long
# name carrying ESC and other control bytes, a "folder" whose cluster holds
# no "." entry, an entry claiming 4 GiB; an ext4 partition after it with
# one damaged file; an NTFS partition whose damaged file names itself as
# its parent folder.  The list must stay bounded (1000 lines for the FAT and
# one "... and N more (list cut short)"), escaped, no line claiming more
# than the partition, and the ext4 file must still be named.  No root.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

for t in qemu-img sfdisk mkfs.fat mkfs.ext4 debugfs python3 mkntfs ntfscp; do
	have $t || { skip "hostile FAT in the damaged files list" "$t not installed"; exit 0; }
done

truncate -s 16M "$T/fat.img"
mkfs.fat -F 16 -r 1280 "$T/fat.img" >/dev/null 2>&1
# Writes the hostile root folder; prints the sector (from the fs start) of
# cluster 3, where the bad sector goes.
csec=$(python3 - "$T/fat.img" <<'EOF'
import struct, sys, os
p = sys.argv[1]
f = open(p, 'r+b')
b = f.read(512)
bps, spc, rsv, nfats, rootents = struct.unpack_from('<HBHBH', b, 11)
fatsz = struct.unpack_from('<H', b, 22)[0]
root = (rsv + nfats * fatsz) * bps
data = root + rootents * 32
cs = bps * spc
for i in range(nfats):                       # chain 2 -> 3 -> end
    f.seek((rsv + i * fatsz) * bps + 4)
    f.write(struct.pack('<HH', 3, 0xffff))
f.seek(data)
f.write(os.urandom(2 * cs))                  # clusters 2, 3: no "." entry
def short(name, attr, clus, size):
    return name.encode() + bytes([attr]) + bytes(14) + struct.pack('<HI', clus, size)
def lfn(text):                               # one long-name entry, 13 units
    u = (text + '\0' + '\uffff' * 12)[:13]
    w = [struct.pack('<H', ord(c)) for c in u]
    return (bytes([0x41]) + b''.join(w[0:5]) + bytes([0x0f, 0, 0]) +
            b''.join(w[5:11]) + bytes(2) + b''.join(w[11:13]))
e = [short('DIRX       ', 0x10, 2, 0)]
e += [lfn('\x1b[2Jevil\x07.b'), short('EVIL    BIN', 0x20, 2, 2 * cs)]
e += [short('F%04d   BIN' % i, 0x20, 2, 2 * cs) for i in range(1100)]
e += [short('HUGE    BIN', 0x20, 2, 0xffffffff)]
f.seek(root)
f.write(b''.join(e))
print((data + cs) // 512)
EOF
)
mkdir -p "$T/root"
head -c 300000 /dev/urandom >"$T/root/file_c.bin"
mkfs.ext4 -q -F -b 4096 -d "$T/root" "$T/ext.img" 16M >/dev/null 2>&1 ||
	{ skip "hostile FAT in the damaged files list" "mkfs.ext4 -d failed"; exit 0; }
# NTFS: victim.bin (MFT record 64) gets its own record as $FILE_NAME parent.
truncate -s 16M "$T/ntfs.img"
mkntfs -F -Q "$T/ntfs.img" >/dev/null 2>&1
{ printf 'LIFEBOAT-MARKER-NTFS'; head -c 150000 /dev/urandom; } >"$T/victim.bin"
ntfscp -f "$T/ntfs.img" "$T/victim.bin" victim.bin >/dev/null 2>&1
python3 - "$T/ntfs.img" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'r+b')
b = f.read(512)
bps, spc = struct.unpack_from('<HB', b, 11)
mft = struct.unpack_from('<Q', b, 48)[0] * bps * spc
rec = mft + 64 * 1024
f.seek(rec)
r = bytearray(f.read(1024))
pos = struct.unpack_from('<H', r, 20)[0]
while struct.unpack_from('<I', r, pos)[0] != 0x30:
    pos += struct.unpack_from('<I', r, pos + 4)[0]
val = pos + struct.unpack_from('<H', r, pos + 20)[0]
seq = struct.unpack_from('<H', r, 16)[0]
struct.pack_into('<Q', r, val, 64 | seq << 48)
f.seek(rec)
f.write(r)
EOF
noff=$(grep -obUa LIFEBOAT-MARKER-NTFS "$T/ntfs.img" | head -1 | cut -d: -f1)
truncate -s 60M "$T/disk.img"
printf 'label: dos\nstart=2048, size=32768, type=6\nstart=36864, size=32768, type=83\nstart=69632, size=32768, type=7\n' |
	sfdisk -q "$T/disk.img" >/dev/null
dd if="$T/ntfs.img" of="$T/disk.img" bs=512 seek=69632 conv=notrunc status=none
dd if="$T/fat.img" of="$T/disk.img" bs=512 seek=2048 conv=notrunc status=none
dd if="$T/ext.img" of="$T/disk.img" bs=512 seek=36864 conv=notrunc status=none
blk=$(debugfs -R "blocks /file_c.bin" "$T/ext.img" 2>/dev/null | awk '{print $2}')
badmap "$T/bad.map" "$((2048 + csec + 1)):1 $((36864 + blk * 8 + 1)):1 $((69632 + noff / 512 + 40)):1"

LIFEBOAT_FAULT_MAP=$T/bad.map "$LIFEBOAT" rescue "fault:$T/disk.img" "$T/h.qcow2" \
	>"$T/out" 2>&1
rc=$?
sed -n '/^Files that touch/,$p' "$T/out" | sed 1d >"$T/list"
[ $rc -eq 0 ] && pass "hostile FAT: the rescue ends (exit 0)" ||
	fail "hostile FAT: the rescue ends (exit 0)" "exit $rc: $(tail -3 "$T/out")"

# 1104 FAT lines in all: DIRX (its clusters touch the bad sector) and its
# "entries look damaged", EVIL, F0000-F1099, "folder /: entries look
# damaged" at HUGE (after the cut).
n=$(grep -c '\[partition 1, vfat\]' "$T/list")
[ "$n" = 1001 ] && grep -qx '  \[partition 1, vfat\] \.\.\. and 104 more (list cut short) ([0-9]* bytes unreadable)' "$T/list" &&
	pass "the FAT's lines are cut at 1000 with '... and 104 more (list cut short)'" ||
	fail "the FAT's lines are cut at 1000 with '... and 104 more (list cut short)'" "$n lines: $(tail -2 "$T/list")"

grep -qxF '  [partition 2, ext4] /file_c.bin (512 bytes unreadable)' "$T/list" &&
	pass "the ext4 partition after the hostile FAT is still listed" ||
	fail "the ext4 partition after the hostile FAT is still listed" "$(tail -3 "$T/list")"

grep -qxF '  [partition 3, ntfs] (parent loop)/victim.bin (512 bytes unreadable)' "$T/list" &&
	pass "an NTFS file that is its own parent: named once as '(parent loop)/victim.bin'" ||
	fail "an NTFS file that is its own parent: named once as '(parent loop)/victim.bin'" "$(grep ntfs "$T/list")"

grep -qxF '  [partition 1, vfat] folder /DIRX: entries look damaged, not walked (0 bytes unreadable)' "$T/list" &&
	pass "a 'folder' without its '.' entry is reported once, not walked" ||
	fail "a 'folder' without its '.' entry is reported once, not walked" "$(head -3 "$T/list")"

if ! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$T/out" &&
   grep -qxF '  [partition 1, vfat] /\x1b[2Jevil\x07.b (512 bytes unreadable)' "$T/list"; then
	pass "control bytes in names are printed escaped (\\x1b), never raw"
else
	fail "control bytes in names are printed escaped (\\x1b), never raw" "$(grep -a evil "$T/list" | od -c | head -3)"
fi

max=$(sed -n 's/.*(\([0-9]*\) bytes unreadable)$/\1/p' "$T/list" | sort -n | tail -1)
[ -n "$max" ] && [ "$max" -le $((16 << 20)) ] &&
	pass "no line claims more bytes than its partition holds (max $max)" ||
	fail "no line claims more bytes than its partition holds" "max $max"

info=$("$LIFEBOAT" info "$T/h.qcow2" 2>&1)
[ "$(echo "$info" | grep -c '\[partition 1, vfat\]')" = 1001 ] &&
	echo "$info" | grep -q 'and 104 more (list cut short)' &&
	! echo "$info" | grep -q $'\x1b' &&
	pass "lifeboat info shows the same bounded, escaped list" ||
	fail "lifeboat info shows the same bounded, escaped list" "$(echo "$info" | grep -c vfat) lines"
