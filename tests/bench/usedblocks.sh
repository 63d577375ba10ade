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
#
# The machine is shared, so every tool runs RUNS times (default 3), in a
# different order each round, and the table shows medians.  LB_VARIANTS
# adds Lifeboat rows with other options, ';'-separated, e.g.
#   LB_VARIANTS='--level 3;--cluster-size 2M --level 6' usedblocks.sh
# The last lines say where Lifeboat's bytes went: compressed data per
# partition next to partclone's piece, and the qcow2/Lifeboat tables.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
L=${LIFEBOAT:-$top/build/host/lifeboat}
WD=$top/build/bench
D=$WD/disk.img
RUNS=${RUNS:-3}
[ -s "$D" ] || { echo "usedblocks: $D missing (run tests/bench/bench.sh first)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "usedblocks: needs root (loop devices for partclone); skipped"; exit 0; }
command -v partclone.ext4 >/dev/null || { echo "usedblocks: partclone not installed; skipped"; exit 0; }

# Loop devices for the partitions, and the partclone command per partition.
loops=() pieces=() starts=() lens=()
for i in $(sgdisk -p "$D" | awk '/^ +[0-9]+ /{print $1}'); do
	s=$(sgdisk -i "$i" "$D" | awk '/First sector/{print $3}')
	n=$(sgdisk -i "$i" "$D" | awk '/Partition size/{print $3}')
	lo=$(losetup -f --show -r -o $((s * 512)) --sizelimit $((n * 512)) "$D") || continue
	loops+=("$lo") starts+=($((s * 512))) lens+=($((n * 512)))
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

# The tools: name, output files, command.  Lifeboat's rows first.
names=() outs=() cmds=()
add() { names+=("$1"); outs+=("$2"); cmds+=("$3"); }
add "lifeboat backup (used blocks)" "$WD/ub.qcow2" "rm -f $WD/ub.qcow2; $L backup $D $WD/ub.qcow2"
IFS=';' read -r -a variants <<<"${LB_VARIANTS:-}"
k=0
for v in "${variants[@]}"; do
	k=$((k + 1))
	add "lifeboat backup $v" "$WD/ub$k.qcow2" "rm -f $WD/ub$k.qcow2; $L backup $D $WD/ub$k.qcow2 $v"
done
add "sfdisk -d + partclone | zstd -T0 -3" "$WD/pc*.zst $WD/pc.sfdisk" "$(pipeline 'zstd -q -T0 -3' zst)"
add "sfdisk -d + partclone | pigz -1" "$WD/pc*.gz $WD/pc.sfdisk" "$(pipeline 'pigz -1' gz)"

declare -A WALL CPU RSS SIZE
run() {         # I: one timed run of tool I
	local i=$1 t
	sync
	/usr/bin/time -o "$WD/time" -f "%e %U %S %M" bash -c "${cmds[$i]}" >/dev/null 2>"$WD/err" ||
		echo "  ${names[$i]} FAILED: $(tail -2 "$WD/err")" >&2
	read -r w u s m <<<"$(tail -1 "$WD/time")"
	WALL[$i]+="$w " CPU[$i]+="$(echo "$u + $s" | bc) " RSS[$i]+="$m "
	SIZE[$i]=$(du -bc ${outs[$i]} 2>/dev/null | tail -1 | cut -f1)
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }

cat "$D" >/dev/null
rm -f "$WD"/pc* "$WD"/ub*.qcow2
n=${#names[@]}
for ((r = 0; r < RUNS; r++)); do        # rotate the order every round
	for ((j = 0; j < n; j++)); do run $(((j + r) % n)); done
done

echo
echo "used-block backup of $D ($(( $(stat -c %s "$D") >> 20 )) MiB, ${#pieces[@]} partitions), medians of $RUNS runs"
printf '%-44s %7s %7s %8s %11s %6s %6s  %s\n' tool wall_s cpu_s rss_MiB bytes wall_x size_x "all wall_s"
w0=$(median <<<"${WALL[0]}") s0=${SIZE[0]}
for ((i = 0; i < n; i++)); do
	w=$(median <<<"${WALL[$i]}") c=$(median <<<"${CPU[$i]}") m=$(median <<<"${RSS[$i]}")
	printf '%-44s %7.2f %7.2f %8.1f %11s %6.2f %6.3f  %s\n' "${names[$i]}" "$w" "$c" \
		"$(echo "$m / 1024" | bc -l)" "${SIZE[$i]}" "$(echo "$w / $w0" | bc -l)" \
		"$(echo "${SIZE[$i]} / $s0" | bc -l)" "${WALL[$i]}"
done
echo "(x: this row divided by the first Lifeboat row's; the goal is wall_x >= 2 and size_x >= 1 for the zstd row)"

# Where Lifeboat's bytes went: stored bytes per partition (each zstd
# frame's exact length) next to partclone's zstd piece, and the rest
# (header, L2/L1/refcount tables, Lifeboat checksum blocks, alignment gaps).
parts=$(for ((p = 0; p < ${#starts[@]}; p++)); do printf '%s:%s:%s ' "${starts[$p]}" "${lens[$p]}" "$WD/pc$((p + 1)).zst"; done)
for q in "$WD"/ub*.qcow2; do python3 "$top/tests/bench/qcow2_bytes.py" "$q" $parts; done
