#!/usr/bin/env bash
# Case C013 (../shared/cases/cases.md): a disk with a valid GPT and a
# stale, unrelated MBR (real records, no 0xEE).  Without a choice the disk
# is imaged raw and the message says how to choose; --table gpt|mbr images
# by that table while sector 0 and both GPT areas are still stored; the
# choice is recorded in the image (info) and used by restore, verify and
# clone.  The source is never written.
. "$(dirname "$0")/../lib.sh"
export ASAN_OPTIONS=detect_leaks=0
L=$LIFEBOAT
cd "$T" || exit 1
MiB=1048576

# c13.img: MBR #1 2048+4096 (ext4 made on it), #2 8192+4096; GPT #1 at
# 20480+16384 with a FAT filesystem; random bytes in both GPT areas' slack
# would break CRCs, so the GPT areas are compared as written by sgdisk.
truncate -s 64M c13.img mbrsrc.img
printf 'label: dos\nstart=2048,size=4096,type=83\nstart=8192,size=4096,type=7\n' | sfdisk -q mbrsrc.img
sgdisk -o -n1:20480:+8M c13.img >/dev/null
dd if=mbrsrc.img of=c13.img bs=512 count=1 conv=notrunc status=none   # the stale MBR back
mkfs.vfat --offset=20480 c13.img 8192 >/dev/null 2>&1
truncate -s 2M p1.img; mkfs.ext4 -q -F p1.img
debugfs -w -R 'write /usr/bin/ls ls' p1.img >/dev/null 2>&1
dd if=p1.img of=c13.img bs=512 seek=2048 conv=notrunc status=none
mcopy -i c13.img@@$((20480*512)) /usr/bin/ls ::/ls 2>/dev/null
src_sum=$(sha256sum <c13.img)
# head and tail of the disk: sector 0, primary GPT (LBA 1-33), backup GPT
areas() { head -c $((34*512)) "$1" | sha256sum; tail -c $((33*512)) "$1" | sha256sum; }
fat_file() { cmp -s <(mtype -i "$1@@$((20480*512))" ::/ls 2>/dev/null) /usr/bin/ls; }

# ---- without a choice: raw, and the message says how to choose ----
out=$("$L" probe c13.img 2>&1)
if grep -q "whole disk: raw" <<<"$out" && grep -q -- "--table gpt (GPT lists #1 LBA 20480+16384)" <<<"$out" &&
   grep -q -- "--table mbr (MBR lists #1 LBA 2048+4096 type 0x83, #2 LBA 8192+4096 type 0x07)" <<<"$out"; then
	pass "C013 probe: disagreement reported, whole disk raw, the message names --table gpt|mbr and what each table lists"
else fail "C013 probe" "$out"; fi
"$L" backup c13.img a.qcow2 --force >log 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "whole disk imaged raw: GPT and MBR disagree.*--table gpt" log && [ "$src_sum" = "$(sha256sum <c13.img)" ]; then
	pass "C013 backup without --table: imaged raw, the log says which flag chooses, source unchanged"
else fail "C013 backup raw" "rc=$rc $(tail -3 log)"; fi
info=$("$L" info a.qcow2)
grep -q "partition table:" <<<"$info" && fail "C013 info raw" "a choice shown for an image without one" || pass "C013 info: no table choice shown for the raw image"

# ---- --table gpt ----
out=$("$L" probe c13.img --table gpt 2>&1)
if grep -q "trusted as chosen with --table gpt" <<<"$out" && grep -q "partition 1: start 10485760, 8388608 bytes, vfat.*used-blocks" <<<"$out" && ! grep -q "whole disk: raw" <<<"$out"; then
	pass "C013 probe --table gpt: GPT partition 1 (vfat) by used blocks"
else fail "C013 probe gpt" "$out"; fi
"$L" backup c13.img g.qcow2 --table gpt --force >log 2>&1; rc=$?
info=$("$L" info g.qcow2); js=$("$L" info g.qcow2 --json)
if [ $rc = 0 ] && grep -q "partition table: GPT trusted (chosen with --table gpt" <<<"$info" && grep -q '"table_choice": "gpt"' <<<"$js" &&
   grep -q "partition 1 (vfat).*" <<<"$info" && grep -q "mode used-blocks" <<<"$info"; then
	pass "C013 backup --table gpt: info shows the choice (text and JSON) and partition 1 by used blocks"
else fail "C013 backup gpt" "rc=$rc $(tail -2 log) / $info"; fi
rm -f t.img; truncate -s 64M t.img
"$L" restore g.qcow2 t.img --yes >log 2>&1
if [ "$(areas c13.img)" = "$(areas t.img)" ] && fat_file t.img && cmp -s <(head -c $((2048*512)) c13.img) <(head -c $((2048*512)) t.img); then
	pass "C013 --table gpt restore: sector 0 (stale MBR), both GPT areas and the gap before LBA 2048 identical; FAT file intact"
else fail "C013 gpt restore" "$(tail -2 log)"; fi
if "$L" verify g.qcow2 --against c13.img >log 2>&1; then pass "C013 verify --against the source: the recorded choice re-plans the source the same way"
else fail "C013 verify gpt" "$(tail -2 log)"; fi
rm -f t.img; truncate -s 96M t.img
"$L" restore g.qcow2 t.img --yes --offset 0 --length $((96*MiB)) >log 2>&1
hdr=$(python3 -c "
import struct; f=open('t.img','rb'); f.seek(-512,2); h=f.read(92)
print(h[:8]==b'EFI PART', struct.unpack('<Q',h[24:32])[0])")
if [ "$hdr" = "True $((96*2048-1))" ] && cmp -s <(head -c 512 c13.img) <(head -c 512 t.img) && fat_file t.img; then
	pass "C013 --table gpt restore onto 96 MiB: backup GPT moved to LBA $((96*2048-1)), sector 0 (the MBR) untouched"
else fail "C013 gpt restore larger" "$hdr $(tail -2 log)"; fi

rm -f t.img; truncate -s 40M t.img
"$L" restore g.qcow2 t.img --yes --offset 0 --length $((40*MiB)) >log 2>&1; rc=$?
hdr=$(python3 -c "
import struct; f=open('t.img','rb'); f.seek(-512,2); h=f.read(92)
print(h[:8]==b'EFI PART', struct.unpack('<Q',h[24:32])[0])")
if [ $rc = 0 ] && grep -q "every partition fits" log && [ "$hdr" = "True $((40*2048-1))" ] && cmp -s <(head -c 512 c13.img) <(head -c 512 t.img) && fat_file t.img; then
	pass "C013 --table gpt restore onto a smaller 40 MiB disk: the GPT partition fits, backup GPT at LBA $((40*2048-1)), sector 0 kept"
else fail "C013 gpt restore smaller" "rc=$rc $hdr $(tail -2 log)"; fi

# ---- --table mbr ----
out=$("$L" probe c13.img --table mbr 2>&1)
if grep -q "table: dos" <<<"$out" && grep -q "partition 1: start 1048576, 2097152 bytes, ext4.*used-blocks" <<<"$out" && grep -q "the MBR is trusted as chosen with --table mbr" <<<"$out"; then
	pass "C013 probe --table mbr: MBR partition 1 (ext4) by used blocks, the GPT named as kept"
else fail "C013 probe mbr" "$out"; fi
"$L" backup c13.img m.qcow2 --table mbr --force >log 2>&1; rc=$?
rm -f t.img; truncate -s 64M t.img
"$L" restore m.qcow2 t.img --yes >log2 2>&1
dd if=t.img of=tp1.img bs=512 skip=2048 count=4096 status=none
if [ $rc = 0 ] && "$L" info m.qcow2 | grep -q "partition table: MBR trusted" && [ "$(areas c13.img)" = "$(areas t.img)" ] &&
   e2fsck -fn tp1.img >/dev/null 2>&1 && cmp -s <(debugfs -R 'cat ls' tp1.img 2>/dev/null) /usr/bin/ls && fat_file t.img; then
	pass "C013 --table mbr: info shows it; sector 0 and both GPT areas restored; ext4 in MBR #1 passes e2fsck -fn with its file; the GPT's FAT (outside the MBR partitions) kept"
else fail "C013 mbr" "rc=$rc $(tail -2 log) $(tail -2 log2)"; fi
[ "$src_sum" = "$(sha256sum <c13.img)" ] && pass "C013: the source is byte for byte unchanged after every backup" || fail "C013 source changed"

# ---- clone --table gpt onto a larger disk ----
rm -f t.img; truncate -s 80M t.img
"$L" clone c13.img t.img --yes --table gpt >log 2>&1; rc=$?
hdr=$(python3 -c "
import struct; f=open('t.img','rb'); f.seek(-512,2); h=f.read(92)
print(h[:8]==b'EFI PART', struct.unpack('<Q',h[24:32])[0])")
if [ $rc = 0 ] && [ "$hdr" = "True $((80*2048-1))" ] && cmp -s <(head -c 512 c13.img) <(head -c 512 t.img) && fat_file t.img; then
	pass "C013 clone --table gpt onto 80 MiB: GPT backup moved to the end, sector 0 kept"
else fail "C013 clone gpt" "rc=$rc $hdr $(tail -2 log)"; fi
rm -f t.img; truncate -s 80M t.img
"$L" clone c13.img t.img --yes >log 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "not trusted.*left as written" log && cmp -s <(head -c $((64*MiB)) t.img) c13.img; then
	pass "C013 clone without --table: copied byte for byte, table left as written and said so"
else fail "C013 clone raw" "rc=$rc $(tail -2 log)"; fi

# ---- usage and a choice that decides nothing ----
"$L" backup c13.img x.qcow2 --table foo >log 2>&1; rc=$?
[ $rc = 2 ] && grep -q -- "--table takes gpt or mbr" log && pass "--table foo: usage error (exit 2)" || fail "--table foo" "rc=$rc $(cat log)"
truncate -s 32M plain.img; sgdisk -o -n1:2048:+8M plain.img >/dev/null
out=$("$L" probe plain.img --table mbr 2>&1)
grep -q -- "--table mbr changes nothing here" <<<"$out" && grep -q "table: gpt" <<<"$out" && pass "--table mbr on a GPT disk with a protective MBR: said to change nothing, GPT used" || fail "--table on plain GPT" "$out"

# ---- rescue: data first by the chosen table ----
"$L" rescue c13.img r1.qcow2 >log 2>&1; rc=$?
"$L" rescue c13.img r2.qcow2 --table gpt >log2 2>&1; rc2=$?
if [ $rc = 0 ] && grep -q "no used-block map (whole disk raw: GPT and MBR disagree.*--table gpt" log &&
   [ $rc2 = 0 ] && ! grep -q "no used-block map" log2 && grep -q "data first (used blocks) done" log2 &&
   qemu-img compare -q c13.img r2.qcow2 2>/dev/null; then
	pass "C013 rescue: without --table in disk order and says how to choose; --table gpt plans data first; every byte rescued (qemu-img compare)"
else fail "C013 rescue" "rc=$rc rc2=$rc2 $(grep -m1 'used' log) / $(grep -m1 'used' log2)"; fi

# ---- --partition N by the chosen table (trial 2 F3) ----
# c13.img: GPT #1 = LBA 20480+16384 (FAT); MBR #1 = LBA 2048+4096 (ext4),
# MBR #2 = LBA 8192+4096.  libblkid alone reads the MBR: N must not be a guess.
range() { dd if="$1" bs=512 skip="$2" count="$3" status=none; }
rm -f p.qcow2
"$L" backup c13.img p.qcow2 --partition 1 >log 2>&1; rc=$?
if [ $rc = 2 ] && [ ! -e p.qcow2 ] && grep -q "GPT partition 1 is LBA 20480+16384 (8388608 bytes)" log &&
   grep -q "MBR partition 1 is LBA 2048+4096 (2097152 bytes)" log && grep -q -- "--table gpt or --table mbr" log; then
	pass "C013 backup --partition 1 without --table: refused (exit 2), names GPT #1 and MBR #1 and the flag, no image"
else fail "C013 --partition no table" "rc=$rc $(cat log)"; fi
"$L" backup c13.img pg.qcow2 --partition 1 --table gpt --raw >log 2>&1; rc=$?
rm -f pg.img; "$L" restore pg.qcow2 pg.img --yes >/dev/null 2>&1
if [ $rc = 0 ] && cmp -s pg.img <(range c13.img 20480 16384); then
	pass "C013 backup --partition 1 --table gpt: the image holds GPT partition 1 (8 MiB at LBA 20480), byte for byte"
else fail "C013 --partition gpt" "rc=$rc $(tail -2 log) size=$(stat -c %s pg.img 2>/dev/null)"; fi
"$L" backup c13.img pm.qcow2 --partition 1 --table mbr --raw >log 2>&1; rc=$?
rm -f pm.img; "$L" restore pm.qcow2 pm.img --yes >/dev/null 2>&1
if [ $rc = 0 ] && cmp -s pm.img <(range c13.img 2048 4096); then
	pass "C013 backup --partition 1 --table mbr: the image holds MBR partition 1 (2 MiB at LBA 2048), byte for byte"
else fail "C013 --partition mbr" "rc=$rc $(tail -2 log)"; fi
"$L" backup c13.img px.qcow2 --partition 3 >log 2>&1; rc=$?
[ $rc = 2 ] && grep -q "no partition 3 in either of its tables (the GPT has no partition 3; the MBR has no partition 3" log &&
	pass "C013 --partition 3 (in neither table): exit 2, says neither table has it" || fail "C013 --partition in neither" "rc=$rc $(cat log)"
"$L" backup c13.img px.qcow2 --partition 2 --table gpt >log 2>&1; rc=$?
[ $rc = 2 ] && grep -q "no partition 2 in the GPT (chosen with --table gpt; partitions found: 1)" log &&
	pass "C013 --partition 2 --table gpt: the GPT has no #2: exit 2, lists the GPT's partitions" || fail "C013 --partition missing" "rc=$rc $(cat log)"
rm -f kc.img; "$L" clone c13.img kc.img --partition 1 --yes >log 2>&1; rc=$?
rm -f kg.img; "$L" clone c13.img kg.img --partition 1 --table gpt --yes >log2 2>&1; rc2=$?
if [ $rc = 2 ] && [ ! -e kc.img ] && grep -q "partition 1 is ambiguous" log && [ $rc2 = 0 ] && cmp -s kg.img <(range c13.img 20480 16384); then
	pass "C013 clone --partition 1: refused without --table (exit 2, nothing written); with --table gpt copies GPT partition 1"
else fail "C013 clone --partition" "rc=$rc rc2=$rc2 $(cat log) $(tail -2 log2)"; fi
"$L" rescue c13.img rc.qcow2 --partition 1 >log 2>&1; rc=$?
"$L" rescue c13.img rg.qcow2 --partition 1 --table gpt >log2 2>&1; rc2=$?
range c13.img 20480 16384 >gp1.raw
if [ $rc = 2 ] && grep -q "partition 1 is ambiguous" log && [ $rc2 = 0 ] && qemu-img compare -q gp1.raw rg.qcow2 2>/dev/null; then
	pass "C013 rescue --partition 1: refused without --table; with --table gpt rescues GPT partition 1 (qemu-img compare)"
else fail "C013 rescue --partition" "rc=$rc rc2=$rc2 $(tail -1 log) $(tail -1 log2)"; fi
# restore into partition N of a target whose tables disagree
cp c13.img tgt.img; tsum=$(sha256sum <tgt.img)
"$L" restore pm.qcow2 tgt.img --partition 1 --yes >log 2>&1; rc=$?
if [ $rc = 2 ] && [ "$tsum" = "$(sha256sum <tgt.img)" ] && grep -q "GPT partition 1 is LBA 20480+16384" log; then
	pass "C013 restore --partition 1 onto a disk whose tables disagree: refused (exit 2), target unchanged"
else fail "C013 restore --partition" "rc=$rc $(cat log)"; fi
dd if=/dev/urandom of=tgt.img bs=512 seek=2048 count=4096 conv=notrunc status=none
"$L" restore pm.qcow2 tgt.img --partition 1 --table mbr --yes >log 2>&1; rc=$?
if [ $rc = 0 ] && cmp -s <(range tgt.img 2048 4096) <(range c13.img 2048 4096) && fat_file tgt.img && [ "$(areas c13.img)" = "$(areas tgt.img)" ]; then
	pass "C013 restore --partition 1 --table mbr: written at MBR #1 (LBA 2048), the GPT's FAT and both table areas untouched"
else fail "C013 restore --partition mbr" "rc=$rc $(tail -2 log)"; fi
"$L" restore g.qcow2 t.img --table gpt --yes >log 2>&1; rc=$?
[ $rc = 2 ] && grep -q -- "--table chooses which table of TARGET numbers --partition" log &&
	pass "restore --table without --partition: usage error (exit 2), the image's recorded choice rules" || fail "restore --table alone" "rc=$rc $(cat log)"
rm -f pp.qcow2; "$L" backup plain.img pp.qcow2 --partition 1 >log 2>&1; rc=$?
rm -f pp.img; "$L" restore pp.qcow2 pp.img --yes >/dev/null 2>&1
[ $rc = 0 ] && cmp -s pp.img <(range plain.img 2048 16384) && pass "--partition 1 on a plain GPT disk: no --table needed (unchanged)" || fail "plain --partition" "rc=$rc $(tail -2 log)"

# ---- --grow-last with --partition (trial 2 F10) ----
"$L" restore pm.qcow2 tgt.img --partition 1 --table mbr --grow-last --yes >log 2>&1; rc=$?
"$L" clone c13.img kz.img --partition 1 --table gpt --grow-last --yes >log2 2>&1; rc2=$?
if [ $rc = 2 ] && [ $rc2 = 2 ] && [ ! -e kz.img ] && grep -q -- "--grow-last grows the last partition of a whole disk; it does not apply with --partition" log log2; then
	pass "--grow-last with --partition: restore and clone refuse (exit 2) and say why"
else fail "grow-last partition" "rc=$rc rc2=$rc2 $(cat log log2)"; fi

# ---- --grow-last on an image without a choice: the real reason (trial 2 F2) ----
rm -f t.img; truncate -s 100M t.img
"$L" restore a.qcow2 t.img --yes --grow-last >log 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "grow-last grew nothing: the partition table on t.img is not trusted (its GPT and MBR disagree; back up or clone with --table gpt|mbr" log &&
   ! grep -q "no room after the last partition" log && grep -q "no 0xEE record); left as written" log; then
	pass "C013 restore --grow-last of a raw image: says the table is not trusted (GPT and MBR disagree), the note whole"
else fail "C013 grow-last reason" "rc=$rc $(cat log)"; fi
why=$("$L" info a.qcow2 | grep "mode raw")
if grep -q -- "--table gpt or --table mbr; sector 0 holds 2 MBR partition(s) and no 0xEE record$" <<<"$why"; then
	pass "C013 info: the raw reason is whole words within the image's record (lists dropped, the flags kept)"
else fail "C013 info reason" "$why"; fi

# ---- clone --table mbr speaks of the MBR's signature; smaller disk (F1) ----
rm -f t.img; truncate -s 64M t.img
"$L" clone c13.img t.img --table mbr --yes >log 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "same MBR disk signature" log && ! grep -q "disk GUID" log; then
	pass "C013 clone --table mbr: the identity warning names the MBR disk signature, not the unused GPT's GUIDs"
else fail "C013 clone mbr identity" "rc=$rc $(cat log)"; fi
rm -f t.img; truncate -s 40M t.img
"$L" restore g.qcow2 t.img --yes --offset 0 --length $((40*MiB)) >log 2>&1; rc=$?
[ $rc = 0 ] && [ "$(grep -c 'every partition fits' log)" = 1 ] && pass "restore onto a smaller disk: 'every partition fits' said once" ||
	fail "restore fits once" "rc=$rc $(grep -c 'every partition fits' log)"
if need_root && command -v losetup >/dev/null && rm -f s40.img && truncate -s 40M s40.img && LD=$(losetup -f --show s40.img 2>/dev/null); then
	"$L" clone c13.img "$LD" --table gpt --yes >log 2>&1; rc=$?
	losetup -d "$LD"
	if [ $rc = 0 ] && grep -q "clone done: .*, $((40*MiB)) bytes" log && [ "$(grep -c 'every partition fits' log)" = 1 ] && fat_file s40.img; then
		pass "clone onto a smaller 40 MiB loop device: done line says 41943040 bytes written, 'every partition fits' once, FAT file intact"
	else fail "clone smaller" "rc=$rc $(grep -c 'every partition fits' log) $(tail -2 log)"; fi
else skip "clone onto a smaller block device" "needs root and a loop device"; fi
