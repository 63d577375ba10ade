#!/usr/bin/env bash
# usedblocks.sh — used-block backup of the bench disk (build/bench/disk.img,
# made by bench.sh) against Clonezilla's own pipeline: the partition table
# saved with sfdisk -d, then `partclone.<fs> -c` of each partition piped to
# `zstd -T0 -3` (and, second row, to `pigz -1`).  Lifeboat: `lifeboat
# backup DISK` (used blocks, one qcow2 file).  Wall and CPU seconds, peak
# RSS, bytes, and wall/size as multiples of Lifeboat's.  The issue's goal:
# Lifeboat at most half the zstd pipeline's wall time, with an image no
# larger than its pieces together.  partclone needs each partition as a
# device: loop devices with offsets (root), else the table is skipped.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
L=${LIFEBOAT:-$top/build/host/lifeboat}
WD=$top/build/bench
D=$WD/disk.img
[ -s "$D" ] || { echo "usedblocks: $D missing (run tests/bench/bench.sh first)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "usedblocks: needs root (loop devices for partclone); skipped"; exit 0; }
command -v partclone.ext4 >/dev/null || { echo "usedblocks: partclone not installed; skipped"; exit 0; }

# Loop devices for the partitions, and the partclone command per partition.
loops=() pieces=()
for i in $(sgdisk -p "$D" | awk '/^ +[0-9]+ /{print $1}'); do
	s=$(sgdisk -i "$i" "$D" | awk '/First sector/{print $3}')
	n=$(sgdisk -i "$i" "$D" | awk '/Partition size/{print $3}')
	lo=$(losetup -f --show -r -o $((s * 512)) --sizelimit $((n * 512)) "$D") || continue
	loops+=("$lo")
	t=$(blkid -p -o value -s TYPE "$lo" 2>/dev/null)
	case $t in ext2|ext3|ext4) pc=partclone.$t;; vfat) pc=partclone.vfat;; ntfs) pc=partclone.ntfs;; *) pc=partclone.dd;; esac
	pieces+=("$pc -c -q -s $lo -o -")
done
trap 'for l in "${loops[@]}"; do losetup -d "$l"; done' EXIT

pipeline() {    # COMPRESSOR SUFFIX: the Clonezilla-style set of files
	local c=$1 x=$2 k=0 cmd="sfdisk -d $D > $WD/pc.sfdisk"
	for p in "${pieces[@]}"; do k=$((k + 1)); cmd="$cmd && $p 2>/dev/null | $c > $WD/pc$k.$x"; done
	echo "$cmd"
}
rows=()
run() {
	local name=$1 out=$2 cmd=$3
	sync
	/usr/bin/time -o "$WD/time" -f "%e %U %S %M" bash -c "$cmd" >/dev/null 2>"$WD/err" ||
		echo "  $name FAILED: $(tail -2 "$WD/err")" >&2
	rows+=("$name;$(tail -1 "$WD/time");$(du -bc $out 2>/dev/null | tail -1 | cut -f1)")
}
cat "$D" >/dev/null
rm -f "$WD"/pc* "$WD/ub.qcow2"
run "lifeboat backup (used blocks)" "$WD/ub.qcow2" "$L backup $D $WD/ub.qcow2"
run "sfdisk -d + partclone | zstd -T0 -3" "$WD/pc*.zst $WD/pc.sfdisk" "$(pipeline 'zstd -q -T0 -3' zst)"
run "sfdisk -d + partclone | pigz -1" "$WD/pc*.gz $WD/pc.sfdisk" "$(pipeline 'pigz -1' gz)"

echo
echo "used-block backup of $D ($(( $(stat -c %s "$D") >> 20 )) MiB, ${#pieces[@]} partitions)"
printf '%-38s %8s %8s %9s %12s %7s %7s\n' tool wall_s cpu_s rss_MiB bytes wall_x size_x
IFS=';' read -r _ t0 s0 <<<"${rows[0]}"; read -r w0 _ <<<"$t0"
for r in "${rows[@]}"; do
	IFS=';' read -r name t size <<<"$r"; read -r wall u sy rss <<<"$t"
	printf '%-38s %8.2f %8.2f %9.1f %12s %7.2f %7.2f\n' "$name" "$wall" "$(echo "$u + $sy" | bc)" \
		"$(echo "$rss / 1024" | bc -l)" "$size" "$(echo "$wall / $w0" | bc -l)" "$(echo "$size / $s0" | bc -l)"
done
echo "(x: this row divided by Lifeboat's; the goal is wall_x >= 2 and size_x >= 1 for the zstd row)"
