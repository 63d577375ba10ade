#!/usr/bin/env bash
# tests/rescue/t_files_exfat.sh — after a rescue, the files of an exFAT
# volume (USB sticks, SD cards) that touch bad sectors are named, and only
# those.  The volume is made with mkfs.exfat and filled through exfat-fuse
# on a loop device (root; the kernel here has no exfat module): a contiguous
# file (NoFatChain) with a long non-ASCII name in a folder, a fragmented
# file (a FAT chain: written, a spacer written after it, then appended to),
# and a folder of 31 files.  Clusters are found by markers at the start of
# each file's content and by the UTF-16 name in the folder's entries; the
# layout is checked with an independent reader (python) so that "contiguous"
# and "fragmented" are facts, not hopes.  Bad sectors are injected with the
# fault backend.  Cases:
#  1. bad sectors in the contiguous file, in the second fragment of the
#     fragmented one, in the first sector of the folder's cluster (the
#     folder is listed; the walk goes on past the lost entries and finds a
#     file further down that also has a bad sector), in the up-case table
#     and in free space: exactly those four paths are listed, plus
#     "(up-case table)"; `lifeboat info` names them too.
#  2. the FAT's first sector lost: the fragmented file (its chain ends
#     early) and the up-case table (two clusters, chained) are listed; the
#     contiguous files, which need no FAT, are not.
#  3. the volume alone (a stick without a partition table): partition 0.
#  4. (no root) a hostile volume whose folders name their own parent: the
#     walk is bounded and the report says its list is incomplete.
#  5. (no root) util-linux's exFAT test image: a lost sector of its
#     chained root folder is skipped and files after it are still named.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

N1="exFAT: exactly the files with bad sectors are named (contiguous, fragmented, folder)"
N2="exFAT: lifeboat info names the same files"
N3="exFAT: a lost FAT sector names the fragmented file, not the contiguous ones"
N4="exFAT on a whole stick without a partition table: the file is named"
N5="exFAT with folders that name their own parent twice (hostile): bounded, said"

# --- case 4 (no root): a hostile volume.  Two folder entries in the root
# point back at the root cluster (one by FAT chain, one NoFatChain), so
# an unbounded walk would visit 2^depth folders.  The rescue must end,
# list nothing (the one bad sector is in free space) and say that the list
# is incomplete.
if have mkfs.exfat && have python3; then
	truncate -s 8M "$T/h.img"
	mkfs.exfat "$T/h.img" >/dev/null 2>&1
	python3 - "$T/h.img" <<'EOF2'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
bs, ss = d[108], d[109]
heap, cs = struct.unpack_from('<I', d, 88)[0] << bs, 1 << (bs + ss)
root = struct.unpack_from('<I', d, 96)[0]
off, i = heap + (root - 2) * cs, 0
while d[off + i]:
    i += 32
for name, flags in (('loop', 1), ('ring', 3)):
    f, s, n = bytearray(32), bytearray(32), bytearray(32)
    f[0], f[1] = 0x85, 2
    struct.pack_into('<H', f, 4, 0x10)                  # a folder
    s[0], s[1], s[3] = 0xc0, flags, len(name)
    struct.pack_into('<QIQ', s, 8, cs, 0, 0)
    struct.pack_into('<IQ', s, 20, root, cs)            # first cluster: the root
    n[0] = 0xc1
    n[2:2 + 2 * len(name)] = name.encode('utf-16le')
    d[off + i:off + i + 96] = f + s + n
    i += 96
open(p, 'wb').write(d)
EOF2
	badmap "$T/h.map" "15000:1"
	out=$(LIFEBOAT_FAULT_MAP=$T/h.map timeout 120 "$LIFEBOAT" rescue "fault:$T/h.img" "$T/h.qcow2" 2>&1)
	rc=$?
	if [ $rc = 0 ] && [[ $out == *"partition 0: the exFAT filesystem has cross-linked or looping cluster chains: its files are not all listed"* ]] &&
	   ! echo "$out" | grep -q '\] /'; then
		pass "$N5"
	else
		fail "$N5" "exit $rc: $(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
else
	skip "$N5" "mkfs.exfat or python3 not installed"
fi

# --- case 5 (no root): util-linux's exFAT test image (a whole volume, 1 KiB
# clusters, a root folder over several clusters holding test.00 ...), with
# a bad sector in test.13's data, one in the root folder where test.40's
# entries are, and one in test.59's data, whose entries come after that
# lost folder sector.  Listed: exactly "/", /test.13 and /test.59.
N6="exFAT test image of util-linux: a lost folder sector is skipped, files after it still named"
FX=$SHARED/images/blkid/fs/exfat.img.xz
if [ -r "$FX" ] && have xz; then
	xz -dc "$FX" >"$T/u.img"
	name_at() {     # the sector of test.NN's File Name entry
		local n=$1
		echo $(( $(LC_ALL=C grep -obUaP "t\x00e\x00s\x00t\x00\.\x00${n:0:1}\x00${n:1:1}\x00" "$T/u.img" | head -1 | cut -d: -f1) / 512 ))
	}
	data_at() { echo $(( $(LC_ALL=C grep -obUa "test\.$1" "$T/u.img" | head -1 | cut -d: -f1) / 512 )); }
	d13=$(data_at 13) n40=$(name_at 40) d59=$(data_at 59) n59=$(name_at 59)
	badmap "$T/u.map" "$d13:1 $n40:1 $d59:1"
	out=$(LIFEBOAT_FAULT_MAP=$T/u.map "$LIFEBOAT" rescue "fault:$T/u.img" "$T/u.qcow2" 2>&1)
	got=$(echo "$out" | sed -n 's/.*\[partition 0, exfat\] \(.*\) ([0-9]* bytes unreadable).*/\1/p' | sort)
	want=$(printf '%s\n' / /test.13 /test.59 | sort)
	if [ "$n59" -gt "$n40" ] && [ "$got" = "$want" ] &&
	   echo "$out" | grep -q "exfat\] /test.13 (8 bytes unreadable)"; then
		pass "$N6"
	else
		fail "$N6" "sectors $d13 $n40 $d59 ($n59); listed: $(echo "$got" | tr '\n' ';') $(echo "$out" | tail -2 | tr '\n' ' ')"
	fi
else
	skip "$N6" "$FX or xz missing"
fi

why=""
need_root || why="needs root (loop device and /dev/fuse)"
for t in qemu-img sfdisk mkfs.exfat mount.exfat-fuse dump.exfat losetup python3; do
	[ -n "$why" ] || have $t || why="$t not installed"
done
[ -n "$why" ] || [ -e /dev/fuse ] || why="no /dev/fuse"
if [ -n "$why" ]; then
	skip "$N1" "$why"; skip "$N2" "$why"; skip "$N3" "$why"; skip "$N4" "$why"; exit 0
fi

# --- the volume: 24 MiB, 4 KiB clusters, filled through exfat-fuse
V=$T/fs.img M=$T/mnt
truncate -s 24M "$V"
mkfs.exfat -c 4K -L RESCUE "$V" >/dev/null 2>&1
L=$(losetup -f --show "$V") || {
	skip "$N1" "no free loop device"; skip "$N2" "no free loop device"
	skip "$N3" "no free loop device"; skip "$N4" "no free loop device"; exit 0; }
on_exit "losetup -d $L"
mkdir -p "$M"
if ! mount.exfat-fuse "$L" "$M" >/dev/null 2>&1; then
	why="exfat-fuse cannot mount here"
	skip "$N1" "$why"; skip "$N2" "$why"; skip "$N3" "$why"; skip "$N4" "$why"; exit 0
fi
on_exit "umount $M"
LONG="Sommerurlaub Größe 2024.mp4"
mkdir -p "$M/Videos" "$M/Docs"
{ printf 'LB-MARK-CONTIG'; head -c 200000 /dev/urandom; } >"$M/Videos/$LONG"
{ printf 'LB-MARK-FRAG-A'; head -c 20466 /dev/urandom; } >"$M/frag.bin"
head -c 20480 /dev/urandom >"$M/spacer.bin"
{ printf 'LB-MARK-FRAG-B'; head -c 40000 /dev/urandom; } >>"$M/frag.bin"
for i in $(seq -w 1 30); do echo "note $i" >"$M/Docs/note$i.txt"; done
{ printf 'LB-MARK-DEEP'; head -c 30000 /dev/urandom; } >"$M/Docs/deep.bin"
sync
umount "$M"
losetup -d "$L"

# The layout as an independent reader sees it: "path flags first" per
# file (flags 3 = NoFatChain, 1 = FAT chain).
python3 - "$V" >"$T/layout" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
bs, ss = d[108], d[109]
heap, cs = struct.unpack_from('<I', d, 88)[0] << bs, 1 << (bs + ss)
def walk(c, path):
    off, i = heap + (c - 2) * cs, 0
    while i < cs and d[off + i]:
        e = d[off + i:off + i + 32]
        if e[0] != 0x85:
            i += 32; continue
        s = d[off + i + 32:off + i + 64]
        name = b''.join(d[off + i + 32 * k + 2:off + i + 32 * k + 32]
                        for k in range(2, e[1] + 1)).decode('utf-16le')[:s[3]]
        first = struct.unpack_from('<I', s, 20)[0]
        print(path + '/' + name, s[1], first)
        if e[4] & 0x10:
            walk(first, path + '/' + name)
        i += 32 * (e[1] + 1)
walk(struct.unpack_from('<I', d, 96)[0], '')
EOF
flags_of() { grep -F "$1 " "$T/layout" | tail -1 | awk '{print $(NF-1)}'; }
if [ "$(flags_of "/Videos/$LONG")" != 3 ] || [ "$(flags_of /frag.bin)" != 1 ]; then
	why="exfat-fuse did not lay the files out as planned: $(tr '\n' ';' <"$T/layout")"
	skip "$N1" "$why"; skip "$N2" "$why"; skip "$N3" "$why"; skip "$N4" "$why"; exit 0
fi

# --- the disk: MBR, partition 1 (type 7) at sector 2048 holding the volume
D=$T/disk.img
truncate -s 32M "$D"
printf 'label: dos\nstart=2048, size=49152, type=7\n' | sfdisk -q "$D" >/dev/null
dd if="$V" of="$D" bs=1M seek=1 conv=notrunc status=none

at() { LC_ALL=C grep -obUaP "$1" "$V" | head -1 | cut -d: -f1; }   # byte of the volume
c_off=$(at LB-MARK-CONTIG) b_off=$(at LB-MARK-FRAG-B) d_off=$(at LB-MARK-DEEP)
n_off=$(at 'n\x00o\x00t\x00e\x000\x001\x00')         # a name entry in Docs' first sector
info=$(dump.exfat "$V" 2>/dev/null)
val() { echo "$info" | grep "$1" | head -1 | awk -F: '{gsub(/[ \t]/, "", $2); print $2}'; }
heap=$(val "Cluster Heap Offset") fat=$(val "FAT Offset") up=$(val "Upcase table start cluster")
spc=$((1 << $(val "Sector per Cluster bits")))
up_s=$((heap + (up - 2) * spc + spc + 1))     # in the up-case table's second cluster
if [ -z "$c_off" ] || [ -z "$b_off" ] || [ -z "$d_off" ] || [ -z "$n_off" ] || [ -z "$up" ]; then
	fail "$N1" "markers or dump.exfat fields not found"; exit 0
fi
sec() { echo $((2048 + $1)); }                   # volume sector -> disk sector
BAD="$(sec $((c_off / 512 + 100))):1 $(sec $((b_off / 512 + 3))):2 $(sec $((n_off / 512))):1"
BAD="$BAD $(sec $((d_off / 512 + 20))):1 $(sec $up_s):1 $(sec 40000):4"
badmap "$T/bad.map" "$BAD"
expected "$D" "$T/expected.raw" "$BAD"

out=$(LIFEBOAT_FAULT_MAP=$T/bad.map "$LIFEBOAT" rescue "fault:$D" "$T/r.qcow2" 2>&1)
rc=$?
raw_of "$T/r.qcow2" "$T/r.raw" 2>/dev/null
got=$(echo "$out" | sed -n 's/.*\[partition 1, exfat\] \(.*\) ([0-9]* bytes unreadable).*/\1/p' | sort)
want=$(printf '%s\n' "(up-case table)" "/Docs" "/Docs/deep.bin" "/Videos/$LONG" "/frag.bin" | sort)
if [ $rc -eq 0 ] && cmp -s "$T/r.raw" "$T/expected.raw" && [ "$got" = "$want" ] &&
   echo "$out" | grep -q "exfat\] /frag.bin (1024 bytes unreadable)" &&
   echo "$out" | grep -q "exfat\] /Docs (512 bytes unreadable)"; then
	pass "$N1"
else
	fail "$N1" "exit $rc; listed: $(echo "$got" | tr '\n' ';') $(echo "$out" | tail -3 | tr '\n' ' ')"
fi
ig=$("$LIFEBOAT" info "$T/r.qcow2" 2>&1)
if echo "$ig" | grep -qF "/Videos/$LONG" && echo "$ig" | grep -q "/frag.bin" &&
   echo "$ig" | grep -q "/Docs/deep.bin"; then
	pass "$N2"
else
	fail "$N2" "$(echo "$ig" | grep -i "bad\|exfat" | head -5 | tr '\n' ' ')"
fi

# --- case 2: the FAT's first sector lost (it holds every chain of this volume)
badmap "$T/fat.map" "$(sec "$fat"):1"
out=$(LIFEBOAT_FAULT_MAP=$T/fat.map "$LIFEBOAT" rescue "fault:$D" "$T/f.qcow2" 2>&1)
got=$(echo "$out" | sed -n 's/.*\[partition 1, exfat\] \(.*\) ([0-9]* bytes unreadable).*/\1/p' | sort)
want=$(printf '%s\n' "(up-case table)" "/frag.bin" | sort)
# frag.bin: only its first cluster is reached (every link is in the FAT),
# the other 60494 - 4096 bytes are lost
if [ "$got" = "$want" ] && echo "$out" | grep -q "exfat\] /frag.bin (56398 bytes unreadable)"; then
	pass "$N3"
else
	fail "$N3" "listed: $(echo "$got" | tr '\n' ';') $(echo "$out" | tail -3 | tr '\n' ' ')"
fi

# --- case 3: the volume on the whole stick, no partition table (partition 0)
badmap "$T/w.map" "$((d_off / 512 + 3)):1"
out=$(LIFEBOAT_FAULT_MAP=$T/w.map "$LIFEBOAT" rescue "fault:$V" "$T/w.qcow2" 2>&1)
got=$(echo "$out" | sed -n 's/.*\[partition 0, exfat\] \(.*\) ([0-9]* bytes unreadable).*/\1/p')
[ "$got" = "/Docs/deep.bin" ] && pass "$N4" ||
	fail "$N4" "listed: $(echo "$got" | tr '\n' ';') $(echo "$out" | tail -3 | tr '\n' ' ')"
