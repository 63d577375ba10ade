#!/usr/bin/env bash
# A destination that cannot hold the image: the free-space check refuses
# before writing; when the space runs out mid-way anyway (--no-space-check
# on a small tmpfs, or a file size limit) the backup stops with a message
# naming the file, the offset and the cause, exit code 5, and no image that
# looks complete (no IMAGE, no IMAGE.part) is left behind.  A cancelled
# backup (SIGINT) leaves nothing either.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/image_lib.sh"
L=$LIFEBOAT

head -c 24M /dev/urandom >"$T/src.img"       # incompressible: ~24 MiB image

nothing_left() {        # NAME DIR
	if ls "$2" | grep -q 'img.qcow2'; then fail "$1" "left: $(ls "$2")"; else pass "$1"; fi
}

if need_root && mkdir -p "$T/small" && mount -t tmpfs -o size=8m tmpfs "$T/small" 2>/dev/null; then
	on_exit "umount $T/small"
	expect_rc "8 MiB tmpfs: refused before writing, exit 5" 5 "$L" backup "$T/src.img" "$T/small/img.qcow2" --raw
	says "8 MiB tmpfs: says there is not enough free space" "not enough free space"
	nothing_left "8 MiB tmpfs: refusal leaves no file" "$T/small"
	expect_rc "8 MiB tmpfs, --no-space-check: fails with exit 5" 5 "$L" backup "$T/src.img" "$T/small/img.qcow2" --raw --no-space-check
	says "8 MiB tmpfs: message names the cause" "No space left on device"
	says "8 MiB tmpfs: message names the file" "img.qcow2.part"
	says "8 MiB tmpfs: message names the byte offset" "at byte"
	nothing_left "8 MiB tmpfs: no image or .part left" "$T/small"
else
	skip "full tmpfs destination" "needs root to mount a tmpfs"
fi

# A file size limit (EFBIG), no root needed.
mkdir -p "$T/lim"
( ulimit -f 4096; exec "$L" backup "$T/src.img" "$T/lim/img.qcow2" --raw ) >"$T/out" 2>"$T/err"; rc=$?
if [ "$rc" = 5 ]; then pass "file size limit: exit 5"; else fail "file size limit: exit 5" "exit $rc: $(tail -1 "$T/err")"; fi
says "file size limit: names the cause" "File too large"
nothing_left "file size limit: no image or .part left" "$T/lim"

# Cancel: SIGINT in the middle of a backup of a larger source.
truncate -s 3G "$T/big.img"
head -c 64M /dev/urandom | dd of="$T/big.img" conv=notrunc status=none
mkdir -p "$T/c"
"$L" backup "$T/big.img" "$T/c/img.qcow2" --raw --threads 1 >"$T/out" 2>"$T/err" &
pid=$!
for i in $(seq 1 50); do [ -e "$T/c/img.qcow2.part" ] && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
if [ "$rc" = 8 ] || [ "$rc" = 0 ]; then pass "SIGINT: backup ends (exit $rc)"; else fail "SIGINT: backup ends with exit 8" "exit $rc: $(tail -1 "$T/err")"; fi
if [ "$rc" = 8 ]; then nothing_left "SIGINT: no image or .part left" "$T/c"; else skip "SIGINT: no image left" "the backup finished before the signal"; fi
