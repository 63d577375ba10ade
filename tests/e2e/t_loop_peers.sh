#!/usr/bin/env bash
# t_loop_peers.sh — trial 2 F7: two loop devices over overlapping bytes of
# one file are the same bytes.  With a filesystem mounted through one of
# them (partition 2 of a GPT disk file, at its offset), a restore or clone
# into the other (the whole file) is refused with exit 3 naming the mounted
# device and its mount point, and the disk's first MiB is unchanged; a
# backup of the whole-file loop device, or of the file itself, is refused
# without --force (mounted read-write) and goes on with it; a loop device
# over bytes that do not overlap (partition 1) may still be written; after
# the unmount the whole-file loop device may be written again.  The
# clone --partition case is the trial's own command; a mounted target too
# small for the image hears of the mount first.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

if ! have_loop; then
	skip "loop devices sharing a backing file" "needs root and working loop devices (losetup)"
	exit 0
fi
if ! make_gpt_disk "$T/gm.img" 96; then
	skip "loop devices sharing a backing file" "could not build the GPT test disk (sgdisk, mkfs.vfat, mtools)"
	exit 0
fi
head -c 8M /dev/urandom >"$T/small.img"
cp "$T/gm.img" "$T/src2.img"
"$LIFEBOAT" backup "$T/small.img" "$T/small.qcow2" >/dev/null 2>&1 || fail "backup of the small image" "exit $?"
P2=$((P2_SECTOR * 512))
attach "$T/gm.img" && LM=$LOOP
LP=$(losetup -f --show -o $P2 "$T/gm.img" 2>/dev/null) && on_exit "losetup -d $LP"
L1=$(losetup -f --show -o $((2048 * 512)) --sizelimit $((40 * 1048576)) "$T/gm.img" 2>/dev/null) && on_exit "losetup -d $L1"
mkdir -p "$T/mnt"
if [ -z "${LM:-}" ] || [ -z "${LP:-}" ] || [ -z "${L1:-}" ] || ! mount "$LP" "$T/mnt"; then
	skip "loop devices sharing a backing file" "could not attach and mount the loop devices"
	exit 0
fi
on_exit "umount $T/mnt"
head1() { head -c 1M "$T/gm.img" | sha256sum; }
before=$(head1)

# refused NAME -- CMD...: exit 3, names the mounted peer and the mount point
refused() {
	local name=$1 out rc; shift 2
	out=$("$@" 2>&1 </dev/null); rc=$?
	if [ $rc != 3 ]; then fail "$name" "exit $rc, wanted 3: $(echo "$out" | tail -1)"; return; fi
	[[ $out == *"$LP"* && $out == *"$T/mnt"* ]] || { fail "$name" "does not name $LP and $T/mnt: $(echo "$out" | tail -1)"; return; }
	[ "$(head1)" = "$before" ] || { fail "$name" "the disk file's first MiB changed"; return; }
	pass "$name"
}
refused "clone into a loop device sharing bytes with a mounted one is refused" -- \
	"$LIFEBOAT" clone "$T/small.img" "$LM" --yes
refused "clone --partition 2 into it is refused" -- \
	"$LIFEBOAT" clone "$T/src2.img" "$LM" --partition 2 --yes
refused "restore into it is refused" -- "$LIFEBOAT" restore "$T/small.qcow2" "$LM" --yes
refused "restore into the backing file itself is refused" -- "$LIFEBOAT" restore "$T/small.qcow2" "$T/gm.img" --yes
"$LIFEBOAT" backup "$T/src2.img" "$T/g.qcow2" >/dev/null 2>&1 || fail "backup of the GPT disk copy" "exit $?"
refused "restore onto the mounted loop device itself is refused" -- "$LIFEBOAT" restore "$T/g.qcow2" "$LP" --yes
out=$("$LIFEBOAT" restore "$T/g.qcow2" "$LP" --yes 2>&1)
[[ $out == *"mounted at $T/mnt"* && $out != *"too small"* && $out != *"needs at least"* ]] &&
	pass "a mounted target too small for the image is refused for the mount, not the size" ||
	fail "a mounted target too small for the image is refused for the mount, not the size" "$(echo "$out" | tail -1)"
refused "backup of the whole-file loop device is refused without --force" -- \
	"$LIFEBOAT" backup "$LM" "$T/b1.qcow2"
refused "backup of the disk file backing the mounted loop device is refused without --force" -- \
	"$LIFEBOAT" backup "$T/gm.img" "$T/b2.qcow2"
out=$("$LIFEBOAT" backup "$LM" "$T/b3.qcow2" --force 2>&1); rc=$?
[ $rc = 0 ] && [ -s "$T/b3.qcow2" ] && pass "backup with --force goes on" ||
	fail "backup with --force goes on" "exit $rc: $(echo "$out" | tail -1)"
[[ $out == *"warning:"*"mounted read-write at $T/mnt"*"(going on: --force)"* ]] &&
	pass "backup with --force prints the mounted read-write warning" ||
	fail "backup with --force prints the mounted read-write warning" "$(echo "$out" | head -2)"
out=$("$LIFEBOAT" restore "$T/small.qcow2" "$L1" --yes 2>&1); rc=$?
[ $rc = 0 ] && cmp -s -n 8388608 "$T/small.img" "$L1" && pass "a loop device over bytes that do not overlap the mount may be written" ||
	fail "a loop device over bytes that do not overlap the mount may be written" "exit $rc: $(echo "$out" | tail -1)"
umount "$T/mnt"
out=$("$LIFEBOAT" restore "$T/small.qcow2" "$LM" --yes 2>&1); rc=$?
[ $rc = 0 ] && cmp -s -n 8388608 "$T/small.img" "$LM" && pass "after the unmount the whole-file loop device may be written" ||
	fail "after the unmount the whole-file loop device may be written" "exit $rc: $(echo "$out" | tail -1)"
