#!/usr/bin/env bash
# t_verify_words.sh — `lifeboat verify` says what it proved and no more:
# a Lifeboat image: every cluster matches its checksum and the disk its
# SHA-256; an image made by qemu-img (no Lifeboat metadata, so no
# checksums): every cluster decoded, never "matches its checksum"; with
# --against on a used-blocks image: the used (stored) bytes match and free
# space was not compared; on a raw image: the same bytes; against a longer
# disk: only the image's length was compared; a shorter one differs (7).
. "$(dirname "$0")/../lib.sh"

head -c 3M /dev/urandom >"$T/src.img"; truncate -s 8M "$T/src.img"
"$LIFEBOAT" backup "$T/src.img" "$T/img.qcow2" >/dev/null 2>&1 || { fail "backup for verify" "lifeboat backup failed"; exit 0; }

# words NAME WORD... -- NOTWORD... -- ARGS: exit 0, words there, others not
words() {
	local name=$1 out rc w yes=() no=(); shift
	while [ "$1" != -- ]; do yes+=("$1"); shift; done; shift
	while [ "$1" != -- ]; do no+=("$1"); shift; done; shift
	out=$("$LIFEBOAT" "$@" 2>&1); rc=$?
	[ $rc = 0 ] || { fail "$name" "exit $rc: $(echo "$out" | tail -2 | tr '\n' ' ')"; return; }
	for w in "${yes[@]}"; do [[ $out == *"$w"* ]] || { fail "$name" "no \"$w\" in: $(echo "$out" | tr '\n' ' ')"; return; }; done
	for w in "${no[@]}"; do [[ $out != *"$w"* ]] || { fail "$name" "\"$w\" in: $(echo "$out" | tr '\n' ' ')"; return; }; done
	pass "$name"
}

words "verify of a Lifeboat image names its checksums and SHA-256" \
	"verify OK" "every cluster matches its checksum" "matches its SHA-256" -- "decoded" -- \
	verify "$T/img.qcow2"
words "verify --against of a raw image: the same bytes" \
	"verify OK" "holds the same bytes as $T/src.img" -- "free space" -- \
	verify "$T/img.qcow2" --against "$T/src.img"
cp "$T/src.img" "$T/longer.img"; head -c 1M /dev/urandom >>"$T/longer.img"
words "verify --against a longer disk says only the image's length was compared" \
	"verify OK" "longer than the image" "only its first 8388608 bytes were compared" -- "holds the same bytes" -- \
	verify "$T/img.qcow2" --against "$T/longer.img"
head -c 7M "$T/src.img" >"$T/shorter.img"
out=$("$LIFEBOAT" verify "$T/img.qcow2" --against "$T/shorter.img" 2>&1); rc=$?
[ $rc = 7 ] && [[ $out == *"differ in size"* ]] && pass "verify --against a shorter disk: exit 7, sizes differ" ||
	fail "verify --against a shorter disk: exit 7, sizes differ" "exit $rc: $out"

if have qemu-img; then
	qemu-img convert -O qcow2 -c "$T/src.img" "$T/q.qcow2"
	words "verify of a qemu-img image says every cluster decoded, no checksum claim" \
		"verify OK" "every cluster of $T/q.qcow2 decoded" "no checksums" -- "matches its checksum" "SHA-256" -- \
		verify "$T/q.qcow2"
	words "verify --against of a qemu-img image compares bytes" \
		"decoded" "holds the same bytes as $T/src.img" -- "matches its checksum" -- \
		verify "$T/q.qcow2" --against "$T/src.img"
else skip "verify of a qemu-img image" "qemu-img missing"; fi

if have mkfs.ext4; then
	truncate -s 32M "$T/fs.img"; mkfs.ext4 -q -F -d "$TOP/imager" "$T/fs.img"
	if "$LIFEBOAT" backup "$T/fs.img" "$T/fs.qcow2" >/dev/null 2>&1 &&
	   "$LIFEBOAT" info "$T/fs.qcow2" | grep -q "mode used-blocks"; then
		words "verify --against of a used-blocks image: used bytes match, free space not compared" \
			"verify OK" "the used (stored) bytes match $T/fs.img" "free space was not compared" -- \
			"holds the same bytes" -- verify "$T/fs.qcow2" --against "$T/fs.img"
	else fail "verify --against of a used-blocks image" "backup of an ext4 file was not used-blocks"; fi
else skip "verify --against of a used-blocks image" "mkfs.ext4 missing"; fi
