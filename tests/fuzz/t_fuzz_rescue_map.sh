#!/usr/bin/env bash
# Fuzzing the rescue mapfile parser (tests/fuzz/fuzz_rescue_map.c): replay
# the saved corpus (tests/fuzz/corpus_rmap) plus maps written by ddrescuelog
# and by lifeboat's own writer, then a run bounded by executions.
. "$(dirname "$0")/../lib.sh"
F=$TOP/build/tests/fuzz/fuzz_rescue_map
have clang || { skip "fuzz_rescue_map" "clang not installed"; exit 0; }
[ -x "$F" ] || { fail "fuzz_rescue_map: build" "$F missing (make test-bins)"; exit 0; }
C=$T/corpus; mkdir -p "$C"
cp "$TOP"/tests/fuzz/corpus_rmap/* "$C"/ 2>/dev/null
if have ddrescuelog; then
	printf '0 ? 1\n0 0x10000 +\n0x10000 0x200 -\n0x10200 0x1000 /\n0x11200 0x1000 *\n0x12200 0x3000 ?\n' >"$C/mixed"
	ddrescuelog -b512 -s 0x20000 -i 0x1000 -m "$C/mixed" -D "$C/mixed" >/dev/null 2>&1
fi
n=$(ls "$C" | wc -l)
check "fuzz_rescue_map: replay of $n corpus and seed maps" "$F" -runs=0 "$C"
check "fuzz_rescue_map: 200000 mutated maps without a crash, leak or hang" \
	"$F" -runs=200000 -seed=1 -max_len=4096 -timeout=10 "$C"
