#!/usr/bin/env bash
# t_cli.sh — the face of `lifeboat`: help texts good enough to work from
# (every command, options, exit codes), usage errors exit 2, the typed
# confirmation on a terminal (driven through script(1)), the progress bar
# on a terminal and plain lines otherwise, restore into a new file (C006).
. "$(dirname "$0")/../lib.sh"

out=$("$LIFEBOAT" --help 2>&1); rc=$?
ok=1; for w in "lifeboat list" "lifeboat backup SOURCE IMAGE" "lifeboat restore IMAGE TARGET" \
	"lifeboat clone SOURCE TARGET" "lifeboat verify IMAGE" "lifeboat info IMAGE" "Exit codes" \
	"3  refused" "4  reading the source failed" "5  writing" "6  image corrupt" "7  verify found" "8  cancelled"; do
	[[ $out == *"$w"* ]] || { ok=0; fail "--help lists commands and exit codes" "missing \"$w\""; break; }
done
[ $ok = 1 ] && [ $rc = 0 ] && pass "--help lists commands and exit codes"
for c in list backup restore clone verify info; do
	out=$("$LIFEBOAT" help $c 2>&1); rc=$?
	if [ $rc = 0 ] && [[ $out == *"Usage: lifeboat $c"* && $out == *"Exit codes"* ]]; then pass "help $c"; else fail "help $c" "rc=$rc"; fi
done
out=$("$LIFEBOAT" clone --help 2>&1)
[[ $out == *"--verify"* && $out == *"--yes"* ]] && pass "clone --help explains its options" || fail "clone --help explains its options"
[[ $("$LIFEBOAT" --version) == "lifeboat "[0-9]* ]] && pass "--version" || fail "--version"
out=$("$LIFEBOAT" </dev/null 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *Usage* ]] && pass "no arguments without a terminal prints the help" || fail "no arguments without a terminal prints the help" "rc=$rc"

usage() {
	local name=$1; shift
	local out rc; out=$("$LIFEBOAT" "$@" 2>&1 </dev/null); rc=$?
	if [ $rc = 2 ]; then pass "$name"; else fail "$name" "rc=$rc: $out"; fi
}
usage "unknown command exits 2" frobnicate
usage "missing argument exits 2" clone "$T/a"
usage "unknown option exits 2" clone "$T/a" "$T/b" --bogus
usage "an option of another command exits 2" clone "$T/a" "$T/b" --compress zlib
usage "bad --compress exits 2" backup "$T/a" "$T/b" --compress lzma
usage "bad size exits 2" backup "$T/a" "$T/b" --split 12Q
usage "--partition with --offset exits 2" clone "$T/a" "$T/b" --partition 1 --offset 0
usage "extra argument exits 2" info "$T/a" "$T/b"

head -c 4M /dev/urandom >"$T/src.img"; truncate -s 12M "$T/src.img"
head -c 12M /dev/zero | tr '\0' 'x' >"$T/dst.img"
before=$(sha256sum <"$T/dst.img")
if have script; then
	# a wrong name: refused, nothing written
	out=$(printf 'nope\n' | script -qec "$LIFEBOAT clone $T/src.img $T/dst.img" /dev/null 2>&1); rc=$?
	if [[ $out == *"Type $T/dst.img to go on"* && $out == *"not confirmed"* ]] && [ "$(sha256sum <"$T/dst.img")" = "$before" ]; then
		pass "typing the wrong name refuses and writes nothing"
	else fail "typing the wrong name refuses and writes nothing" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
	out=$(printf '%s\n' "$T/dst.img" | script -qec "$LIFEBOAT clone $T/src.img $T/dst.img" /dev/null 2>&1)
	if cmp -s "$T/src.img" "$T/dst.img"; then pass "typing the target's name goes on"; else fail "typing the target's name goes on" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
	if [[ $out == *$'\r'*"ETA"* && $out == *"%"* ]]; then pass "progress is one redrawn line on a terminal"; else fail "progress is one redrawn line on a terminal" "$(echo "$out" | tail -2 | cat -v | tr '\n' ' ')"; fi
else
	skip "typed confirmation" "script(1) missing"
fi
out=$("$LIFEBOAT" clone "$T/src.img" "$T/plain.img" --yes 2>&1 </dev/null)
if [[ $out == *"copy: "*"% "*" of 12582912 bytes"* && $out != *$'\r'* ]]; then pass "plain progress lines without a terminal"; else fail "plain progress lines without a terminal" "$out"; fi

# C006: restore a filesystem image into a file that does not exist yet
if have mkfs.ext4; then
	truncate -s 64M "$T/fs.img"; mkfs.ext4 -q -F -d "$TOP/tests" "$T/fs.img" >/dev/null
	if "$LIFEBOAT" backup "$T/fs.img" "$T/fs.qcow2" >/dev/null 2>&1; then
		out=$("$LIFEBOAT" restore "$T/fs.qcow2" "$T/new.img" 2>&1 </dev/null); rc=$?
		size=$(stat -c %s "$T/new.img" 2>/dev/null || echo 0); used=$(( $(stat -c %b "$T/new.img" 2>/dev/null || echo 0) * 512 ))
		if [ $rc = 0 ] && [ "$size" = $((64 << 20)) ] && [ "$used" -lt "$size" ] && cmp -s "$T/fs.img" "$T/new.img"; then
			pass "restore into a new file creates it sparse at the right size (C006)"
		else fail "restore into a new file creates it sparse at the right size (C006)" "rc=$rc size=$size used=$used $out"; fi
		check "restored new file passes e2fsck -fn (C006)" e2fsck -fn "$T/new.img"
	else skip "restore into a new file (C006)" "lifeboat backup failed"; fi
else skip "restore into a new file (C006)" "mkfs.ext4 missing"; fi
