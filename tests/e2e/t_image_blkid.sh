#!/usr/bin/env bash
# Every small real image under ../shared/images/blkid (util-linux's test
# data: filesystems in fs/, partition tables in pt/) survives backup then
# restore byte-identical, in --raw mode and in the default used-blocks mode,
# and every image written passes qemu-img check.  One result per image and
# mode; the images are decompressed into the scratch folder, never copied
# into the project.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/image_lib.sh"
L=$LIFEBOAT
IMG=$SHARED/images/blkid
[ -d "$IMG/fs" ] || { skip "blkid images" "$IMG not present"; exit 0; }
export SOURCE_DATE_EPOCH=1700000000
haveq=0; have qemu-img && haveq=1

one() {         # NAME RAWFILE MODE-OPTIONS...
	local n=$1 f=$2 why=; shift 2
	rm -f "$T/i.qcow2" "$T/i.out"
	"$L" backup "$f" "$T/i.qcow2" "$@" >/dev/null 2>"$T/err" || why="backup failed: $(tail -1 "$T/err")"
	[ -z "$why" ] && [ $haveq = 1 ] && ! qemu-img check "$T/i.qcow2" >/dev/null 2>&1 && why="qemu-img check failed"
	[ -z "$why" ] && ! "$L" restore "$T/i.qcow2" "$T/i.out" --yes >/dev/null 2>"$T/err" && why="restore failed: $(tail -1 "$T/err")"
	[ -z "$why" ] && ! cmp -s "$f" "$T/i.out" && why="restored bytes differ: $(cmp "$f" "$T/i.out" 2>&1 | head -1)"
	if [ -z "$why" ]; then pass "$n"; else fail "$n" "$why"; fi
}

for x in "$IMG"/fs/*.xz "$IMG"/pt/*.xz; do
	kind=$(basename "$(dirname "$x")"); name=$(basename "$x" .xz)
	xz -dc "$x" >"$T/src" 2>/dev/null || { fail "$kind/$name" "cannot decompress"; continue; }
	if [ ! -s "$T/src" ]; then skip "$kind/$name" "empty after decompression"; continue; fi
	one "$kind/$name --raw" "$T/src" --raw
	one "$kind/$name used-blocks" "$T/src"
done
