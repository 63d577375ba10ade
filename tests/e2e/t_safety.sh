#!/usr/bin/env bash
# t_safety.sh — rule 2 on real loop devices: restore and clone refuse a
# target that is mounted, held O_EXCL by another program, holds the image
# or source being read (C034), holds the Lifeboat medium, is used as swap,
# or is too small; without --yes and without a terminal they refuse.  Each
# refusal exits 3, says why, and leaves the target's bytes unchanged
# (sha256 before/after).  A source mounted read-write is refused unless
# --force (C035).  Every case needs root and losetup; skips say so.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

if ! have_loop; then
	skip "safety on loop devices" "needs root and working loop devices (losetup)"
	exit 0
fi
head -c 8M /dev/urandom >"$T/src.img"; truncate -s 16M "$T/src.img"
have_image=0
"$LIFEBOAT" backup "$T/src.img" "$T/img.qcow2" >/dev/null 2>&1 && have_image=1

# refused NAME DEV WORDS... -- CMD...: exit 3, words in the message, DEV's
# bytes unchanged.
refused() {
	local name=$1 dev=$2; shift 2
	local words=() out rc w before
	while [ "$1" != -- ]; do words+=("$1"); shift; done; shift
	before=$(sha "$dev")
	out=$("$@" </dev/null 2>&1); rc=$?
	if [ $rc -ne 3 ]; then fail "$name" "exit $rc, wanted 3: $(echo "$out" | tail -2 | tr '\n' ' ')"; return; fi
	for w in "${words[@]}"; do
		case $out in *"$w"*) ;; *) fail "$name" "no \"$w\" in: $(echo "$out" | tail -2 | tr '\n' ' ')"; return;; esac
	done
	if [ "$(sha "$dev")" != "$before" ]; then fail "$name" "the target's bytes changed"; return; fi
	pass "$name"
}
restore_refused() {
	if [ $have_image = 1 ]; then refused "$@"; else skip "$1" "lifeboat backup could not make a test image"; fi
}

# 1. mounted target (read-only mount: nothing else writes meanwhile)
truncate -s 32M "$T/t1.img"; mkfs.ext4 -q -F "$T/t1.img"
{ attach "$T/t1.img" && d1=$LOOP; } && mkdir -p "$T/m1" && mount -o ro "$d1" "$T/m1" && on_exit "umount $T/m1" || d1=
if [ -n "$d1" ]; then
	refused "clone onto a mounted target is refused" "$d1" "mounted at $T/m1" -- "$LIFEBOAT" clone "$T/src.img" "$d1" --yes
	restore_refused "restore onto a mounted target is refused" "$d1" "mounted at $T/m1" -- "$LIFEBOAT" restore "$T/img.qcow2" "$d1" --yes
else skip "mounted target" "could not attach and mount an ext4 loop device"; fi

# 2. target held open O_EXCL by another program
truncate -s 32M "$T/t2.img"; { attach "$T/t2.img" && d2=$LOOP; }
python3 -c 'import os,sys,time; fd=os.open(sys.argv[1], os.O_RDONLY|os.O_EXCL); open(sys.argv[2],"w").close(); time.sleep(60)' "$d2" "$T/held" &
holder=$!; on_exit "kill $holder"
for _ in $(seq 50); do [ -e "$T/held" ] && break; sleep 0.1; done
if [ -e "$T/held" ]; then
	refused "clone onto a target held O_EXCL elsewhere is refused" "$d2" "in use" "O_EXCL" -- "$LIFEBOAT" clone "$T/src.img" "$d2" --yes
	restore_refused "restore onto a target held O_EXCL elsewhere is refused" "$d2" "in use" -- "$LIFEBOAT" restore "$T/img.qcow2" "$d2" --yes
else skip "O_EXCL holder" "the helper could not open $d2 exclusively"; fi
kill $holder 2>/dev/null; wait $holder 2>/dev/null

# 3. target holds the image being restored / the clone source (C034)
truncate -s 64M "$T/t3.img"; mkfs.ext4 -q -F "$T/t3.img"
{ attach "$T/t3.img" && d3=$LOOP; } && mkdir -p "$T/m3" && mount "$d3" "$T/m3" && on_exit "umount $T/m3" || d3=
if [ -n "$d3" ]; then
	cp "$T/src.img" "$T/m3/src.img"; [ $have_image = 1 ] && cp "$T/img.qcow2" "$T/m3/img.qcow2"; sync
	# the filesystem is mounted rw: compare the bytes of a ro remount
	mount -o remount,ro "$T/m3"
	restore_refused "restore onto the disk holding the image is refused (C034)" "$d3" "holds $T/m3/img.qcow2" -- "$LIFEBOAT" restore "$T/m3/img.qcow2" "$d3" --yes
	refused "clone onto the disk holding the source file is refused" "$d3" "holds $T/m3/src.img" -- "$LIFEBOAT" clone "$T/m3/src.img" "$d3" --yes
else skip "target holds the image" "could not attach and mount an ext4 loop device"; fi

# 3b. a regular file that backs a mounted loop device
if [ -n "$d1" ]; then
	refused "a file backing a mounted loop device is refused" "$T/t1.img" "backs loop device $d1" "mounted at $T/m1" -- "$LIFEBOAT" clone "$T/src.img" "$T/t1.img" --yes
fi

# 4. too small
truncate -s 8M "$T/t4.img"; { attach "$T/t4.img" && d4=$LOOP; }
refused "clone onto a too small target is refused with sizes" "$d4" "too small" "8388608 bytes (8.00 MiB)" "16777216 bytes (16.0 MiB)" -- "$LIFEBOAT" clone "$T/src.img" "$d4" --yes
restore_refused "restore onto a too small target is refused with sizes" "$d4" "too small" "8388608 bytes" -- "$LIFEBOAT" restore "$T/img.qcow2" "$d4" --yes

# 5. no --yes and no terminal
truncate -s 32M "$T/t5.img"; { attach "$T/t5.img" && d5=$LOOP; }
refused "clone without --yes and without a terminal is refused" "$d5" "give --yes" -- "$LIFEBOAT" clone "$T/src.img" "$d5"
restore_refused "restore without --yes and without a terminal is refused" "$d5" "give --yes" -- "$LIFEBOAT" restore "$T/img.qcow2" "$d5"

# 6. the Lifeboat medium: named by the ISO's init, or an iso9660 labelled LIFEBOAT
echo "${d5#/dev/}" >"$T/medium"
LIFEBOAT_MEDIUM_FILE=$T/medium refused "the device named in /run/lifeboat/medium is refused" "$d5" "Lifeboat medium" -- "$LIFEBOAT" clone "$T/src.img" "$d5" --yes
if [ -n "$d1" ]; then
	LIFEBOAT_MEDIUM_MOUNT=$T/m1 refused "the device mounted at the medium mount point is refused" "$d1" "Lifeboat medium" -- "$LIFEBOAT" clone "$T/src.img" "$d1" --yes
fi
if have xorriso; then
	mkdir -p "$T/isodir"; echo hello >"$T/isodir/hello.txt"
	xorriso -as mkisofs -quiet -V LIFEBOAT -o "$T/lb.iso" "$T/isodir" 2>/dev/null
	truncate -s 32M "$T/lb.iso"; { attach "$T/lb.iso" && d6=$LOOP; }
	refused "a disk with an iso9660 labelled LIFEBOAT is refused" "$d6" "Lifeboat medium" -- "$LIFEBOAT" clone "$T/src.img" "$d6" --yes
else skip "iso9660 LIFEBOAT medium" "xorriso missing"; fi

# 7. active swap
truncate -s 32M "$T/t7.img"; { attach "$T/t7.img" && d7=$LOOP; }; mkswap -q "$d7" >/dev/null 2>&1
if swapon "$d7" 2>/dev/null; then
	on_exit "swapoff $d7"
	refused "a target in use as swap is refused" "$d7" "swap" -- "$LIFEBOAT" clone "$T/src.img" "$d7" --yes
	swapoff "$d7"
else skip "swap target" "swapon does not work here"; fi

# 8. source mounted read-write (C035)
truncate -s 32M "$T/s8.img"; mkfs.ext4 -q -F "$T/s8.img"
{ attach "$T/s8.img" && d8=$LOOP; } && mkdir -p "$T/m8" && mount "$d8" "$T/m8" && on_exit "umount $T/m8" || d8=
if [ -n "$d8" ]; then
	out=$("$LIFEBOAT" clone "$d8" "$T/c8.img" --yes 2>&1); rc=$?
	if [ $rc -eq 3 ] && [[ $out == *"mounted read-write"* ]] && [ ! -s "$T/c8.img" ]; then pass "clone of a source mounted read-write is refused (C035)"; else fail "clone of a source mounted read-write is refused (C035)" "rc=$rc $out"; fi
	out=$("$LIFEBOAT" backup "$d8" "$T/b8.qcow2" 2>&1); rc=$?
	if [ $rc -eq 3 ] && [ ! -e "$T/b8.qcow2" ]; then pass "backup of a source mounted read-write is refused (C035)"; else fail "backup of a source mounted read-write is refused (C035)" "rc=$rc $out"; fi
	out=$("$LIFEBOAT" clone "$d8" "$T/c8.img" --yes --force 2>&1); rc=$?
	if [ $rc -eq 0 ] && [[ $out == *warning* || $out == *"--force"* ]]; then pass "--force copies a mounted source with a warning"; else fail "--force copies a mounted source with a warning" "rc=$rc $out"; fi
	mount -o remount,ro "$T/m8"
	check "a source mounted read-only is copied without --force" "$LIFEBOAT" clone "$d8" "$T/c8ro.img" --yes
else skip "mounted source" "could not attach and mount an ext4 loop device"; fi

# 9. a backup never writes its source block device
{ attach "$T/src.img" && d9=$LOOP; }; before=$(sha "$d9"); ro=$(blockdev --getro "$d9")
if "$LIFEBOAT" backup "$d9" "$T/b9.qcow2" >/dev/null 2>&1 && [ "$(sha "$d9")" = "$before" ] && [ "$(blockdev --getro "$d9")" = "$ro" ]; then
	pass "backup leaves the source device's bytes and read-only flag as they were"
else fail "backup leaves the source device's bytes and read-only flag as they were"; fi

# 10. BLKROSET during a job: set on an idle source, never on a source that
# a filesystem mounted read-write still writes through (--force)
ro_samples() {   # ro_samples DEV CMD...: runs CMD in the background, samples --getro
	local dev=$1; shift
	"$@" >/dev/null 2>&1 </dev/null & local job=$! s=
	while kill -0 $job 2>/dev/null; do s+=$(blockdev --getro "$dev"); sleep 0.02; done
	wait $job; echo "$s"
}
truncate -s 8G "$T/s10.img"; mkfs.ext4 -q -F "$T/s10.img"
{ attach "$T/s10.img" && d10=$LOOP; }
s=$(ro_samples "$d10" "$LIFEBOAT" clone "$d10" "$T/c10.img" --yes)
if [[ $s == *1* ]] && [ "$(blockdev --getro "$d10")" = 0 ]; then pass "an idle source is read-only in the kernel during the job, writable after"
else fail "an idle source is read-only in the kernel during the job, writable after" "samples '$s'"; fi
rm -f "$T/c10.img"
mkdir -p "$T/m10" && mount "$d10" "$T/m10" && on_exit "umount $T/m10"
s=$(ro_samples "$d10" "$LIFEBOAT" clone "$d10" "$T/c10.img" --yes --force)
if [ -n "$s" ] && [[ $s != *1* ]]; then pass "a source mounted read-write (--force) is never marked read-only under the filesystem"
else fail "a source mounted read-write (--force) is never marked read-only under the filesystem" "samples '$s'"; fi
