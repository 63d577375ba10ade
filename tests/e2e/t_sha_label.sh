#!/usr/bin/env bash
# t_sha_label.sh — the SHA-256 in an image is labelled for what it is
# (trial finding 4): a used-blocks image of a FAT holding a deleted file's
# data stores the SHA-256 of the disk as it restores (free space as
# zeros): info says "sha256 of the restored disk (free space as zeros)",
# the value equals sha256sum of the restored file and not of the source;
# verify's line says the same; a raw image's "source sha256" is sha256sum of
# the source.
. "$(dirname "$0")/../lib.sh"

have mkfs.vfat && have mcopy && have mdel || { skip "sha256 labels" "needs mkfs.vfat and mtools"; exit 0; }
truncate -s 16M "$T/fat.img"; mkfs.vfat "$T/fat.img" >/dev/null
head -c 2M /dev/urandom >"$T/blob"
mcopy -i "$T/fat.img" "$T/blob" ::/BLOB && mdel -i "$T/fat.img" ::/BLOB
"$LIFEBOAT" backup "$T/fat.img" "$T/u.qcow2" >/dev/null 2>&1 &&
	"$LIFEBOAT" restore "$T/u.qcow2" "$T/u.raw" --yes >/dev/null 2>&1 || fail "used-blocks backup and restore" "exit $?"
info=$("$LIFEBOAT" info "$T/u.qcow2" 2>&1)
val=$(echo "$info" | grep -A1 "sha256 of the restored disk (free space as zeros)" | tail -1 | tr -d ' ')
[ -n "$val" ] && [ "$val" = "$(sha256sum "$T/u.raw" | cut -d' ' -f1)" ] &&
	pass "used-blocks info: sha256 of the restored disk, equal to the restored bytes" ||
	fail "used-blocks info: sha256 of the restored disk, equal to the restored bytes" "$(echo "$info" | grep -i -A1 sha)"
[ "$val" != "$(sha256sum "$T/fat.img" | cut -d' ' -f1)" ] && [[ $info != *"source sha256"* ]] &&
	pass "used-blocks info does not call it the source's SHA-256" ||
	fail "used-blocks info does not call it the source's SHA-256" "the deleted data did not differ, or the label says source"
out=$("$LIFEBOAT" verify "$T/u.qcow2" 2>&1)
[[ $out == *"of the restored disk, free space as zeros"* ]] && pass "verify names what the SHA-256 is of" ||
	fail "verify names what the SHA-256 is of" "$out"
"$LIFEBOAT" backup --raw "$T/fat.img" "$T/r.qcow2" >/dev/null 2>&1
info=$("$LIFEBOAT" info "$T/r.qcow2" 2>&1)
[[ $info == *"source sha256:  $(sha256sum "$T/fat.img" | cut -d' ' -f1)"* ]] &&
	pass "raw info: source sha256 is sha256sum of the source" ||
	fail "raw info: source sha256 is sha256sum of the source" "$(echo "$info" | grep -i sha)"
