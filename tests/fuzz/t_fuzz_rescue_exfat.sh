#!/usr/bin/env bash
# Fuzzing the exFAT walker of the rescue report
# (tests/fuzz/fuzz_rescue_exfat.c): seed volumes made with mkfs.exfat
# (512-byte and 4 KiB clusters), filled through exfat-fuse on a loop device
# when root (folders, a long non-ASCII name, a fragmented file, a folder
# spanning clusters), and util-linux's exFAT test image; then a run bounded
# by executions (never by time).
. "$(dirname "$0")/../lib.sh"
F=$TOP/build/tests/fuzz/fuzz_rescue_exfat
have clang || { skip "fuzz_rescue_exfat" "clang not installed"; exit 0; }
have mkfs.exfat || { skip "fuzz_rescue_exfat" "exfatprogs not installed"; exit 0; }
[ -x "$F" ] || { fail "fuzz_rescue_exfat: build" "$F missing (make test-bins)"; exit 0; }
C=$T/corpus; mkdir -p "$C"

# fill VOLUME: files through exfat-fuse (root only; else left empty)
fill() {
	local v=$1 m=$T/mnt l i
	need_root && have mount.exfat-fuse && [ -e /dev/fuse ] || return 0
	l=$(losetup -f --show "$v") || return 0
	mkdir -p "$m"
	if mount.exfat-fuse "$l" "$m" >/dev/null 2>&1; then
		mkdir -p "$m/a/b"
		head -c 3000 /dev/urandom >"$m/a/b/Größe eines langen Namens.bin"
		head -c 2000 /dev/urandom >"$m/frag.bin"
		head -c 2000 /dev/urandom >"$m/spacer"
		head -c 3000 /dev/urandom >>"$m/frag.bin"
		for i in $(seq 1 24); do echo $i >"$m/a/n$i"; done
		umount "$m"
	fi
	losetup -d "$l"
}
for c in 512 4096; do
	truncate -s 256K "$C/exfat$c"
	mkfs.exfat -b 4096 -c $c "$C/exfat$c" >/dev/null 2>&1 || rm -f "$C/exfat$c"
	[ -f "$C/exfat$c" ] && fill "$C/exfat$c"
done
# util-linux's exFAT test image (1 KiB clusters, a root folder over
# several clusters), when the shared images are there
FX=$SHARED/images/blkid/fs/exfat.img.xz
[ -r "$FX" ] && have xz && xz -dc "$FX" >"$C/util-linux-exfat"
n=$(ls "$C" | wc -l)
[ "$n" -gt 0 ] || { fail "fuzz_rescue_exfat: seeds" "mkfs.exfat made no volume"; exit 0; }
check "fuzz_rescue_exfat: replay of $n seed volumes" "$F" -runs=0 "$C"
check "fuzz_rescue_exfat: 20000 mutated volumes without a crash, leak or hang" \
	"$F" -runs=20000 -seed=1 -max_len=1048576 -timeout=10 -rss_limit_mb=2048 "$C"
