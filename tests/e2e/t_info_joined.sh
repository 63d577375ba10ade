#!/usr/bin/env bash
# t_info_joined.sh — `lifeboat info` on a split set joined with cat
# (cat s.qcow2 s.qcow2.0* > joined.qcow2) says it is one file holding the
# pieces of a split image, not "in N pieces"; the set itself still counts
# its pieces; --json gives pieces 1 and joined_pieces N.
. "$(dirname "$0")/../lib.sh"

head -c 6M /dev/urandom >"$T/src.img"
if ! "$LIFEBOAT" backup "$T/src.img" "$T/s.qcow2" --split 2M >/dev/null 2>&1 ||
   [ ! -f "$T/s.qcow2.002" ]; then
	fail "split backup for the joined-set info" "no split set made"; exit 0
fi
n=$(ls "$T"/s.qcow2* | wc -l)
cat "$T/s.qcow2" "$T"/s.qcow2.0* >"$T/joined.qcow2"

out=$("$LIFEBOAT" info "$T/joined.qcow2" 2>&1)
if [[ $out == *"in one file (the $n pieces of a split image, joined)"* && $out != *"in $n pieces"* ]]; then
	pass "info on a cat-joined set says one file (the $n pieces, joined)"
else
	fail "info on a cat-joined set says one file (the $n pieces, joined)" "$(echo "$out" | grep 'file size')"
fi
out=$("$LIFEBOAT" info "$T/s.qcow2" 2>&1)
[[ $out == *"in $n pieces"* && $out != *joined* ]] &&
	pass "info on the split set still counts its $n pieces" ||
	fail "info on the split set still counts its $n pieces" "$(echo "$out" | grep 'file size')"
out=$("$LIFEBOAT" info --json "$T/joined.qcow2" 2>&1)
[[ $out == *'"pieces": 1,'* && $out == *"\"joined_pieces\": $n,"* ]] &&
	pass "info --json on the joined set: pieces 1, joined_pieces $n" ||
	fail "info --json on the joined set: pieces 1, joined_pieces $n" "$(echo "$out" | grep pieces | tr '\n' ' ')"
out=$("$LIFEBOAT" info --json "$T/s.qcow2" 2>&1)
[[ $out == *"\"pieces\": $n,"* && $out == *'"joined_pieces": 0,'* ]] &&
	pass "info --json on the split set: pieces $n, joined_pieces 0" ||
	fail "info --json on the split set: pieces $n, joined_pieces 0" "$(echo "$out" | grep pieces | tr '\n' ' ')"
