#!/usr/bin/env bash
# tests/rescue/t_reader_queue.sh — the reader thread's queue of two jobs
# (rescue_reader.c) never makes a rescue fail (issue 6).  A copy batch
# queues the next one behind it (rescue_io.c); when that next one was a
# single chunk the copy pass read it another way, so the queued job kept
# its place in the queue, and the trim after the copy passes, which fills
# both places, failed: "rescue FAILED: Device or resource busy".
# A: a disk built so that this happens every time (20.5 chunks of 64 KiB,
# bad sectors in chunks 1 and 19: the batch of chunks 3-18 queues chunk
# 19 alone; two non-trimmed blocks for the trim).  B: the disk of
# t_files_meta.sh case C (ext4 superblock sectors 2050-2051 and a file
# sector bad) with data first, 30 times: every run exit 0, same map.
# No root: the fault backend (LIFEBOAT_FAULT_MAP, rescue_lib.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

have qemu-img || { skip "reader queue" "qemu-img not installed"; exit 0; }

# rescue_ok NAME MAP SRC IMAGE [ARGS]: exit 0 and the exported map.
rescue_ok() {
	local name=$1 map=$2 src=$3 img=$4
	shift 4
	rm -f "$img" "$img".*
	LIFEBOAT_FAULT_MAP=$map "$LIFEBOAT" rescue "fault:$src" "$img" \
		--export-map "$img.map" "$@" >"$img.out" 2>&1
}

# bytes_ok IMAGE SRC "START:COUNT ...": the image is SRC with those zeroed.
bytes_ok() {
	expected "$2" "$T/want.raw" "$3"
	qemu-img check "$1" >/dev/null 2>&1 &&
		qemu-img compare -q -f qcow2 -F raw "$1" "$T/want.raw" 2>/dev/null
}

# A
bad="128:1 2432:1"
head -c $((41 * 32768)) /dev/urandom >"$T/a.img"
badmap "$T/a.map" "$bad"
for df in "" --no-data-first; do
	what="a single chunk queued ahead, then a trim of two blocks${df:+ ($df)}"
	if ! rescue_ok "$what" "$T/a.map" "$T/a.img" "$T/a.qcow2" $df; then
		fail "$what: exit 0" "$(tail -3 "$T/a.qcow2.out")"
	elif [ "$(bad_sectors "$T/a.qcow2.map")" != "$(ranges_of "$bad")" ]; then
		fail "$what: map" "$(bad_sectors "$T/a.qcow2.map" | tr '\n' ' ')"
	elif ! bytes_ok "$T/a.qcow2" "$T/a.img" "$bad"; then
		fail "$what: image bytes (qemu-img check/compare)"
	else
		pass "$what: exit 0, bad sectors exactly $(ranges_of "$bad" | tr '\n' ' '), image = source with them zeroed"
	fi
done

# B
for t in sfdisk mkfs.ext4 debugfs mkfs.fat mcopy mkntfs ntfscp; do
	have $t || { skip "t_files_meta.sh's disk 30 times" "$t not installed"; exit 0; }
done
mkdir -p "$T/root"
for f in a b c d e; do head -c 300000 /dev/urandom >"$T/root/file_$f.bin"; done
mkfs.ext4 -q -F -b 1024 -I 256 -d "$T/root" "$T/ext.img" 24M >/dev/null 2>&1 ||
	{ skip "t_files_meta.sh's disk 30 times" "mkfs.ext4 -d failed"; exit 0; }
truncate -s 16M "$T/fat.img"
mkfs.fat -F 16 "$T/fat.img" >/dev/null 2>&1
for f in a b c; do mcopy -i "$T/fat.img" "$T/root/file_$f.bin" "::/FILE_$f.BIN"; done
truncate -s 16M "$T/ntfs.img"
mkntfs -F -Q "$T/ntfs.img" >/dev/null 2>&1
for f in a b c d e; do ntfscp -f "$T/ntfs.img" "$T/root/file_$f.bin" "file_$f.bin" >/dev/null 2>&1; done
truncate -s 120M "$T/disk.img"
printf 'label: dos\nstart=2048, size=49152, type=83\nstart=51200, size=32768, type=6\nstart=83968, size=32768, type=7\n' |
	sfdisk -q "$T/disk.img" >/dev/null
dd if="$T/ext.img" of="$T/disk.img" bs=512 seek=2048 conv=notrunc status=none
dd if="$T/fat.img" of="$T/disk.img" bs=512 seek=51200 conv=notrunc status=none
dd if="$T/ntfs.img" of="$T/disk.img" bs=512 seek=83968 conv=notrunc status=none
blk=$(debugfs -R "blocks /file_c.bin" "$T/ext.img" 2>/dev/null | awk '{print $5}')
bad="2050:2 $((2048 + blk * 2)):1"
badmap "$T/b.map" "$bad"

N=30 failed=0 differ=0 first=""
for i in $(seq 1 $N); do
	if ! rescue_ok run "$T/b.map" "$T/disk.img" "$T/b.qcow2"; then
		failed=$((failed + 1))
		echo "run $i: $(tail -1 "$T/b.qcow2.out")"
		continue
	fi
	m=$(grep -v '^#' "$T/b.qcow2.map")
	[ -z "$first" ] && first=$m
	[ "$m" = "$first" ] || differ=$((differ + 1))
done
what="t_files_meta.sh's disk (ext4 superblock + a file sector bad), data first, $N runs"
if [ $failed -gt 0 ] || [ $differ -gt 0 ]; then
	fail "$what" "$failed failed, $differ maps differ from the first"
elif [ "$(bad_sectors "$T/b.qcow2.map")" != "$(ranges_of "$bad")" ]; then
	fail "$what: map" "$(bad_sectors "$T/b.qcow2.map" | tr '\n' ' ')"
elif ! bytes_ok "$T/b.qcow2" "$T/disk.img" "$bad"; then
	fail "$what: image bytes of the last run (qemu-img check/compare)"
elif ! grep -q "superblock / group descriptors" "$T/b.qcow2.out"; then
	fail "$what: the file list" "$(tail -3 "$T/b.qcow2.out")"
else
	pass "$what: all exit 0, the same map, bad sectors exactly $(ranges_of "$bad" | tr '\n' ' '), the last image = source with them zeroed, the file list printed"
fi
