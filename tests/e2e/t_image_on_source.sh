#!/usr/bin/env bash
# t_image_on_source.sh — rule 1: a backup or rescue never writes its image
# onto the source.  Refused with exit 3 and the words "the source", and the
# source's bytes unchanged: the image named as the source file itself
# (also with --force, and through a symlink); with root and loop devices,
# an image inside a filesystem mounted from the source disk (--force past
# the read-write warning), and an image over the file backing the source
# loop device.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

sha() { sha256sum "$1" | cut -d' ' -f1; }
# refused NAME SOURCE -- CMD...
refused() {
	local name=$1 src=$2 before out rc; shift 3
	before=$(sha "$src")
	out=$("$@" 2>&1 </dev/null); rc=$?
	if [ $rc != 3 ]; then fail "$name" "exit $rc, wanted 3: $(echo "$out" | tail -1)"; return; fi
	[[ $out == *"refusing to write"*"the source"* ]] || { fail "$name" "no reason in: $(echo "$out" | tail -1)"; return; }
	[ "$(sha "$src")" = "$before" ] || { fail "$name" "the source's bytes changed"; return; }
	[[ $out != *" done:"* ]] || { fail "$name" "printed a success line"; return; }
	pass "$name"
}

head -c 2M /dev/urandom >"$T/src.img"
refused "backup onto the source file itself is refused" "$T/src.img" -- "$LIFEBOAT" backup "$T/src.img" "$T/src.img"
refused "backup onto the source file with --force is refused" "$T/src.img" -- "$LIFEBOAT" backup "$T/src.img" "$T/src.img" --force
ln -s src.img "$T/link.img"
refused "backup onto a symlink to the source is refused" "$T/src.img" -- "$LIFEBOAT" backup "$T/src.img" "$T/link.img" --force
refused "rescue onto the source file itself is refused" "$T/src.img" -- "$LIFEBOAT" rescue "$T/src.img" "$T/src.img"

if ! have_loop; then
	skip "image on the source disk" "needs root and working loop devices (losetup)"
	exit 0
fi
# Inode tables and journal initialised now: the kernel's ext4lazyinit
# thread would otherwise write them in the background after the mount and
# change the source's bytes under the comparison below (not our writes).
truncate -s 64M "$T/disk.img"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$T/disk.img"
if attach "$T/disk.img" && mkdir -p "$T/m" && mount "$LOOP" "$T/m"; then
	on_exit "umount $T/m"
	sync
	refused "backup into a filesystem on the source disk is refused" "$LOOP" -- \
		"$LIFEBOAT" backup "$LOOP" "$T/m/disk.qcow2" --force
	[ ! -e "$T/m/disk.qcow2" ] && [ ! -e "$T/m/disk.qcow2.part" ] && pass "nothing was created on the source disk" ||
		fail "nothing was created on the source disk" "$(ls "$T/m")"
	umount "$T/m"
	refused "backup over the file backing the source loop device is refused" "$T/disk.img" -- \
		"$LIFEBOAT" backup "$LOOP" "$T/disk.img" --force
	out=$("$LIFEBOAT" backup "$LOOP" "$T/ok.qcow2" 2>&1) && pass "backup of the loop device to another place still works" ||
		fail "backup of the loop device to another place still works" "$(echo "$out" | tail -1)"
else skip "image on the source disk" "could not attach and mount an ext4 loop device"; fi
