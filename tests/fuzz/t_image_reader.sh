#!/usr/bin/env bash
# Fuzzing the image reader (tests/fuzz/fuzz_image.c) with libFuzzer under
# ASan: build it with clang, replay the saved corpus (tests/fuzz/corpus:
# Lifeboat and qemu-img images, each a regression input), then fuzz for a
# bounded time (LB_FUZZ_SECONDS, default 20) from that corpus.  Any crash,
# leak or timeout fails the test; new interesting inputs stay in the
# scratch folder.
. "$(dirname "$0")/../lib.sh"
have clang || { skip "image reader fuzzing" "clang not installed"; exit 0; }
B=$TOP/build/fuzz; mkdir -p "$B"
SRC="qcow2 image_meta image_io image_reader checksum qcow2_codec"
files=$(for s in $SRC; do echo "$TOP/imager/$s.c"; done)
F=$B/fuzz_image
flags="-g -O1 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -I$TOP/imager"
if ! clang $flags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-o "$F" "$TOP/tests/fuzz/fuzz_image.c" $files -lzstd -lz -lxxhash -lnettle 2>"$T/cc"; then
	if grep -q "fuzzer" "$T/cc"; then skip "image reader fuzzing" "clang has no libFuzzer runtime"; exit 0; fi
	fail "build the fuzz target" "$(tail -3 "$T/cc" | tr '\n' ' ')"; exit 0
fi
pass "build the fuzz target"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
CORPUS=$TOP/tests/fuzz/corpus
if "$F" -runs=0 -max_len=65536 "$CORPUS" >"$T/replay" 2>&1; then
	pass "replay of the saved corpus ($(ls "$CORPUS" | wc -l) inputs)"
else fail "replay of the saved corpus" "$(grep -m3 -E 'ERROR|SUMMARY' "$T/replay" | tr '\n' ' ')"; fi
mkdir -p "$T/new"
if "$F" -max_total_time="${LB_FUZZ_SECONDS:-20}" -max_len=65536 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$T/" "$T/new" "$CORPUS" >"$T/fuzz" 2>&1; then
	pass "fuzzing for ${LB_FUZZ_SECONDS:-20} s finds no crash ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$T/fuzz" | awk '{print $2}') runs)"
else
	fail "fuzzing finds no crash" "$(grep -m3 -E 'ERROR|SUMMARY|Test unit' "$T/fuzz" | tr '\n' ' ')"
	ls "$T"/crash-* "$T"/leak-* "$T"/timeout-* 2>/dev/null | head -3
	for a in "$T"/crash-* "$T"/leak-* "$T"/timeout-*; do [ -e "$a" ] && mkdir -p "$TOP/build/fuzz/artifacts" && cp "$a" "$TOP/build/fuzz/artifacts/"; done
fi
