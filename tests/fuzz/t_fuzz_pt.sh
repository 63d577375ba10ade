#!/usr/bin/env bash
# Fuzzing the partition-table and superblock readers (tests/fuzz/fuzz_pt.c):
# replay the saved corpus (tests/fuzz/corpus_pt: inputs that once crashed
# or hung, kept as regressions) plus freshly made seed disks, then a short
# run bounded by a number of executions (never by time).
. "$(dirname "$0")/../lib.sh"
F=$TOP/build/tests/fuzz/fuzz_pt
have clang || { skip "fuzz_pt" "clang not installed"; exit 0; }
[ -x "$F" ] || { fail "fuzz_pt: build" "$F missing (make test-bins)"; exit 0; }
C=$T/corpus; mkdir -p "$C"
cd "$T" || exit 1
# seeds: real tables and boot sectors made by the tools users have
truncate -s 40K "$C/gpt"; sgdisk -o -n1:34:+8 -n3:50:+4 "$C/gpt" >/dev/null 2>&1
truncate -s 64K "$C/mbr"; printf 'label: dos\nstart=1,size=10,type=83\nstart=20,size=100,type=5\nstart=22,size=10,type=83\nstart=40,size=10,type=82\n' | sfdisk -q -f "$C/mbr" 2>/dev/null
cp "$C/gpt" "$C/hybrid"; sgdisk -h 1 "$C/hybrid" >/dev/null 2>&1
truncate -s 64K "$C/fat12"; mkfs.vfat -F 12 "$C/fat12" >/dev/null 2>&1
truncate -s 300K "$C/fat16"; mkfs.vfat -F 16 -s 1 "$C/fat16" >/dev/null 2>&1
truncate -s 1M "$C/exfat"; mkfs.exfat "$C/exfat" >/dev/null 2>&1
truncate -s 1M "$C/ntfs"; mkntfs -Q -F "$C/ntfs" >/dev/null 2>&1
n=$(ls "$C" "$TOP/tests/fuzz/corpus_pt" | wc -l)
check "fuzz_pt: replay of $n corpus and seed inputs" "$F" -runs=0 "$C" "$TOP/tests/fuzz/corpus_pt"
check "fuzz_pt: 100000 mutated inputs without a crash, leak or hang" \
	"$F" -runs=100000 -seed=1 -max_len=1048576 -timeout=10 -rss_limit_mb=2048 "$C"
