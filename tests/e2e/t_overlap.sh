#!/usr/bin/env bash
# t_overlap.sh — rule 1, every name for the same bytes (trial findings 1
# and 2): backup, restore and clone refuse with exit 3, naming both paths,
# when what they write is the source (or image) being read or overlaps its
# bytes: the same file, a loop device over it (also at an offset, a
# partition of the disk inside the source), its backing file, a device node
# as the image.  After each refusal the source's sha256 and the device
# node's type (stat -c %F) are unchanged.  Needs root and loop devices.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

# refused NAME WATCHED_FILE NODE -- CMD...: exit 3, the words, bytes and
# the node's type unchanged.
refused() {
	local name=$1 src=$2 node=$3 before ntype out rc; shift 4
	before=$(sha "$src"); ntype=$(stat -c %F "$node")
	out=$("$@" 2>&1 </dev/null); rc=$?
	if [ $rc != 3 ]; then fail "$name" "exit $rc, wanted 3: $(echo "$out" | tail -1)"; return; fi
	[[ $out == *"refusing to write"* ]] || { fail "$name" "no reason in: $(echo "$out" | tail -1)"; return; }
	[ "$(sha "$src")" = "$before" ] || { fail "$name" "the source's bytes changed"; return; }
	[ "$(stat -c %F "$node")" = "$ntype" ] || { fail "$name" "$node is now a $(stat -c %F "$node")"; return; }
	pass "$name"
}

if ! have_loop; then
	skip "rule 1 through loop devices" "needs root and working loop devices (losetup)"
	exit 0
fi
if ! make_gpt_disk "$T/disk.img" 64; then
	skip "rule 1 through loop devices" "cannot build the GPT disk (sgdisk, mkfs.vfat, mtools, mkfs.ext4)"
	exit 0
fi
cp "$T/disk.img" "$T/src2.img"; cp "$T/disk.img" "$T/src3.img"
attach "$T/src2.img" || { skip "rule 1 through loop devices" "losetup failed"; exit 0; }
L2=$LOOP
L3=$(losetup -f --show -o 2M "$T/src3.img") || { skip "rule 1 (offset loop)" "losetup -o failed"; exit 0; }
on_exit "losetup -d $L3"

refused "backup onto the source file itself (--force)" "$T/disk.img" "$T/disk.img" -- \
	"$LIFEBOAT" backup "$T/disk.img" "$T/disk.img" --force
refused "backup of a loop device onto its own node (--force)" "$T/src2.img" "$L2" -- \
	"$LIFEBOAT" backup "$L2" "$L2" --force
refused "backup of a loop device onto its backing file (--force)" "$T/src2.img" "$L2" -- \
	"$LIFEBOAT" backup "$L2" "$T/src2.img" --force
refused "backup of a file onto a loop device over it (--force)" "$T/src2.img" "$L2" -- \
	"$LIFEBOAT" backup "$T/src2.img" "$L2" --force
refused "backup image that is a device node is refused" "$T/disk.img" "$L2" -- \
	"$LIFEBOAT" backup "$T/disk.img" "$L2" --force
refused "clone of partition 1 onto a loop device over the source at 2 MiB" "$T/src3.img" "$L3" -- \
	"$LIFEBOAT" clone "$T/src3.img" "$L3" --partition 1 --yes
refused "clone of a loop device onto its backing file" "$T/src2.img" "$L2" -- \
	"$LIFEBOAT" clone "$L2" "$T/src2.img" --yes
refused "clone of a file onto a loop device over it" "$T/src2.img" "$L2" -- \
	"$LIFEBOAT" clone "$T/src2.img" "$L2" --yes

# restore: the target is a loop device over the image being read
"$LIFEBOAT" backup "$T/disk.img" "$T/d.qcow2" >/dev/null 2>&1 || fail "backup for the restore cases" "exit $?"
cp "$T/d.qcow2" "$T/dd.qcow2"
L4=$(losetup -f --show "$T/dd.qcow2") && on_exit "losetup -d $L4"
refused "restore onto a loop device over the image itself" "$T/dd.qcow2" "$L4" -- \
	"$LIFEBOAT" restore "$T/dd.qcow2" "$L4" --yes
refused "restore onto the image file itself" "$T/dd.qcow2" "$T/dd.qcow2" -- \
	"$LIFEBOAT" restore "$T/dd.qcow2" "$T/dd.qcow2" --yes

# The refusal names both paths.
out=$("$LIFEBOAT" clone "$L2" "$T/src2.img" --yes 2>&1)
[[ $out == *"$L2"* && $out == *"src2.img"* ]] && pass "the refusal names both paths" ||
	fail "the refusal names both paths" "$(echo "$out" | tail -1)"
# Apart is fine: a loop device over another file takes a clone.
cp "$T/disk.img" "$T/other.img"; attach "$T/other.img"
out=$("$LIFEBOAT" clone "$T/src3.img" "$LOOP" --yes 2>&1) && cmp -s "$T/src3.img" "$T/other.img" &&
	pass "clone onto a loop device over another file still works" ||
	fail "clone onto a loop device over another file still works" "$(echo "$out" | tail -1)"
