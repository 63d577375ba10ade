#!/usr/bin/env bash
# Trial 2 findings F10 and F1 on an ordinary disk: --grow-last with
# --partition is refused (exit 2) instead of being silently ignored, and a
# clone onto a smaller disk says once that every partition fits and, in
# its done line, the bytes it wrote (what the target holds), as restore.
. "$(dirname "$0")/../lib.sh"
export ASAN_OPTIONS=detect_leaks=0
L=$LIFEBOAT
cd "$T" || exit 1
MiB=1048576

truncate -s 64M d.img
printf 'label: gpt\nstart=2048,size=16384\nstart=18432,size=16384\n' | sfdisk -q d.img
truncate -s 8M p2.img; mkfs.ext4 -q -F p2.img
dd if=p2.img of=d.img bs=512 seek=18432 conv=notrunc status=none
"$L" backup d.img p2.qcow2 --partition 2 >log 2>&1 || fail "backup --partition 2" "$(tail -2 log)"
cp d.img t.img; truncate -s 100M t.img; sum=$(sha256sum <t.img)
"$L" restore p2.qcow2 t.img --partition 2 --grow-last --yes >log 2>&1; rc=$?
if [ $rc = 2 ] && grep -q -- "--grow-last grows the last partition of a whole disk; it does not apply with --partition" log &&
   [ "$sum" = "$(sha256sum <t.img)" ]; then
	pass "restore --partition 2 --grow-last: refused (exit 2) with the reason, target unchanged"
else fail "restore --partition --grow-last" "rc=$rc $(cat log)"; fi
"$L" restore p2.qcow2 t.img --offset $((18432*512)) --grow-last --yes >log 2>&1; rc=$?
[ $rc = 2 ] && [ "$sum" = "$(sha256sum <t.img)" ] && pass "restore --offset (nonzero) --grow-last: refused (exit 2)" || fail "restore --offset --grow-last" "rc=$rc $(cat log)"
rm -f c.img; "$L" clone d.img c.img --partition 2 --grow-last --yes >log 2>&1; rc=$?
[ $rc = 2 ] && [ ! -e c.img ] && pass "clone --partition 2 --grow-last: refused (exit 2), no file made" || fail "clone --partition --grow-last" "rc=$rc $(cat log)"
"$L" restore p2.qcow2 t.img --partition 2 --yes >log 2>&1; rc=$?
dd if=t.img of=tp2.img bs=512 skip=18432 count=16384 status=none
if [ $rc = 0 ] && e2fsck -fn tp2.img >/dev/null 2>&1; then
	pass "restore --partition 2 without --grow-last still works (e2fsck -fn clean)"
else fail "restore --partition" "rc=$rc $(tail -2 log)"; fi

if need_root && command -v losetup >/dev/null && truncate -s 40M s.img && LD=$(losetup -f --show s.img 2>/dev/null); then
	"$L" clone d.img "$LD" --yes >log 2>&1; rc=$?
	losetup -d "$LD"
	if [ $rc = 0 ] && grep -q "clone done: .*, $((40*MiB)) bytes" log && [ "$(grep -c 'every partition fits' log)" = 1 ] &&
	   cmp -s <(dd if=s.img bs=512 skip=2048 count=32768 status=none) <(dd if=d.img bs=512 skip=2048 count=32768 status=none); then
		pass "clone onto a smaller 40 MiB disk: 'every partition fits' once, done line says $((40*MiB)) bytes, partitions byte for byte"
	else fail "clone smaller" "rc=$rc $(grep -c 'every partition fits' log) $(grep 'done' log)"; fi
else skip "clone onto a smaller block device" "needs root and a loop device"; fi
