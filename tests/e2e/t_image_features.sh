#!/usr/bin/env bash
# t_image_features.sh — a qcow2 whose header asks for something Lifeboat
# cannot read (an unknown incompatible feature bit, encryption, a backing
# file) is "not an image we can read": exit 6 naming the field and its byte
# (docs/cli.md), as for a damaged header; never exit 1 (trial 2, F8).
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1
truncate -s 8M d.img
head -c 1000000 /dev/urandom | dd of=d.img conv=notrunc status=none
"$LIFEBOAT" backup d.img d.qcow2 >/dev/null 2>&1 || { fail "backup for the feature cases"; exit 0; }
# case: byte offset, bytes (printf escapes), words expected in the message
while IFS='|' read -r name at bytes words; do
	cp d.qcow2 x.qcow2
	printf "$bytes" | dd of=x.qcow2 bs=1 seek="$at" conv=notrunc status=none
	for cmd in info verify; do
		out=$("$LIFEBOAT" $cmd x.qcow2 2>&1); rc=$?
		if [ $rc = 6 ] && grep -q "$words" <<<"$out"; then pass "$cmd: $name: exit 6, '$words'"
		else fail "$cmd: $name" "rc=$rc $out"; fi
	done
done <<'CASES'
unknown incompatible feature bit 4|79|\x10|unsupported incompatible features 0x10 at byte 72
encrypted (crypt_method 2)|35|\x02|crypt_method 2 at byte 32
backing file offset|15|\x80|backing file (byte 8)
CASES
