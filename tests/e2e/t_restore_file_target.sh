#!/usr/bin/env bash
# t_restore_file_target.sh — regular-file restore targets (trial findings
# 5 and 6): a larger existing file is a disk of that size — never shrunk,
# --grow-last grows the last partition to its end (sgdisk -v clean), also
# for clone; --grow-last that can do nothing says so; a restore that fails
# into a file it created removes the file and says so; a failing restore
# into an existing file leaves the file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

have sgdisk || { skip "regular-file restore targets" "needs sgdisk"; exit 0; }
make_gpt_disk "$T/disk.img" 64 || { skip "regular-file restore targets" "cannot build the GPT disk"; exit 0; }
"$LIFEBOAT" backup "$T/disk.img" "$T/d.qcow2" >/dev/null 2>&1 || fail "backup" "exit $?"

for job in restore clone; do
	src=$T/d.qcow2; [ $job = clone ] && src=$T/disk.img
	truncate -s 100M "$T/big-$job.img"
	out=$("$LIFEBOAT" $job "$src" "$T/big-$job.img" --yes --grow-last 2>&1)
	sz=$(stat -c %s "$T/big-$job.img")
	[ "$sz" = 104857600 ] && pass "$job onto a larger file keeps its size" ||
		fail "$job onto a larger file keeps its size" "now $sz bytes: $(echo "$out" | tail -1)"
	last=$(sgdisk -i2 "$T/big-$job.img" | awk '/Last sector/{print $3}')
	[ "$last" = 204766 ] && pass "$job --grow-last grows the last partition to the file's end" ||
		fail "$job --grow-last grows the last partition to the file's end" "last sector $last"
	sgdisk -v "$T/big-$job.img" | grep -q "No problems found" && pass "$job onto a larger file: sgdisk -v clean" ||
		fail "$job onto a larger file: sgdisk -v clean" "$(sgdisk -v "$T/big-$job.img" | head -3)"
done
cmp -s <(dd if="$T/disk.img" bs=1M skip=1 count=40 status=none) <(dd if="$T/big-restore.img" bs=1M skip=1 count=40 status=none) &&
	pass "the restored partition 1 is byte for byte the source's" || fail "the restored partition 1 is byte for byte the source's"
cp "$T/disk.img" "$T/same.img"
out=$("$LIFEBOAT" restore "$T/d.qcow2" "$T/same.img" --yes --grow-last 2>&1)
[[ $out == *"--grow-last grew nothing"* ]] && pass "--grow-last with no room says so" ||
	fail "--grow-last with no room says so" "$(echo "$out" | tail -2)"

# A split image with two pieces swapped fails the restore (exit 6).
head -c 30M /dev/urandom >"$T/r30.img"
mkdir -p "$T/sp"; "$LIFEBOAT" backup "$T/r30.img" "$T/sp/s.qcow2" --split 10M >/dev/null 2>&1
if [ -e "$T/sp/s.qcow2.002" ]; then
	mv "$T/sp/s.qcow2.001" "$T/sp/t"; mv "$T/sp/s.qcow2.002" "$T/sp/s.qcow2.001"; mv "$T/sp/t" "$T/sp/s.qcow2.002"
	out=$("$LIFEBOAT" restore "$T/sp/s.qcow2" "$T/sp_out.img" --yes 2>&1); rc=$?
	[ $rc = 6 ] && [ ! -e "$T/sp_out.img" ] && [[ $out == *"was removed"* ]] &&
		pass "a failed restore removes the file it created, and says so" ||
		fail "a failed restore removes the file it created, and says so" "exit $rc, $(ls "$T" | grep sp_out) $(echo "$out" | tail -1)"
	truncate -s 1M "$T/keep.img"
	"$LIFEBOAT" restore "$T/sp/s.qcow2" "$T/keep.img" --yes >/dev/null 2>&1; rc=$?
	[ $rc = 6 ] && [ -e "$T/keep.img" ] && pass "a failed restore leaves an existing target file" ||
		fail "a failed restore leaves an existing target file" "exit $rc"
else skip "a failed restore removes the file it created" "backup --split 10M made no second piece"; fi
