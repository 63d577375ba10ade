#!/usr/bin/env bash
# Fuzzing the FAT and NTFS walkers of the rescue report
# (tests/fuzz/fuzz_rescue_files.c): seeds made with mkfs.vfat + mcopy and
# mkntfs + ntfscp, then a run bounded by executions (never by time).
. "$(dirname "$0")/../lib.sh"
F=$TOP/build/tests/fuzz/fuzz_rescue_files
have clang || { skip "fuzz_rescue_files" "clang not installed"; exit 0; }
[ -x "$F" ] || { fail "fuzz_rescue_files: build" "$F missing (make test-bins)"; exit 0; }
C=$T/corpus; mkdir -p "$C"
head -c 3000 /dev/urandom >"$T/f.bin"
if have mkfs.vfat && have mcopy; then
	truncate -s 300K "$C/fat12"; mkfs.vfat -F 12 "$C/fat12" >/dev/null 2>&1
	mmd -i "$C/fat12" ::/dir 2>/dev/null; mcopy -i "$C/fat12" "$T/f.bin" "::/dir/A long file name.bin" 2>/dev/null
	truncate -s 600K "$C/fat16"; mkfs.vfat -F 16 -s 1 "$C/fat16" >/dev/null 2>&1
	mcopy -i "$C/fat16" "$T/f.bin" ::/f.bin 2>/dev/null
fi
if have mkntfs && have ntfscp; then
	truncate -s 1M "$C/ntfs"; mkntfs -F -Q "$C/ntfs" >/dev/null 2>&1
	ntfscp -f "$C/ntfs" "$T/f.bin" "some file.bin" >/dev/null 2>&1
fi
n=$(ls "$C" | wc -l)
check "fuzz_rescue_files: replay of $n seed volumes" "$F" -runs=0 "$C"
check "fuzz_rescue_files: 10000 mutated volumes without a crash, leak or hang" \
	"$F" -runs=10000 -seed=1 -max_len=1048576 -timeout=10 -rss_limit_mb=2048 "$C"
