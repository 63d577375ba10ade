#!/usr/bin/env bash
# t_new_file_part.sh — trial 2 F13, rule 3: a restore or clone into a NEW
# regular file writes TARGET.part and renames it at the end.  A job killed
# with kill -9 half way (its writes slowed by strace's delay injection so
# that the kill lands mid-copy) leaves no TARGET, only TARGET.part; running
# it again replaces the leftover and finishes (bytes equal, no .part).  A
# TARGET.part that is not a regular file, or that is the image being read,
# is refused (exit 3) and left alone.  An existing file is written in place.
. "$(dirname "$0")/../lib.sh"

head -c 24M /dev/urandom >"$T/src.img"
"$LIFEBOAT" backup "$T/src.img" "$T/src.qcow2" >/dev/null 2>&1 || fail "backup of the source" "exit $?"

out=$("$LIFEBOAT" restore "$T/src.qcow2" "$T/r.img" 2>&1); rc=$?
[ $rc = 0 ] && cmp -s "$T/src.img" "$T/r.img" && [ ! -e "$T/r.img.part" ] &&
	pass "restore into a new file: same bytes under the final name, no .part" ||
	fail "restore into a new file: same bytes under the final name, no .part" "exit $rc: $(echo "$out" | tail -1)"
out=$("$LIFEBOAT" clone "$T/src.img" "$T/c.img" 2>&1); rc=$?
[ $rc = 0 ] && cmp -s "$T/src.img" "$T/c.img" && [ ! -e "$T/c.img.part" ] &&
	pass "clone into a new file: same bytes under the final name, no .part" ||
	fail "clone into a new file: same bytes under the final name, no .part" "exit $rc: $(echo "$out" | tail -1)"
head -c 24M /dev/zero >"$T/old.img"
out=$("$LIFEBOAT" restore "$T/src.qcow2" "$T/old.img" --yes 2>&1); rc=$?
[ $rc = 0 ] && cmp -s "$T/src.img" "$T/old.img" && [ ! -e "$T/old.img.part" ] &&
	pass "an existing file is written in place" || fail "an existing file is written in place" "exit $rc: $(echo "$out" | tail -1)"

mkdir "$T/d.img.part"
out=$("$LIFEBOAT" restore "$T/src.qcow2" "$T/d.img" 2>&1); rc=$?
[ $rc = 3 ] && [[ $out == *"d.img.part exists and is not a regular file"* ]] && [ -d "$T/d.img.part" ] && [ ! -e "$T/d.img" ] &&
	pass "a TARGET.part that is a folder is refused" || fail "a TARGET.part that is a folder is refused" "exit $rc: $(echo "$out" | tail -1)"
cp "$T/src.qcow2" "$T/x.part"
before=$(sha256sum <"$T/x.part")
out=$("$LIFEBOAT" restore "$T/x.part" "$T/x" 2>&1); rc=$?
[ $rc = 3 ] && [ "$(sha256sum <"$T/x.part")" = "$before" ] && [ ! -e "$T/x" ] &&
	pass "a TARGET.part that is the image being read is refused and kept" ||
	fail "a TARGET.part that is the image being read is refused and kept" "exit $rc: $(echo "$out" | tail -1)"

if ! have strace; then
	skip "kill -9 mid-restore and mid-clone" "needs strace (its delay injection slows the writes)"
	exit 0
fi
# killed NAME TARGET -- CMD...: runs CMD under strace with every write
# delayed 0.2 s, kill -9s lifeboat once TARGET.part exists.
killed() {
	local name=$1 tgt=$2 sp lp; shift 3
	strace -f -o /dev/null -e trace=pwrite64,pwritev,pwritev2,write \
		-e inject=pwrite64,pwritev,pwritev2:delay_enter=200000 "$@" >/dev/null 2>&1 &
	sp=$!
	for _ in $(seq 100); do [ -e "$tgt.part" ] && break; sleep 0.1; done
	sleep 0.3
	lp=$(pgrep -P $sp | head -1)
	[ -n "$lp" ] && kill -9 "$lp"
	wait $sp 2>/dev/null
	if [ -z "$lp" ]; then fail "$name" "lifeboat was not found running under strace"
	elif [ -e "$tgt" ]; then fail "$name" "$(basename "$tgt") exists after kill -9 ($(stat -c %s "$tgt") bytes)"
	elif [ ! -f "$tgt.part" ]; then fail "$name" "no $(basename "$tgt").part left"
	else pass "$name"; fi
}
killed "kill -9 mid-restore leaves only TARGET.part" "$T/k.img" -- "$LIFEBOAT" restore "$T/src.qcow2" "$T/k.img"
out=$("$LIFEBOAT" restore "$T/src.qcow2" "$T/k.img" 2>&1); rc=$?
[ $rc = 0 ] && cmp -s "$T/src.img" "$T/k.img" && [ ! -e "$T/k.img.part" ] &&
	pass "the restore run again replaces the leftover .part and finishes" ||
	fail "the restore run again replaces the leftover .part and finishes" "exit $rc: $(echo "$out" | tail -1)"
killed "kill -9 mid-clone leaves only TARGET.part" "$T/kc.img" -- "$LIFEBOAT" clone "$T/src.img" "$T/kc.img"
