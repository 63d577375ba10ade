#!/usr/bin/env bash
# t_confirm_order.sh — every refusal comes before the question: restore
# and clone on a terminal (script(1) gives them one) run all target checks,
# including the size the image's or source's partitions need (C001),
# before asking the person to type the device name.  A refused job shows
# its reason, exits 3, never shows "Type ... to go on" and leaves the
# target's bytes unchanged; a target that passes every check is asked for.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

if ! have script; then
	skip "refusals before the typed confirmation" "script(1) missing"
	exit 0
fi
sha() { sha256sum "$1" | cut -d' ' -f1; }

# on_tty NAME TARGET WORDS... -- ARGS...: run lifeboat ARGS on a pty with a
# wrong name typed; exit 3, WORDS shown, no prompt, TARGET unchanged.
on_tty() {
	local name=$1 dev=$2 w out rc before words=(); shift 2
	while [ "$1" != -- ]; do words+=("$1"); shift; done; shift
	before=$(sha "$dev")
	out=$(printf 'nope\n' | script -qec "$LIFEBOAT $* ; echo rc=\$?" /dev/null 2>&1)
	rc=$(echo "$out" | sed -n 's/.*rc=\([0-9]*\).*/\1/p' | tail -1)
	if [ "$rc" != 3 ]; then fail "$name" "exit $rc, wanted 3: $(echo "$out" | tail -2 | tr '\r\n' '  ')"; return; fi
	if [[ $out == *"to go on"* ]]; then fail "$name" "asked to type the name before refusing: $(echo "$out" | tr '\r\n' '  ')"; return; fi
	for w in "${words[@]}"; do
		[[ $out == *"$w"* ]] || { fail "$name" "no \"$w\" in: $(echo "$out" | tr '\r\n' '  ')"; return; }
	done
	[ "$(sha "$dev")" = "$before" ] || { fail "$name" "the target's bytes changed"; return; }
	pass "$name"
}

head -c 8M /dev/urandom >"$T/src.img"; truncate -s 16M "$T/src.img"
if ! "$LIFEBOAT" backup "$T/src.img" "$T/img.qcow2" >/dev/null 2>&1; then
	fail "backup of the test source" "lifeboat backup failed"; exit 0
fi
head -c 16M /dev/zero | tr '\0' 'x' >"$T/file.img"

# A target span smaller than the image: refused before the question.
on_tty "restore into a too short --length span refuses before asking" "$T/file.img" \
	"refusing to write" "holds 4194304 bytes" "needs 16777216" -- \
	restore "$T/img.qcow2" "$T/file.img" --length 4M

# Positive control: a target that passes every check is asked for.
out=$(printf 'nope\n' | script -qec "$LIFEBOAT restore $T/img.qcow2 $T/file.img" /dev/null 2>&1)
if [[ $out == *"Type $T/file.img to go on"* && $out == *"not confirmed"* ]]; then
	pass "a target that passes every check is asked for by name"
else fail "a target that passes every check is asked for by name" "$(echo "$out" | tr '\r\n' '  ')"; fi

if ! have_loop; then
	skip "too small block device before the question" "needs root and working loop devices (losetup)"
	exit 0
fi
truncate -s 8M "$T/small.img"
if attach "$T/small.img"; then
	on_tty "clone onto a too small disk refuses before asking" "$LOOP" \
		"too small" "8388608 bytes" "16777216 bytes" -- clone "$T/src.img" "$LOOP"
	on_tty "restore onto a too small disk refuses before asking" "$LOOP" \
		"too small" "8388608 bytes" -- restore "$T/img.qcow2" "$LOOP"
else skip "too small block device before the question" "losetup failed"; fi

# C001: the image's last partition does not fit the target: the full fit
# check from the partition table runs before the question.
if have sgdisk; then
	truncate -s 32M "$T/gpt.img"
	sgdisk -n1:2048:0 -t1:8300 "$T/gpt.img" >/dev/null
	head -c 1M /dev/urandom | dd of="$T/gpt.img" bs=1M seek=28 conv=notrunc status=none
	truncate -s 16M "$T/mid.img"
	if "$LIFEBOAT" backup --raw "$T/gpt.img" "$T/gpt.qcow2" >/dev/null 2>&1 && attach "$T/mid.img"; then
		on_tty "restore whose partitions do not fit refuses before asking" "$LOOP" \
			"refus" "partition 1" -- restore "$T/gpt.qcow2" "$LOOP"
		on_tty "clone whose partitions do not fit refuses before asking" "$LOOP" \
			"refus" "partition 1" -- clone "$T/gpt.img" "$LOOP"
	else fail "partition fit before the question" "backup of the GPT disk or losetup failed"; fi
else skip "partition fit before the question" "sgdisk missing"; fi
