#!/usr/bin/env bash
# t_reread_table.sh — after restore or clone writes a whole disk the
# kernel is asked to re-read its partition table (BLKRRPART, case C005):
# on a loop device with partition scanning (losetup -P) the job succeeds
# without a "did not re-read" line and, where this kernel makes partition
# nodes for loop devices, /dev/loopNp1 and p2 exist right after the job; on
# a loop device without scanning the kernel refuses (EINVAL) and the job
# still succeeds, saying the table will be seen after a reboot.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

if ! have_loop; then skip "partition table re-read" "needs root and working loop devices (losetup)"; exit 0; fi
make_gpt_disk "$T/disk.img" 64 || { skip "partition table re-read" "cannot build the GPT disk"; exit 0; }
"$LIFEBOAT" backup "$T/disk.img" "$T/d.qcow2" >/dev/null 2>&1 || fail "backup" "exit $?"

truncate -s 64M "$T/t1.img"
L=$(losetup -f --show -P "$T/t1.img") || { skip "partition table re-read" "losetup -P failed"; exit 0; }
on_exit "losetup -d $L"
out=$("$LIFEBOAT" restore "$T/d.qcow2" "$L" --yes 2>&1); rc=$?
[ $rc = 0 ] && [[ $out != *"did not re-read"* ]] && pass "restore onto a scanning loop device re-reads its table" ||
	fail "restore onto a scanning loop device re-reads its table" "exit $rc: $(echo "$out" | tail -2)"
if [ -e "/sys/block/${L#/dev/}/${L#/dev/}p1" ]; then
	[ -b "${L}p1" ] && [ -b "${L}p2" ] && pass "the partition nodes exist right after the restore" ||
		fail "the partition nodes exist right after the restore" "$(ls ${L}p* 2>&1)"
else
	skip "the partition nodes exist right after the restore" "this kernel lists no partitions for ${L#/dev/} (loop devices here get no partition nodes)"
fi
truncate -s 64M "$T/t2.img"
L2=$(losetup -f --show -P "$T/t2.img") && on_exit "losetup -d $L2"
out=$("$LIFEBOAT" clone "$T/disk.img" "$L2" --yes 2>&1); rc=$?
[ $rc = 0 ] && [[ $out != *"did not re-read"* ]] && pass "clone onto a scanning loop device re-reads its table" ||
	fail "clone onto a scanning loop device re-reads its table" "exit $rc: $(echo "$out" | tail -2)"

truncate -s 64M "$T/t3.img"; attach "$T/t3.img"
out=$("$LIFEBOAT" restore "$T/d.qcow2" "$LOOP" --yes 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *"after a reboot"* ]] &&
	pass "a loop device without partition scanning: the job succeeds and says the table is seen after a reboot" ||
	fail "a loop device without partition scanning: the job succeeds and says the table is seen after a reboot" "exit $rc: $(echo "$out" | tail -2)"
cmp -s <(head -c 1M "$T/disk.img") <(head -c 1M "$LOOP") && pass "the table written is the source's" ||
	fail "the table written is the source's"
