#!/usr/bin/env bash
# t_verify_against_missing.sh — `lifeboat verify IMAGE --against PATH`
# where PATH cannot be opened exits 4 (docs/cli.md: reading the source
# failed: it cannot be opened), with a message naming PATH; a good
# --against still verifies (exit 0), a missing image is still 6.
. "$(dirname "$0")/../lib.sh"

head -c 3M /dev/urandom >"$T/src.img"
"$LIFEBOAT" backup "$T/src.img" "$T/i.qcow2" >/dev/null 2>&1 ||
	{ fail "backup for the verify --against cases" "backup failed"; exit 0; }

out=$("$LIFEBOAT" verify "$T/i.qcow2" --against "$T/nonexistent" 2>&1); rc=$?
[ $rc = 4 ] && [[ $out == *"$T/nonexistent: cannot open for reading: No such file or directory"* ]] &&
	pass "verify --against a missing path exits 4 and names it" ||
	fail "verify --against a missing path exits 4 and names it" "exit $rc: $out"
out=$("$LIFEBOAT" verify "$T/i.qcow2" --against "$T/nodir/disk" 2>&1); rc=$?
[ $rc = 4 ] && [[ $out == *"$T/nodir/disk"* ]] &&
	pass "verify --against a path in a missing folder exits 4" ||
	fail "verify --against a path in a missing folder exits 4" "exit $rc: $out"
out=$("$LIFEBOAT" verify "$T/i.qcow2" --against "$T/src.img" 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *"verify OK"* ]] &&
	pass "control: verify --against the source exits 0" ||
	fail "control: verify --against the source exits 0" "exit $rc: $out"
out=$("$LIFEBOAT" verify "$T/missing.qcow2" --against "$T/src.img" 2>&1); rc=$?
[ $rc = 6 ] && pass "a missing image with a good --against is still exit 6" ||
	fail "a missing image with a good --against is still exit 6" "exit $rc: $out"
