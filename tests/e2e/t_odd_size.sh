#!/usr/bin/env bash
# t_odd_size.sh — a regular-file source whose size is not a multiple of
# 512 (1000001 bytes) comes back byte for byte: the exact size is kept in
# the image's LBOT extension (info --json source_size), a restore into a
# new file and with --verify gives exactly the source (cmp, size); into a
# longer existing file the first 1000001 bytes, the rest left as it was, and qemu-img compare agrees with the image.
. "$(dirname "$0")/../lib.sh"

head -c 1000001 /dev/urandom >"$T/s.bin"
if ! "$LIFEBOAT" backup "$T/s.bin" "$T/s.qcow2" >"$T/log" 2>&1; then
	fail "backup of a 1000001-byte file" "$(tail -1 "$T/log")"; exit 0
fi
if "$LIFEBOAT" info --json "$T/s.qcow2" | grep -q '"source_size": 1000001,'; then
	pass "the image records the exact size 1000001"
else fail "the image records the exact size 1000001" "$("$LIFEBOAT" info --json "$T/s.qcow2" | grep size)"; fi
"$LIFEBOAT" restore "$T/s.qcow2" "$T/new.bin" --yes >"$T/log" 2>&1
same_bytes "restore into a new file gives back all 1000001 bytes" "$T/s.bin" "$T/new.bin"
head -c 5M /dev/zero | tr '\0' 'y' >"$T/long.bin"
"$LIFEBOAT" restore "$T/s.qcow2" "$T/long.bin" --yes --verify >"$T/log" 2>&1
# a longer existing file is a disk of that size: written, never shrunk
cmp -s "$T/s.bin" <(head -c 1000001 "$T/long.bin") && [ "$(stat -c %s "$T/long.bin")" = 5242880 ] &&
	cmp -s <(tail -c +1000002 "$T/long.bin") <(head -c $((5242880 - 1000001)) /dev/zero | tr '\0' 'y') &&
	pass "restore --verify over a longer file writes 1000001 bytes and leaves the rest" ||
	fail "restore --verify over a longer file writes 1000001 bytes and leaves the rest" "$(stat -c %s "$T/long.bin") bytes; $(tail -1 "$T/log")"
"$LIFEBOAT" backup --raw --compress zlib --cluster-size 128K "$T/s.bin" "$T/z.qcow2" >"$T/log" 2>&1 &&
	"$LIFEBOAT" restore "$T/z.qcow2" "$T/z.bin" --yes >>"$T/log" 2>&1
same_bytes "zlib, 128 KiB clusters: the last partial cluster comes back exactly" "$T/s.bin" "$T/z.bin"
if have qemu-img; then
	out=$(qemu-img compare "$T/s.qcow2" "$T/s.bin" 2>&1)
	[[ $out == *"identical"* ]] && pass "qemu-img compare: the image equals the odd-sized source" || fail "qemu-img compare of the odd-sized image" "$out"
else skip "qemu-img compare of the odd-sized image" "qemu-img missing"; fi
