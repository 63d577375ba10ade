#!/usr/bin/env bash
# `lifeboat probe DISK`: the table, each partition's filesystem and the
# mode a backup would give it, in words; it reads only.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
truncate -s 64M d.img
sgdisk -o -n1:2048:+16M -t1:0700 -n2:0:+16M -t2:8300 -n3:0:+8M -t3:8200 d.img >/dev/null
truncate -s 16M p1.img; mkfs.vfat -n LBTEST p1.img >/dev/null
truncate -s 16M p2.img; mkfs.ext4 -q -F -L lbext p2.img; debugfs -w -R 'feature needs_recovery' p2.img >/dev/null 2>&1
dd if=p1.img of=d.img bs=512 seek=2048 conv=notrunc status=none
dd if=p2.img of=d.img bs=512 seek=34816 conv=notrunc status=none
before=$(sha256sum <d.img)
out=$("$LIFEBOAT" probe d.img 2>&1); rc=$?
[ $rc = 0 ] && grep -q "^table: gpt, sector size: 512" <<<"$out" && pass "probe: names the GPT and its sector size" || fail "probe table" "rc=$rc $out"
grep -q 'partition 1: start 1048576, 16777216 bytes, vfat label "LBTEST".*used-blocks' <<<"$out" && pass "probe: FAT partition with label, used-blocks" || fail "probe p1" "$out"
grep -q 'partition 2: .*ext4 label "lbext".*raw.*journal needs recovery' <<<"$out" && pass "probe: unrecovered ext4 gets raw with the reason" || fail "probe p2" "$out"
grep -q 'partition 3: .*unknown .*raw.*no filesystem recognised' <<<"$out" && pass "probe: empty partition raw, 'no filesystem recognised'" || fail "probe p3" "$out"
[ "$before" = "$(sha256sum <d.img)" ] && pass "probe: the disk is unchanged" || fail "probe wrote to the disk"
"$LIFEBOAT" probe >/dev/null 2>&1; [ $? = 2 ] && pass "probe without DISK: usage error, exit 2" || fail "probe usage exit code"
"$LIFEBOAT" backup d.img d.qcow2 --force >out 2>&1
grep -q "partition 1 (vfat): used-blocks" out && grep -q "partition 2 (ext4): raw.*journal needs recovery" out && pass "backup: says each partition's mode and why as it starts" || fail "backup mode lines" "$(head -3 out)"
"$LIFEBOAT" info d.qcow2 >out 2>&1
grep -A1 "partition 2 (ext4): " out | grep -q "mode raw (every byte stored): .*journal needs recovery" && grep -A1 "partition 1 (vfat): 16.0 MiB at byte 1048576" out | grep -q "mode used-blocks" && pass "info: shows the recorded mode of each partition and why" || fail "info modes" "$(grep -A6 'imaged as' out)"
