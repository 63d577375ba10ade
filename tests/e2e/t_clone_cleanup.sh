#!/usr/bin/env bash
# t_clone_cleanup.sh — a clone that fails removes the target file it
# created (as a failed restore does), so no half-written copy is left to
# look like a good one; a file that existed before is kept (its size and
# the bytes past the copied range unchanged), and a failed clone onto a
# loop device leaves the device node in place.  The failure is a read
# error of the source injected with the fault backend at sector 100.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

head -c 4M /dev/urandom >"$T/src.img"
printf '0 ? 1\n0x%x 0x200 -\n' $((100 * 512)) >"$T/bad.map"
clone() { LIFEBOAT_FAULT_MAP=$T/bad.map "$LIFEBOAT" clone "fault:$T/src.img" "$@" --yes 2>&1; }

out=$(clone "$T/new.img"); rc=$?
if [ $rc = 4 ] && [ ! -e "$T/new.img" ] && [[ $out == *"new.img was removed (this clone had created it)"* ]]; then
	pass "a failed clone removes the file it created and says so (exit 4)"
else
	fail "a failed clone removes the file it created and says so (exit 4)" "exit $rc, $(ls "$T" | tr '\n' ' ') $out"
fi

head -c 6M /dev/urandom >"$T/old.img"
tail -c 2M "$T/old.img" >"$T/old.tail"
out=$(clone "$T/old.img"); rc=$?
if [ $rc = 4 ] && [ -f "$T/old.img" ] && [ "$(stat -c %s "$T/old.img")" = 6291456 ] &&
   tail -c 2M "$T/old.img" | cmp -s - "$T/old.tail" && [[ $out != *removed* ]]; then
	pass "a failed clone keeps a file that existed before"
else
	fail "a failed clone keeps a file that existed before" "exit $rc, $out"
fi

# control: the same clone without the fault succeeds and keeps its file
if "$LIFEBOAT" clone "$T/src.img" "$T/ok.img" --yes >/dev/null 2>&1 && cmp -s "$T/src.img" "$T/ok.img"; then
	pass "control: a clone that succeeds keeps the file it created"
else
	fail "control: a clone that succeeds keeps the file it created"
fi

if ! have_loop; then
	skip "a failed clone onto a loop device leaves the device" "needs root and working loop devices (losetup)"
	exit 0
fi
truncate -s 8M "$T/disk.img"
if attach "$T/disk.img"; then
	out=$(clone "$LOOP"); rc=$?
	[ $rc = 4 ] && [ -b "$LOOP" ] && [[ $out != *removed* ]] &&
		pass "a failed clone onto a loop device leaves the device" ||
		fail "a failed clone onto a loop device leaves the device" "exit $rc, $out"
else
	skip "a failed clone onto a loop device leaves the device" "losetup failed"
fi
