#!/usr/bin/env bash
# t_sparse_source.sh — backup skips the holes of a sparse regular-file
# source (lseek SEEK_DATA / SEEK_HOLE) and still stores every byte: data
# extents that start and end inside clusters, a hole at the very end, a
# span (--offset/--length) that starts inside a hole, and a used-blocks
# backup of an ext4 filesystem in a sparse file.  Each image is checked
# by qemu-img compare, lifeboat verify --against, and the SHA-256 that
# info reports against sha256sum of the source.
. "$(dirname "$0")/../lib.sh"

f=$T/sparse.img
truncate -s 48M "$f"
head -c 300000 /dev/urandom | dd of="$f" bs=1 seek=4096 conv=notrunc status=none
head -c 70000 /dev/urandom | dd of="$f" bs=1 seek=$((5 * 1048576 + 12345)) conv=notrunc status=none
printf 'tail' | dd of="$f" bs=1 seek=$((20 * 1048576 - 4)) conv=notrunc status=none
truncate -s $((48 * 1048576 + 777)) "$f"          # odd size, hole at the end

# same_image NAME IMAGE SOURCE-BYTES-FILE
same_image() {
	local name=$1 img=$2 src=$3 sha out
	sha=$("$LIFEBOAT" info --json "$img" | sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p')
	[ "$sha" = "$(sha256sum <"$src" | cut -d' ' -f1)" ] || { fail "$name" "info sha256 $sha differs from sha256sum"; return; }
	out=$("$LIFEBOAT" verify "$img" --against "$src" 2>&1) || { fail "$name" "verify: $(echo "$out" | tail -1)"; return; }
	if have qemu-img; then
		out=$(qemu-img compare -f qcow2 -F raw "$img" "$src" 2>&1) || { fail "$name" "qemu-img compare: $out"; return; }
	fi
	pass "$name"
}

"$LIFEBOAT" backup --raw "$f" "$T/raw.qcow2" >"$T/log" 2>&1 || fail "backup --raw of a sparse file" "$(tail -1 "$T/log")"
same_image "sparse file, --raw: every byte stored, holes read as zeros" "$T/raw.qcow2" "$f"
"$LIFEBOAT" restore "$T/raw.qcow2" "$T/back.img" --yes >"$T/log" 2>&1
same_bytes "sparse file, --raw: restore gives back the source" "$f" "$T/back.img"

"$LIFEBOAT" backup --raw --offset $((1048576 + 4096)) --length $((19 * 1048576)) "$f" "$T/span.qcow2" >"$T/log" 2>&1 ||
	fail "backup of a span starting in a hole" "$(tail -1 "$T/log")"
dd if="$f" of="$T/span.bin" bs=4096 skip=257 count=$((19 * 256)) status=none
same_image "a span of a sparse file that starts in a hole and ends in data" "$T/span.qcow2" "$T/span.bin"

if have mkfs.ext4; then
	truncate -s 64M "$T/fs.img"; mkfs.ext4 -q -F -d "$TOP/imager" "$T/fs.img"
	"$LIFEBOAT" backup "$T/fs.img" "$T/fs.qcow2" >"$T/log" 2>&1 || fail "used-blocks backup of a sparse ext4 file" "$(tail -1 "$T/log")"
	"$LIFEBOAT" restore "$T/fs.qcow2" "$T/fs.out" --yes >"$T/log" 2>&1
	if e2fsck -fn "$T/fs.out" >/dev/null 2>&1 && diff -r <(debugfs -R "ls -l /" "$T/fs.img" 2>/dev/null | awk 'NF > 4 {print $NF, $(NF-4)}') \
	   <(debugfs -R "ls -l /" "$T/fs.out" 2>/dev/null | awk 'NF > 4 {print $NF, $(NF-4)}') >/dev/null &&
	   cmp -s <(debugfs -R "cat /backup.c" "$T/fs.out" 2>/dev/null) "$TOP/imager/backup.c"; then
		pass "used-blocks backup of a sparse ext4 file restores a clean filesystem with the same files"
	else fail "used-blocks backup of a sparse ext4 file restores a clean filesystem with the same files" "e2fsck or listing differs"; fi
else skip "used-blocks backup of a sparse ext4 file" "mkfs.ext4 missing"; fi
