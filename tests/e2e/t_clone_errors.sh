#!/usr/bin/env bash
# t_clone_errors.sh — clone failures end with words and documented exit
# codes, never with a success line (C066): an unreadable source range
# (test-only fault backend, ddrescue-style map) gives exit 4 naming the
# device, the byte offset and "Input/output error"; a full target (small
# tmpfs, or ulimit -f) gives exit 5; a fake-capacity target is caught by
# --verify with the first bad byte (C007), exit 7.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

# 24 MiB of data with a zero gap
head -c 8M /dev/urandom >"$T/src.img"; truncate -s 16M "$T/src.img"
head -c 8M /dev/urandom >>"$T/src.img"

# expect NAME RC_WANTED WORDS... -- CMD...: exit code and words in output,
# and no success line.
expect() {
	local name=$1 want=$2; shift 2
	local words=()
	while [ "$1" != -- ]; do words+=("$1"); shift; done; shift
	local out rc w
	out=$("$@" 2>&1); rc=$?
	if [ $rc -ne "$want" ]; then fail "$name" "exit $rc, wanted $want: $(echo "$out" | tail -2 | tr '\n' ' ')"; return; fi
	for w in "${words[@]}"; do
		case $out in *"$w"*) ;; *) fail "$name" "no \"$w\" in: $(echo "$out" | tail -2 | tr '\n' ' ')"; return;; esac
	done
	case $out in *" done:"*) fail "$name" "printed a success line after failing"; return;; esac
	pass "$name"
}

cat >"$T/map" <<'MAP'
# Mapfile. Created by a test
# current_pos  current_status  current_pass
0x00A00000     -               1
#      pos        size  status
0x00000000  0x00A00000  +
0x00A00000  0x00001000  -
0x00A01000  0x00DFF000  +
MAP
export LIFEBOAT_FAULT_MAP=$T/map
expect "unreadable source range: exit 4 naming device, offset, cause" 4 \
	"$T/src.img" "10485760" "Input/output error" "FAILED" -- \
	"$LIFEBOAT" clone "fault:$T/src.img" "$T/out.img" --yes
expect "backup of an unreadable source: exit 4 naming device, offset, cause" 4 \
	"$T/src.img" "10485760" "Input/output error" -- \
	"$LIFEBOAT" backup "fault:$T/src.img" "$T/bad.qcow2"
if [ -e "$T/bad.qcow2" ]; then fail "failed backup leaves no image that looks complete" "$T/bad.qcow2 exists"
else pass "failed backup leaves no image that looks complete"; fi
unset LIFEBOAT_FAULT_MAP

(ulimit -f 4096; expect "file-size limit (ulimit -f): exit 5" 5 "File too large" "FAILED" -- \
	"$LIFEBOAT" clone "$T/src.img" "$T/big.img" --yes)

LIFEBOAT_FAULT_ALIAS=$((8 << 20)) expect "fake capacity wrapping at 8 MiB: refused before copying, exit 5 (C007)" 5 \
	"wraps around" "holds only 8388608 bytes" -- "$LIFEBOAT" clone "$T/src.img" "fault:$T/fake.img" --yes
LIFEBOAT_FAULT_ALIAS=$((0x980000)) expect "fake capacity wrapping at 9.5 MiB: --verify names the first bad byte, exit 7 (C007)" 7 \
	"differs" "at byte" "(LBA 0)" -- "$LIFEBOAT" clone "$T/src.img" "fault:$T/fake.img" --yes --verify

if need_root && mkdir -p "$T/small" && mount -t tmpfs -o size=4M tmpfs "$T/small" 2>/dev/null; then
	on_exit "umount $T/small"
	expect "full target filesystem (4 MiB tmpfs): exit 5" 5 "No space left on device" "$T/small/out.img" -- \
		"$LIFEBOAT" clone "$T/src.img" "$T/small/out.img" --yes
else
	skip "full target filesystem (4 MiB tmpfs): exit 5" "needs root to mount a tmpfs"
fi

# restore --verify onto a fake-capacity target (C007)
if "$LIFEBOAT" backup "$T/src.img" "$T/src.qcow2" >/dev/null 2>&1; then
	LIFEBOAT_FAULT_ALIAS=$((8 << 20)) expect "restore onto a fake-capacity target wrapping at 8 MiB: refused before writing, exit 5 (C007)" 5 \
		"wraps around" "holds only 8388608 bytes" "FAILED" -- "$LIFEBOAT" restore "$T/src.qcow2" "fault:$T/fake2.img" --yes
	LIFEBOAT_FAULT_ALIAS=$((0x980000)) expect "restore --verify onto a fake-capacity target names the first bad byte and LBA, exit 7 (C007)" 7 \
		"differs" "at byte 0 (LBA 0)" "FAILED" -- "$LIFEBOAT" restore "$T/src.qcow2" "fault:$T/fake3.img" --yes --verify
	# progress of a restore says how much was written (lb_progress.written)
	out=$("$LIFEBOAT" restore "$T/src.qcow2" "$T/plain.out" --yes --verify 2>&1 </dev/null)
	if [[ $out == *"written"* ]] && cmp -s "$T/src.img" "$T/plain.out"; then pass "restore progress shows the bytes written"
	else fail "restore progress shows the bytes written" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
else skip "restore onto fake-capacity targets (C007)" "lifeboat backup failed"; fi

# C066: a job stopped part-way (SIGINT) exits 8 and never reports success
truncate -s 256G "$T/huge.img"
"$LIFEBOAT" clone "$T/huge.img" "$T/huge.out" --yes >"$T/int.log" 2>&1 </dev/null &
job=$!
for _ in $(seq 100); do grep -q "^copy: " "$T/int.log" && break; sleep 0.1; done
kill -INT $job; wait $job; rc=$?
if [ $rc = 8 ] && grep -q "FAILED" "$T/int.log" && ! grep -q " done:" "$T/int.log"; then
	pass "an interrupted clone exits 8 and never reports success (C066)"
else fail "an interrupted clone exits 8 and never reports success (C066)" "rc=$rc $(tail -2 "$T/int.log" | tr '\n' ' ')"; fi
