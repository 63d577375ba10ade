#!/usr/bin/env bash
# Split images: --split writes IMAGE, IMAGE.001, ... that every command
# reads directly and that `cat` joins into one valid qcow2 (case C065); a
# truncated or missing piece is named (case C070).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/image_lib.sh"
L=$LIFEBOAT
export SOURCE_DATE_EPOCH=1700000000

{ for i in $(seq 1 20000); do echo "split test line $i"; done; head -c 6M /dev/urandom; } >"$T/src.img"
truncate -s 24M "$T/src.img"
expect_rc "backup --split 1M exits 0" 0 "$L" backup "$T/src.img" "$T/s.qcow2" --raw --split 1M
n=$(ls "$T"/s.qcow2* | wc -l)
if [ "$n" -ge 5 ] && [ -e "$T/s.qcow2.001" ] && [ ! -e "$T/s.qcow2.part" ]; then pass "pieces s.qcow2, s.qcow2.001 ... ($n)"; else fail "pieces" "$(ls "$T")"; fi
big=$(for f in "$T"/s.qcow2*; do stat -c %s "$f"; done | sort -n | tail -1)
if [ "$big" -le 1048576 ]; then pass "no piece is larger than 1 MiB"; else fail "no piece is larger than 1 MiB" "$big"; fi
expect_rc "info reads the split set" 0 "$L" info "$T/s.qcow2"
if grep -q "$n piece" "$T/out"; then pass "info counts the pieces"; else fail "info counts the pieces" "$(cat "$T/out")"; fi
expect_rc "verify reads the split set" 0 "$L" verify "$T/s.qcow2" --against "$T/src.img"
expect_rc "restore reads the split set" 0 "$L" restore "$T/s.qcow2" "$T/s.out" --yes
same_bytes "restore of the split set is identical" "$T/src.img" "$T/s.out"
cat "$T"/s.qcow2* >"$T/joined.qcow2"
qcheck "cat of the pieces passes qemu-img check" "$T/joined.qcow2"
qcompare "cat of the pieces equals the source" "$T/joined.qcow2" "$T/src.img"

# Damaged sets.
cp "$T/s.qcow2.002" "$T/keep"
truncate -s -100 "$T/s.qcow2.002"
expect_rc "truncated piece: verify exits 6" 6 "$L" verify "$T/s.qcow2"
says "truncated piece: names the piece" "s.qcow2.002"
mv "$T/keep" "$T/s.qcow2.002"; mv "$T/s.qcow2.003" "$T/keep"
expect_rc "missing piece: restore exits 6" 6 "$L" restore "$T/s.qcow2" "$T/m.out" --yes
says "missing piece: names the piece" "s.qcow2.003"
if [ -e "$T/m.out" ]; then fail "missing piece: nothing written" "$T/m.out exists"; else pass "missing piece: nothing written"; fi
mv "$T/keep" "$T/s.qcow2.003"
expect_rc "set whole again: verify exits 0" 0 "$L" verify "$T/s.qcow2"

# A FAT32 destination splits by itself at 4 GiB - 1 (root: loop mount).
if need_root && have mkfs.vfat && truncate -s 64M "$T/fat.img" && mkfs.vfat -F 32 "$T/fat.img" >/dev/null 2>&1 &&
   mkdir -p "$T/fat" && mount -o loop "$T/fat.img" "$T/fat" 2>/dev/null; then
	on_exit "umount $T/fat"
	expect_rc "backup onto FAT32 exits 0" 0 "$L" backup "$T/src.img" "$T/fat/f.qcow2" --raw
	expect_rc "image on FAT32 verifies" 0 "$L" verify "$T/fat/f.qcow2" --against "$T/src.img"
	expect_rc "image on FAT32: info" 0 "$L" info "$T/fat/f.qcow2"
else
	skip "FAT32 destination" "cannot mount FAT32 here (needs root, a loop device and the vfat module)"
fi

# Replacing a split set with a shorter one leaves no stale pieces behind
# (they would join it under `cat s.qcow2*`).
expect_rc "overwrite with larger pieces exits 0" 0 "$L" backup "$T/src.img" "$T/s.qcow2" --raw --split 8M --force
n2=$(ls "$T"/s.qcow2* | wc -l)
if [ "$n2" -lt "$n" ] && [ ! -e "$T/s.qcow2.00$n2" ]; then pass "no stale pieces after a shorter set ($n2 pieces)"; else fail "no stale pieces" "$(ls "$T")"; fi
cat "$T"/s.qcow2* >"$T/joined2.qcow2"
qcompare "cat of the new set equals the source" "$T/joined2.qcow2" "$T/src.img"
