#!/usr/bin/env bash
# Partition-table cases from ../shared/cases/cases.md (PT-SIZE, PT-GPT,
# PT-MBR, SECTOR), each checked the way a user would: the table the
# parser reports, `sgdisk -v` / `sfdisk --verify` on what was written,
# partition starts, bytes compared, targets unchanged after a refusal.
. "$(dirname "$0")/../lib.sh"
P=$TOP/build/tests/pt/lbprobe
export ASAN_OPTIONS=detect_leaks=0
L=$LIFEBOAT
cd "$T" || exit 1
MiB=1048576

backup() { "$L" backup "$1" "$2" --force >"$T/log" 2>&1 || { echo "backup: $(tail -1 "$T/log")"; return 1; }; }
# restore IMAGE TARGET SIZE: onto a whole-disk target of SIZE bytes
restore() { "$L" restore "$1" "$2" --yes --offset 0 --length "$3" >"$T/log" 2>&1; }
starts() { sfdisk -d "$1" 2>/dev/null | sed -n 's/^[^:]*\(: start=[^,]*, size=[^,]*\).*/\1/p'; }
gpt_ok() { sgdisk -v "$1" 2>&1 | grep -q "^No problems found"; }

# ---- C001: smaller target, last partition does not fit: refuse first ----
truncate -s 128M src.img
printf 'label: dos\nstart=2048, size=260096, type=83\n' | sfdisk -q src.img
truncate -s 127M p1.img; mkfs.ext4 -q p1.img
debugfs -w -R 'write /usr/bin/bash bash' p1.img >/dev/null 2>&1
dd if=p1.img of=src.img bs=512 seek=2048 conv=notrunc,sparse status=none
truncate -s 120M dst.img; before=$(sha256sum <dst.img)
backup src.img src.qcow2
restore src.qcow2 dst.img $((120*MiB)); rc=$?
msg=$(tail -1 "$T/log")
if [ $rc = 3 ] && grep -q "partition 1 ends at LBA 262143" <<<"$msg" && grep -q "125829120 bytes" <<<"$msg" && [ "$before" = "$(sha256sum <dst.img)" ]; then
	pass "C001 restore: refused before writing, names partition 1, LBA 262143 and the target size; target unchanged"
else fail "C001 restore" "rc=$rc $msg"; fi
if need_root; then
	lo=$(losetup -f --show dst.img)
	"$L" clone src.img "$lo" --yes >"$T/log" 2>&1; rc=$?
	losetup -d "$lo"
	if [ $rc = 3 ] && grep -q "partition 1 ends at LBA 262143" "$T/log" && [ "$before" = "$(sha256sum <dst.img)" ]; then
		pass "C001 clone onto a 120 MiB loop device: refused the same way, target unchanged"
	else fail "C001 clone" "rc=$rc $(tail -1 "$T/log")"; fi
else skip "C001 clone" "needs root: a loop device as the smaller target"; fi

# ---- C003: trailing small partition pinned at the end ----
truncate -s 512M c3.img
sgdisk -o -n1:2048:+100M -t1:ef00 -n2:0:+16M -t2:0c01 -n3:0:+100M -t3:0700 -n4:-64M:0 -t4:2700 c3.img >/dev/null
out=$("$P" fit c3.img $((300*MiB)))
if grep -q "partition 4 ends at LBA" <<<"$out" && grep -q "314572800 bytes" <<<"$out"; then pass "C003: refusal names partition 4, its end LBA and the target size"
else fail "C003" "$out"; fi

# ---- GPT restore onto larger and smaller disks ----
truncate -s 64M g.img
sgdisk -o -n1:2048:+16M -t1:0700 -n2:0:+8M -t2:8300 g.img >/dev/null
mkfs.vfat --offset=2048 g.img 16384 >/dev/null 2>&1
backup g.img g.qcow2
for sz in 100 40; do
	rm -f t.img; truncate -s ${sz}M t.img
	if restore g.qcow2 t.img $((sz*MiB)) && gpt_ok t.img && [ "$(starts g.img | sed 's/g.img//')" = "$(starts t.img | sed 's/t.img//')" ] && [ "$(stat -c %s t.img)" = $((sz*MiB)) ]; then
		pass "GPT restore onto ${sz} MiB (from 64): sgdisk -v clean, same starts and sizes"
	else fail "GPT restore onto ${sz} MiB" "$(tail -1 "$T/log"; sgdisk -v t.img 2>&1 | head -3)"; fi
	if ! need_root; then skip "GPT clone onto ${sz} MiB" "needs root: a loop device as the differently sized target"; continue; fi
	rm -f t.img; truncate -s ${sz}M t.img; lo=$(losetup -f --show t.img)
	"$L" clone g.img "$lo" --yes >"$T/log" 2>&1; rc=$?
	v1=$(sgdisk -v "$lo" 2>&1); v2=$(sfdisk --verify "$lo" 2>&1); losetup -d "$lo"
	if [ $rc = 0 ] && grep -q "No problems found" <<<"$v1" && grep -q "No errors detected" <<<"$v2" && [ "$(starts g.img | sed 's/g.img//')" = "$(starts t.img | sed 's/t.img//')" ]; then
		pass "GPT clone onto a ${sz} MiB loop device: sgdisk -v and sfdisk --verify clean, same starts"
	else fail "GPT clone onto ${sz} MiB" "rc=$rc $(tail -1 "$T/log") $v1"; fi
done
cmp -s <(dd if=g.img bs=1M count=16 skip=1 status=none) <(dd if=t.img bs=1M count=16 skip=1 status=none) && pass "GPT onto 40 MiB: partition 1 bytes identical" || fail "GPT onto 40 MiB: partition 1 bytes differ"

# ---- grow the last partition (table entry only) ----
rm -f t.img; truncate -s 100M t.img; restore g.qcow2 t.img $((100*MiB))
out=$("$P" fixup t.img grow)
last=$(sgdisk -i 2 t.img | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
ul=$(sgdisk -p t.img | sed -n 's/.*last usable sector is \([0-9]*\).*/\1/p')
if gpt_ok t.img && [ "$last" = "$ul" ] && grep -q "partition 2: table entry grown from last LBA" <<<"$out"; then pass "grow last: partition 2 ends at the last usable LBA $ul, report names the table entry it grew"
else fail "grow last" "last=$last usable=$ul $out"; fi

# ---- MBR with logical partitions onto a zeroed larger and smaller target (C019) ----
truncate -s 64M m.img
printf 'label: dos\nstart=2048,size=20480,type=83\nstart=22528,size=40960,type=5\nstart=24576,size=8192,type=83\nstart=34816,size=8192,type=82\n' | sfdisk -q m.img
backup m.img m.qcow2
for sz in 96 40; do
	rm -f t.img; truncate -s ${sz}M t.img
	if restore m.qcow2 t.img $((sz*MiB)) && sfdisk --verify t.img >/dev/null 2>&1 && [ "$(starts m.img | sed 's/m.img//')" = "$(starts t.img | sed 's/t.img//')" ]; then
		pass "C019 MBR+EBR restore onto zeroed ${sz} MiB: sfdisk --verify clean, logicals 5 and 6 at the same sectors"
	else fail "C019 MBR restore onto ${sz} MiB" "$(tail -1 "$T/log")"; fi
done
# An MBR disk has no GPT backup: the smaller-target report must not promise one.
restore m.qcow2 t.img $((40*MiB))
grep -q "every partition fits: writing the first 41943040 bytes" "$T/log" && ! grep -q GPT "$T/log" &&
	pass "C019 MBR onto a smaller disk: says what it writes, no GPT backup mentioned" || fail "C019 smaller-target wording" "$(cat "$T/log")"

# ---- C009: image cut right after the last partition ----
truncate -s 64M c9.img; sgdisk -o -n1:2048:+40M c9.img >/dev/null
truncate -s $(( (2048 + 40*2048) * 512 )) c9.img
out=$("$P" pt c9.img)
grep -q "backup GPT missing" <<<"$out" && grep -q "^#1: 2048 81920" <<<"$out" && pass "C009: primary GPT used, 'backup GPT missing' reported" || fail "C009 probe" "$out"
backup c9.img c9.qcow2
rm -f t.img; truncate -s 64M t.img
restore c9.qcow2 t.img $((64*MiB)) && gpt_ok t.img && pass "C009: restored onto 64 MiB with a fresh backup GPT at the end (sgdisk -v clean)" || fail "C009 restore" "$(tail -1 "$T/log"; sgdisk -v t.img | head -2)"

# ---- C010: PMBR 0xEE record starting at LBA 63 ----
truncate -s 32M p.img; sgdisk -o -n1:2048:0 p.img >/dev/null
printf '\x3f\x00\x00\x00' | dd of=p.img bs=1 seek=$((0x1C6)) conv=notrunc status=none
out=$("$P" pt p.img)
grep -q "protective MBR record starts at LBA 63" <<<"$out" && grep -q "^#1: 2048" <<<"$out" && pass "C010: GPT found, PMBR flagged as non-conformant" || fail "C010 probe" "$out"
backup p.img p.qcow2; rm -f t.img; truncate -s 32M t.img; restore p.qcow2 t.img $((32*MiB))
s=$(od -An -tu4 -j $((0x1C6)) -N4 t.img | tr -d ' ')
[ "$s" = 1 ] && gpt_ok t.img && pass "C010: restore writes a conformant PMBR (start 1), sgdisk -v clean" || fail "C010 restore" "start=$s"

# ---- C012: hybrid MBR kept byte for byte ----
truncate -s 64M h.img
sgdisk -o -n1:2048:+16M -t1:0700 -n2:0:0 -t2:8300 h.img >/dev/null; sgdisk -h 1 h.img >/dev/null
out=$("$P" pt h.img)
grep -q "hybrid MBR" <<<"$out" && pass "C012: reported as hybrid MBR, not protective" || fail "C012 probe" "$out"
backup h.img h.qcow2; rm -f t.img; truncate -s 96M t.img; restore h.qcow2 t.img $((96*MiB))
cmp -s <(head -c 512 h.img) <(head -c 512 t.img) && gpt_ok t.img && pass "C012: sector 0 (hybrid MBR) identical after restore onto a larger disk" || fail "C012 restore"

# ---- C013: stale MBR + unrelated GPT: imaged raw, both kept ----
truncate -s 64M c13.img mbrsrc.img
printf 'label: dos\nstart=2048,size=4096,type=83\nstart=8192,size=4096,type=7\n' | sfdisk -q mbrsrc.img
sgdisk -o -n1:20480:+8M c13.img >/dev/null
dd if=mbrsrc.img of=c13.img bs=512 count=1 conv=notrunc status=none     # the stale MBR back
head -c 1000000 /dev/urandom | dd of=c13.img bs=512 seek=2048 conv=notrunc status=none
out=$("$P" plan c13.img)
grep -q "raw=1" <<<"$out" && grep -q "disagree" <<<"$out" && pass "C013: MBR and GPT disagree: reported, whole disk imaged raw, source untouched" || fail "C013 plan" "$out"
backup c13.img c13.qcow2; rm -f t.img; truncate -s 64M t.img; restore c13.qcow2 t.img $((64*MiB))
same_bytes "C013: every byte restored (both tables and data)" c13.img t.img

# ---- C014: MBR entry past the last LBA ----
truncate -s 24M e.img
printf 'label: dos\nstart=2048,size=4096,type=83\n' | sfdisk -q e.img
python3 -c "import struct,sys; f=open('e.img','r+b'); f.seek(0x1CA); f.write(struct.pack('<I',0x10000000))"
out=$("$P" plan e.img)
grep -q "partition 1 (LBA 2048-268437503) extends beyond the device end (LBA 49151) by 268388352 sectors" <<<"$out" && grep -q "raw=1" <<<"$out" && pass "C014: 'extends beyond the device end by N sectors', imaged raw" || fail "C014" "$out"

# ---- C016: 4 KiB sectors, 64-entry GPT, restored onto a larger disk ----
if need_root && l=$(losetup -b 4096 -f --show "$(truncate -s 64M g4.img; echo g4.img)" 2>/dev/null); then
	printf 'label: gpt\ntable-length: 64\nstart=256,size=2048\nstart=4096,size=4096\n' | sfdisk -q "$l" 2>/dev/null
	losetup -d "$l"
	out=$("$P" pt g4.img)
	grep -q "sector size: 4096" <<<"$out" && grep -q "^#2: 4096 4096" <<<"$out" && pass "C016: 4Kn GPT read with 4096-byte sectors" || fail "C016 probe" "$out"
	backup g4.img g4.qcow2; rm -f t.img; truncate -s 96M t.img; restore g4.qcow2 t.img $((96*MiB))
	# backup array = 16 KiB (4 sectors) before the last LBA, whatever the count
	hdr=$(python3 -c "
import struct; f=open('t.img','rb'); f.seek(-4096,2); h=f.read(92)
print(h[:8]==b'EFI PART', struct.unpack('<Q',h[24:32])[0], struct.unpack('<Q',h[72:80])[0])")
	l=$(losetup -b 4096 -f --show t.img); v=$(sfdisk --verify "$l" 2>&1); sg=$(sgdisk -v "$l" 2>&1); losetup -d "$l"
	if [ "$hdr" = "True 24575 24571" ] && grep -q "No errors detected" <<<"$v" && grep -q "No problems found" <<<"$sg"; then
		pass "C016: backup header at LBA 24575, array at 24571 (16 KiB reserve, not 2 sectors for 64 entries), sfdisk --verify and sgdisk -v clean on a 4096-byte loop device"
	else fail "C016 restore" "$hdr / $v / $sg"; fi
else
	skip "C016: 4Kn GPT" "needs root for losetup -b 4096 (this sfdisk has no --sector-size)"
fi

# ---- C017: empty entry in the middle ----
truncate -s 64M gap.img; sgdisk -o -n1:2048:+8M -n2:0:+8M -n3:0:+8M gap.img >/dev/null; sgdisk -d1 gap.img >/dev/null
out=$("$P" pt gap.img)
grep -q "^#2: 18432 16384" <<<"$out" && grep -q "^#3: 34816 16384" <<<"$out" && pass "C017: entries 2 and 3 found behind the empty entry 1, numbers kept" || fail "C017 probe" "$out"
backup gap.img gap.qcow2; rm -f t.img; truncate -s 80M t.img; restore gap.qcow2 t.img $((80*MiB))
sfdisk -d t.img | grep -q "t.img2 : start=       18432" && gpt_ok t.img && pass "C017: restored, partition still number 2" || fail "C017 restore" "$(sfdisk -d t.img)"

# ---- C020/C021: data in the post-MBR gap, unusual partition order ----
truncate -s 64M c21.img
printf 'label: dos\nstart=102400,size=8192,type=83\nstart=2048,size=8192,type=83\n' | sfdisk -q -f c21.img
head -c 1047552 /dev/urandom | dd of=c21.img bs=512 seek=1 conv=notrunc status=none
backup c21.img c21.qcow2; rm -f t.img; truncate -s 64M t.img; restore c21.qcow2 t.img $((64*MiB))
if cmp -s <(head -c $MiB c21.img) <(head -c $MiB t.img) && [ "$(starts c21.img | sed 's/c21.img//')" = "$(starts t.img | sed 's/t.img//')" ]; then
	pass "C020/C021: the whole post-MBR gap (LBA 1-2047) restored byte-identical, entry order kept"
else fail "C021" "first MiB differs or order changed"; fi

# ---- C023: filesystem on the whole disk, no table ----
truncate -s 64M raw.img; mkfs.ext4 -q -F raw.img
truncate -s 64M raw2.img; mkfs.vfat -I raw2.img >/dev/null
for f in raw.img raw2.img; do
	out=$("$P" plan $f)
	if grep -q "^table: none raw=0" <<<"$out" && grep -q "part 0 .*mode=used-blocks" <<<"$out"; then pass "C023 $f: no table, filesystem on the whole disk imaged by used blocks"
	else fail "C023 $f" "$out"; fi
done

# ---- identity: kept by default, new with --new-ids (C072/C074) ----
rm -f t.img; truncate -s 64M t.img
restore g.qcow2 t.img $((64*MiB))
same=$(sgdisk -p t.img | grep "Disk identifier"); orig=$(sgdisk -p g.img | grep "Disk identifier")
[ "$same" = "$orig" ] && pass "identity kept by default: same disk GUID" || fail "identity kept" "$same vs $orig"
rm -f t.img; truncate -s 64M t.img
"$L" restore g.qcow2 t.img --yes --new-ids --offset 0 --length $((64*MiB)) >"$T/log" 2>&1
new=$(sgdisk -p t.img | grep "Disk identifier"); p1a=$(sgdisk -i 1 g.img | grep "unique GUID"); p1b=$(sgdisk -i 1 t.img | grep "unique GUID")
if [ "$new" != "$orig" ] && [ "$p1a" != "$p1b" ] && gpt_ok t.img && [ "$(starts g.img | sed 's/g.img//;s/uuid=.*//')" = "$(starts t.img | sed 's/t.img//;s/uuid=.*//')" ]; then
	pass "--new-ids: new disk and partition GUIDs, same layout, sgdisk -v clean"
else fail "--new-ids" "$new / $p1b $(tail -1 "$T/log")"; fi

# ---- C072/C074: a clone says it shares the source's identity ----
sgdisk -o -n1:2048:+20M -t1:ef00 -n2:0:0 -t2:0700 w.img >/dev/null 2>&1 || { truncate -s 64M w.img; sgdisk -o -n1:2048:+20M -t1:ef00 -n2:0:0 -t2:0700 w.img >/dev/null; }
rm -f c.img; "$L" clone w.img c.img --yes >"$T/log" 2>&1
g1=$(sgdisk -p w.img | grep "Disk identifier"); g2=$(sgdisk -p c.img | grep "Disk identifier")
[ "$g1" = "$g2" ] && grep -q "same disk GUID .* do not attach both" "$T/log" && pass "C072: clone keeps the disk GUID and says not to attach both" || fail "C072 keep" "$(tail -2 "$T/log")"
rm -f c.img; "$L" clone w.img c.img --yes --new-ids >"$T/log" 2>&1
g2=$(sgdisk -p c.img | grep "Disk identifier")
[ "$g1" != "$g2" ] && ! grep -q "same disk GUID" "$T/log" && gpt_ok c.img && pass "C072: clone --new-ids: own disk GUID, sgdisk -v clean" || fail "C072 new" "$(tail -2 "$T/log")"

# ---- C053: an NTFS partition image restored into a larger partition ----
truncate -s 32M n32.img; mkntfs -Q -F n32.img >/dev/null 2>&1; ntfscp -q n32.img /usr/bin/bash bash >/dev/null 2>&1
"$L" backup n32.img n32.qcow2 --force >/dev/null 2>&1
truncate -s 64M big.img; sgdisk -o -n1:2048:+48M -t1:0700 big.img >/dev/null
"$L" restore n32.qcow2 big.img --partition 1 --yes >"$T/log" 2>&1
dd if=big.img of=q.img bs=512 skip=2048 count=98304 status=none
if ntfsfix -n q.img >/dev/null 2>&1 && ntfscat q.img /bash 2>/dev/null | cmp -s - /usr/bin/bash; then pass "C053: NTFS restored into a larger partition keeps its size and backup boot sector: ntfsfix -n clean, file identical"
else fail "C053" "$(tail -1 "$T/log")"; fi

# ---- C009 onto a disk of the cut size: restore succeeds and says why the
# backup GPT could not be added (no room after the last partition) ----
rm -f t.img
"$L" restore c9.qcow2 t.img --yes >"$T/log" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "no room for a backup GPT after the last partition" "$T/log" && cmp -s -i 512 c9.img t.img && pass "C009 onto the same cut size: restored (all but the corrected PMBR byte-identical), says there is no room for a backup GPT" || fail "C009 same size" "rc=$rc $(tail -2 "$T/log")"

# ---- SECTOR: a 512-byte-sector table onto a 4096-byte-sector disk ----
if need_root; then
	rm -f t.img; truncate -s 64M t.img; before=$(sha256sum <t.img)
	lo=$(losetup -b 4096 -f --show t.img)
	"$L" restore g.qcow2 "$lo" --yes >"$T/log" 2>&1; rc1=$?
	"$L" clone g.img "$lo" --yes >"$T/log2" 2>&1; rc2=$?
	losetup -d "$lo"
	if [ $rc1 = 3 ] && [ $rc2 = 3 ] && grep -q "uses 512-byte sectors but the target has 4096-byte" "$T/log" && [ "$before" = "$(sha256sum <t.img)" ]; then
		pass "SECTOR: restore and clone of a 512-byte-sector table onto a 4Kn disk refused before writing, target unchanged"
	else fail "SECTOR 512 onto 4Kn" "rc=$rc1/$rc2 $(tail -1 "$T/log")"; fi
else skip "SECTOR 512 onto 4Kn" "needs root for losetup -b 4096"; fi

# ---- a damaged primary GPT: imaged, restored as it was, with a warning ----
cp g.img gb.img; printf 'X' | dd of=gb.img bs=1 seek=$((512 + 60)) conv=notrunc status=none
out=$("$P" pt gb.img)
grep -q "primary GPT at LBA 1 is invalid (header CRC32 mismatch); using the backup" <<<"$out" && pass "damaged primary GPT: reported by name, backup used" || fail "damaged primary probe" "$out"
backup gb.img gb.qcow2; rm -f t.img
"$L" restore gb.qcow2 t.img --yes >"$T/log" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "primary GPT is damaged" "$T/log" && cmp -s gb.img t.img && pass "damaged primary GPT: restore completes byte-identical and says the table was left as written" || fail "damaged primary restore" "rc=$rc $(tail -1 "$T/log")"
