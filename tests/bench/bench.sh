#!/usr/bin/env bash
# bench.sh — one table comparing Lifeboat with the usual tools on the same
# generated disk (build/bench/disk.img, made once and reused):
#
#   GPT, 2 GiB (BENCH_MIB): 1  EFI System, FAT32, 200 MiB, a few files
#                            2  ext4, 1100 MiB: real files from /usr, and
#                               old data left in its free space
#                            3  NTFS, 300 MiB (mkntfs, files copied with
#                               ntfscp) when ntfs-3g's tools are there
#                            rest: unpartitioned zeros
#
# Backup: lifeboat backup (used-blocks and --raw) vs qemu-img convert -c
# (zstd, same cluster size), zstd -T0 -3, dd | pigz -1, dd | gzip -6.
# Restore: lifeboat restore vs zstd -dc, pigz -dc | dd, qemu-img convert -O
# raw.  Clone: lifeboat clone vs dd bs=4M.  Columns: wall seconds, CPU
# seconds (user+sys), peak RSS, output bytes, and wall/size as a multiple
# of Lifeboat's.  Figures from /usr/bin/time; the page cache is warm for
# everyone (the disk is read once before the first run).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
L=${LIFEBOAT:-$top/build/host/lifeboat}
WD=$top/build/bench
MIB=${BENCH_MIB:-2048}
CS=$((1 << 20))
mkdir -p "$WD"
D=$WD/disk.img

make_disk() {
	local d=$1 tmp=$WD/part
	rm -f "$d"; truncate -s "${MIB}M" "$d"
	sgdisk -n1:2048:+200M -t1:ef00 -n2:0:+1100M -t2:8300 -n3:0:+300M -t3:0700 "$d" >/dev/null
	local s1 s2 s3
	s1=$(sgdisk -i1 "$d" | awk '/First sector/{print $3}')
	s2=$(sgdisk -i2 "$d" | awk '/First sector/{print $3}')
	s3=$(sgdisk -i3 "$d" | awk '/First sector/{print $3}')
	rm -f "$tmp"; mkfs.vfat -F 32 -n EFI -C "$tmp" $((200 * 1024)) >/dev/null
	mmd -i "$tmp" ::/EFI ::/EFI/BOOT; mcopy -i "$tmp" /usr/bin/bash ::/EFI/BOOT/BOOTX64.EFI
	dd if="$tmp" of="$d" bs=1M seek=$((s1 / 2048)) conv=notrunc status=none
	# ext4: old data first (real binaries), then a filesystem on top that
	# does not discard it, holding real files.
	rm -f "$tmp"; truncate -s 1100M "$tmp"
	find /usr/lib/x86_64-linux-gnu -type f -size +100k 2>/dev/null | head -400 | xargs cat 2>/dev/null |
		head -c 1000M | dd of="$tmp" conv=notrunc status=none
	mkdir -p "$WD/files"; rm -rf "$WD/files"/*
	cp -a /usr/share/doc /usr/share/locale /usr/lib/python3* "$WD/files/" 2>/dev/null
	mkfs.ext4 -q -F -E nodiscard -d "$WD/files" "$tmp" >/dev/null 2>&1
	dd if="$tmp" of="$d" bs=1M seek=$((s2 / 2048)) conv=notrunc status=none
	rm -rf "$WD/files"
	if command -v mkntfs >/dev/null && command -v ntfscp >/dev/null; then
		rm -f "$tmp"; truncate -s 300M "$tmp"
		mkntfs -F -f -q -L DATA "$tmp" >/dev/null 2>&1
		for f in $(find /usr/share/man -type f -size +20k | head -200); do
			ntfscp -f "$tmp" "$f" "$(basename "$f")" >/dev/null 2>&1
		done
		dd if="$tmp" of="$d" bs=1M seek=$((s3 / 2048)) conv=notrunc status=none
	fi
	rm -f "$tmp"
}

[ -s "$D" ] && [ "$(stat -c %s "$D")" = $((MIB * 1048576)) ] || { echo "making $D ..."; make_disk "$D"; }
cat "$D" >/dev/null

rows=()
# run NAME OUTPUT-FILE-OR-- CMD: times CMD (a shell string).
run() {
	local name=$1 out=$2 cmd=$3 t
	sync
	/usr/bin/time -o "$WD/time" -f "%e %U %S %M" bash -c "$cmd" >/dev/null 2>"$WD/err" ||
		echo "  $name FAILED: $(tail -2 "$WD/err")" >&2
	t=$(tail -1 "$WD/time")
	local size=-
	[ "$out" != - ] && size=$(du -bc $out 2>/dev/null | tail -1 | cut -f1)
	rows+=("$name;$t;$size")
	echo "  $name: $t $size" >&2
}

rm -f "$WD"/*.qcow2 "$WD"/*.zst "$WD"/*.gz "$WD"/out*
echo "backup ..." >&2
run "lifeboat backup"          "$WD/lb.qcow2"     "$L backup $D $WD/lb.qcow2"
run "lifeboat backup --raw"    "$WD/lbraw.qcow2"  "$L backup $D $WD/lbraw.qcow2 --raw"
run "qemu-img convert -c zstd" "$WD/q.qcow2"      "qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=$CS $D $WD/q.qcow2"
run "zstd -T0 -3"              "$WD/d.zst"        "zstd -q -T0 -3 -f $D -o $WD/d.zst"
run "dd | pigz -1"             "$WD/p.gz"         "dd if=$D bs=4M status=none | pigz -1 > $WD/p.gz"
run "dd | gzip -6"             "$WD/g.gz"         "dd if=$D bs=4M status=none | gzip -6 > $WD/g.gz"
echo "restore ..." >&2
run "lifeboat restore"         -  "rm -f $WD/out1; $L restore $WD/lbraw.qcow2 $WD/out1 --yes"
run "zstd -dc"                 -  "zstd -q -dc $WD/d.zst > $WD/out2"
run "pigz -dc | dd"            -  "pigz -dc $WD/p.gz | dd of=$WD/out3 bs=4M status=none"
run "qemu-img convert -O raw"  -  "qemu-img convert -O raw $WD/q.qcow2 $WD/out4"
cmp -s "$D" "$WD/out1" || echo "WARNING: lifeboat restore differs from the disk" >&2
echo "clone ..." >&2
run "lifeboat clone"           -  "rm -f $WD/out5; $L clone $D $WD/out5 --yes"
run "dd bs=4M"                 -  "dd if=$D of=$WD/out6 bs=4M status=none"

# Ratios: backup rows against "lifeboat backup --raw" (it reads the whole
# disk, as the other tools do), restore rows against "lifeboat restore",
# clone rows against "lifeboat clone".
declare -A W S
for r in "${rows[@]}"; do
	IFS=';' read -r name t size <<<"$r"; read -r wall _ <<<"$t"
	W[$name]=$wall; S[$name]=$size
done
printf '\n%-26s %8s %8s %8s %14s %7s %7s\n' "$MIB MiB disk" "wall s" "CPU s" "RSS MiB" "output bytes" "wall x" "size x"
base=
for r in "${rows[@]}"; do
	IFS=';' read -r name t size <<<"$r"
	read -r wall user sys rss <<<"$t"
	case $name in
	"lifeboat backup") base="lifeboat backup --raw"; echo "-- backup";;
	"lifeboat restore") base="lifeboat restore"; echo "-- restore (of the --raw image)";;
	"lifeboat clone") base="lifeboat clone"; echo "-- clone";;
	esac
	cpu=$(echo "$user + $sys" | bc)
	wx=$(echo "scale=2; $wall / ${W[$base]}" | bc 2>/dev/null)
	sx=-
	[ "$size" != - ] && sx=$(echo "scale=2; $size / ${S[$base]}" | bc 2>/dev/null)
	printf '%-26s %8s %8s %8s %14s %7s %7s\n' "$name" "$wall" "$cpu" "$((rss / 1024))" "$size" "$wx" "$sx"
done
echo "(x: this row divided by the Lifeboat row of its group; backup rows by 'lifeboat backup --raw')"
rm -f "$WD"/out*
