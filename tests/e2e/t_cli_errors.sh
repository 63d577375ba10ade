#!/usr/bin/env bash
# t_cli_errors.sh — the exit codes and words of the command's failures a
# new user met (trial findings 10-14): --force named for an existing image,
# a cat-joined split set read by info/verify/restore, a later piece named as
# such, --split/--cluster-size checked by the parser, the documented code
# for a missing source (4), image (6), destination folder (5), a range
# outside the device (2), a non-image given to verify (6), the bytes a
# restore onto a smaller disk really wrote, sizes in words with three
# significant digits, and `list` in natural order (loop2 before loop10).
. "$(dirname "$0")/../lib.sh"

# expect NAME CODE WORDS... -- CMD...: CMD exits CODE and its output holds
# every one of WORDS.
expect() {
	local name=$1 code=$2 words=() out rc w; shift 2
	while [ "$1" != -- ]; do words+=("$1"); shift; done; shift
	out=$("$@" 2>&1 </dev/null); rc=$?
	[ "$rc" = "$code" ] || { fail "$name" "exit $rc, expected $code: $(echo "$out" | tail -2 | tr '\n' ' ')"; return; }
	for w in "${words[@]}"; do
		[[ $out == *"$w"* ]] || { fail "$name" "no \"$w\" in: $(echo "$out" | tail -2 | tr '\n' ' ')"; return; }
	done
	pass "$name"
}

# 40 MiB of incompressible data, so that a 10M split makes several pieces.
head -c 40M /dev/urandom >"$T/src.img"
"$LIFEBOAT" backup "$T/src.img" "$T/one.qcow2" >/dev/null 2>&1

# 10: the message names the option that exists, and help/docs agree.
expect "existing image: names --force, exit 1" 1 "already exists" "give --force to replace it" -- \
	"$LIFEBOAT" backup "$T/src.img" "$T/one.qcow2"
out=$("$LIFEBOAT" help backup 2>&1)
[[ $out == *"replace an existing IMAGE"* && $out == *"--force"* && $out != *"--overwrite"* ]] &&
	grep -q "give --force to replace it" "$TOP/docs/cli.md" &&
	pass "help and docs name --force for an existing image" || fail "help and docs name --force for an existing image"

# 11: a split set joined with cat is one image to every reader.
if "$LIFEBOAT" backup "$T/src.img" "$T/s.qcow2" --split 10M >/dev/null 2>&1 && [ -f "$T/s.qcow2.003" ]; then
	cat "$T/s.qcow2" "$T"/s.qcow2.0* >"$T/joined.qcow2"
	expect "cat-joined split set: verify OK" 0 "verify OK" -- "$LIFEBOAT" verify "$T/joined.qcow2"
	expect "cat-joined split set: info" 0 "virtual size:   41943040 bytes" -- "$LIFEBOAT" info "$T/joined.qcow2"
	expect "cat-joined split set: restore" 0 "restore done" -- "$LIFEBOAT" restore "$T/joined.qcow2" "$T/j.img" --yes
	same_bytes "cat-joined split set: restored bytes equal the source" "$T/src.img" "$T/j.img"
	expect "info on a later piece names the first piece, exit 6" 6 \
		"s.qcow2.001 is piece 2 of a split image; give the first piece $T/s.qcow2" -- \
		"$LIFEBOAT" info "$T/s.qcow2.001"
	expect "verify on the third piece says piece 3" 6 "is piece 3 of a split image" -- \
		"$LIFEBOAT" verify "$T/s.qcow2.002"
	# the joined file with one byte less is still refused
	head -c -1 "$T/joined.qcow2" >"$T/short.qcow2"
	expect "a joined set one byte short is refused, exit 6" 6 "short.qcow2" -- "$LIFEBOAT" verify "$T/short.qcow2"
else
	fail "split backup for the joined-set cases" "no 4-piece split set"
fi

# 12: sizes checked by the parser, one message each, as in help and docs.
split_words="--split takes a size of at least the cluster size (1M, or --cluster-size)"
expect "--split 0 is a usage error" 2 "$split_words" -- "$LIFEBOAT" backup "$T/src.img" "$T/x.qcow2" --split 0
expect "--split 1 is a usage error naming the minimum" 2 "$split_words" -- "$LIFEBOAT" backup "$T/src.img" "$T/x.qcow2" --split 1
expect "--split 100K is a usage error" 2 "$split_words" -- "$LIFEBOAT" backup "$T/src.img" "$T/x.qcow2" --split 100K
expect "--split below --cluster-size is a usage error" 2 "$split_words" -- \
	"$LIFEBOAT" backup "$T/src.img" "$T/x.qcow2" --split 128K --cluster-size 256K
cl_words="--cluster-size must be a power of two from 64K to 2M"
for c in 512 32K 96K 4M; do
	expect "--cluster-size $c is a usage error" 2 "$cl_words" -- "$LIFEBOAT" backup "$T/src.img" "$T/x.qcow2" --cluster-size $c
done
[ ! -e "$T/x.qcow2" ] && [ ! -e "$T/x.qcow2.part" ] && pass "usage errors write nothing" || fail "usage errors write nothing"
expect "--split 2M --cluster-size 64K is accepted" 0 "backup done" -- \
	"$LIFEBOAT" backup "$T/src.img" "$T/ok.qcow2" --split 2M --cluster-size 64K
out=$("$LIFEBOAT" help backup 2>&1)
[[ $out == *"a power of two from 64K to 2M"* && $out == *"0 is an error"* ]] &&
	grep -q "a power of two from 64K to 2M" "$TOP/docs/cli.md" && grep -q -- '`--split 0` or a smaller size is a usage error' "$TOP/docs/cli.md" &&
	pass "help and docs give the same limits" || fail "help and docs give the same limits"

# 13: documented exit codes.
expect "missing source: exit 4, cannot open it" 4 "/nonexist-lb" "cannot open" "No such file or directory" -- \
	"$LIFEBOAT" backup /nonexist-lb "$T/x.qcow2"
expect "clone of a missing source: exit 4" 4 "cannot open" "No such file or directory" -- \
	"$LIFEBOAT" clone /nonexist-lb "$T/x.img" --yes
expect "restore of a missing image: exit 6" 6 "cannot open $T/none.qcow2: No such file or directory" -- \
	"$LIFEBOAT" restore "$T/none.qcow2" "$T/x.img" --yes
expect "missing destination folder: exit 5" 5 "destination folder $T/nodir" "No such file or directory" -- \
	"$LIFEBOAT" backup "$T/src.img" "$T/nodir/x.qcow2"
expect "--offset beyond the source: exit 2" 2 "lies outside the device" -- \
	"$LIFEBOAT" backup "$T/src.img" "$T/x.qcow2" --offset 100M
expect "--length beyond the source: exit 2" 2 "lies outside the device" -- \
	"$LIFEBOAT" clone "$T/src.img" "$T/x.img" --offset 1M --length 40M --yes
expect "verify /dev/null: exit 6" 6 "/dev/null is not a regular file, so not a qcow2 image" -- \
	"$LIFEBOAT" verify /dev/null
echo "hello" >"$T/text.txt"
expect "verify a text file: exit 6" 6 "not a qcow2 image" -- "$LIFEBOAT" verify "$T/text.txt"
grep -q "the destination folder does not exist" "$TOP/docs/cli.md" && grep -q "the image is missing" "$TOP/docs/cli.md" &&
	pass "docs/cli.md's exit-code table lists these cases" || fail "docs/cli.md's exit-code table lists these cases"

# 14: restore onto a smaller disk says what it wrote.  A GPT disk whose only
# partition ends at 20 MiB, imaged at 40 MiB, restored onto a 30 MiB file
# made a loop device (a file target would be extended).
if need_root && have sgdisk && have losetup; then
	truncate -s 40M "$T/gpt.img"
	sgdisk -o -n 1:2048:+18M "$T/gpt.img" >/dev/null 2>&1
	"$LIFEBOAT" backup "$T/gpt.img" "$T/gpt.qcow2" >/dev/null 2>&1
	truncate -s 30M "$T/small.img"
	L=$(losetup -f --show "$T/small.img")
	on_exit "losetup -d $L"
	expect "restore onto a smaller disk: the done line says 31457280 bytes (30.0 MiB)" 0 \
		"31457280 bytes (30.0 MiB)" -- "$LIFEBOAT" restore "$T/gpt.qcow2" "$L" --yes
else
	skip "restore onto a smaller disk: the done line says the bytes written" "needs root, sgdisk and losetup"
fi

# Sizes in words: three significant digits everywhere in the CLI.
out=$("$LIFEBOAT" info "$T/ok.qcow2" 2>&1)
[[ $out == *"(40.0 MiB)"* ]] && pass "info: 40 MiB is written 40.0 MiB" || fail "info: 40 MiB is written 40.0 MiB" "$(echo "$out" | head -3)"
head -c 8M /dev/urandom >"$T/eight.img"
expect "backup done line: 8 MiB is written 8.00 MiB" 0 "8388608 bytes (8.00 MiB)" -- \
	"$LIFEBOAT" backup "$T/eight.img" "$T/eight.qcow2"
truncate -s 100M "$T/hundred.img"
expect "backup done line: 100 MiB is written 100 MiB" 0 "104857600 bytes (100 MiB)" -- \
	"$LIFEBOAT" backup "$T/hundred.img" "$T/hundred.qcow2"

# Natural order in `list`: loop devices numbered with one and two digits.
if need_root && have losetup; then
	truncate -s 1M "$T/lo.img"
	n=0; while [ $n -lt 12 ] && ! { [ -e /sys/block/loop2 ] && [ -e /sys/block/loop10 ]; }; do
		l=$(losetup -f --show "$T/lo.img" 2>/dev/null) || break
		on_exit "losetup -d $l"; n=$((n + 1))
	done
	names=$("$LIFEBOAT" list --json 2>/dev/null | grep -o '"name": "loop[0-9]*"' | grep -o 'loop[0-9]*')
	if [ "$(echo "$names" | grep -c .)" -lt 2 ] || ! echo "$names" | grep -qx 'loop[0-9][0-9]'; then
		skip "list: loop2 before loop10 (natural order)" "could not bind loop devices with one- and two-digit numbers"
	elif [ "$names" = "$(echo "$names" | sort -V)" ]; then
		pass "list: loop2 before loop10 (natural order)"
	else
		fail "list: loop2 before loop10 (natural order)" "$(echo $names)"
	fi
else
	skip "list: loop2 before loop10 (natural order)" "needs root and losetup"
fi

# docs/cli.md's synopsis lists every command `lifeboat --help` lists.
syn=$(sed -n '/^```$/,/^```$/p' "$TOP/docs/cli.md" | head -20)
missing=""
for c in $("$LIFEBOAT" --help 2>&1 | sed -n 's/^  lifeboat \([a-z]*\).*/\1/p' | sort -u); do
	grep -q "^lifeboat $c" <<<"$syn" || missing="$missing $c"
done
[ -z "$missing" ] && grep -q "^lifeboat probe DISK" <<<"$syn" && grep -q "^lifeboat rescue SOURCE IMAGE" <<<"$syn" &&
	pass "docs/cli.md synopsis lists every command, probe and rescue too" ||
	fail "docs/cli.md synopsis lists every command, probe and rescue too" "missing:$missing"
