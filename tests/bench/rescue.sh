#!/usr/bin/env bash
# tests/bench/rescue.sh — `make bench` part for rescue (issue 6): the same
# faulty disk rescued by GNU ddrescue (default settings, and -d for
# O_DIRECT) and by `lifeboat rescue`, each through nbdkit's ddrescue filter
# behind nbdfuse (the kernel path), with nbdkit's log filter counting the
# reads each tool sends and how many of them hit a bad area.  Prints one
# line per run (BENCH_RESCUE_RUNS rounds, default 5, each starting with
# another tool, since the machine is shared and timings are noisy), then
# one line per tool with its median wall time: bytes recovered, wall time,
# reads, failed reads.
# Needs root (FUSE), nbdkit, nbdfuse, ddrescue; says why and exits 0
# otherwise.  Sizes: BENCH_RESCUE_MB (default 256) MiB of random data.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
LIFEBOAT=${LIFEBOAT:-$top/build/host/lifeboat}
. "$top/tests/lib.sh"
. "$top/tests/rescue/rescue_lib.sh"

why=$(nbd_why)
have ddrescue || why="ddrescue (gddrescue) not installed"
[ -z "$why" ] || { echo "bench rescue: skipped: $why"; exit 0; }

MB=${BENCH_RESCUE_MB:-256}
SECTORS=$((MB * 2048))
# bad areas: a 4 MiB run, a 64 KiB run, 200 scattered sectors, first and
# last sectors, one sector at a partition boundary
BAD="0:1 14336:1 $((SECTORS / 3)):8192 $((SECTORS / 2)):128 $((SECTORS - 1)):1"
for k in $(seq 0 199); do BAD="$BAD $((SECTORS / 5 + k * 997)):1"; done
mkdisk "$T/disk.img" $SECTORS
badmap "$T/bad.map" "$BAD"
okmap "$T/bad.map" "$T/ok.map" $((SECTORS * 512))
on_exit 'nbd_down "$T/m"'

# finished_bytes MAPFILE
finished_bytes() {
	local p s st t=0
	while read -r p s st; do [ "$st" = + ] && t=$((t + s)); done < <(grep -v '^#' "$1" | sed 1d)
	echo $t
}

run() {       # run NAME MAPFILE CMD...: one tool through a fresh server
	local name=$1 map=$2 t0 t1 reads failed wall
	shift 2
	rm -f "$T/log.txt" "$map" "$T/dd.img" "$T/ddd.img" "$T"/lb*.qcow2*
	nbd_up "$T/m" "$T/disk.img" "$T/ok.map" "--filter=log" "logfile=$T/log.txt" ||
		{ echo "bench rescue: nbdfuse failed"; return; }
	t0=$(date +%s.%N)
	"$@" >"$T/$name.out" 2>&1
	t1=$(date +%s.%N)
	nbd_down "$T/m"
	reads=$(grep -c ' Read id=.*\.\.\.$' "$T/log.txt")
	failed=$(grep -c '\.\.\.Read id=.* error=' "$T/log.txt")
	wall=$(echo "$t1 - $t0" | bc)
	phases=$(grep -o 'done in [0-9.]* s' "$T/$name.out" | awk '{ t += $3 } END { if (NR) printf " (read phases %.2f s, then the image)", t }')
	printf '%-22s recovered %11s bytes  wall %6.2f s  reads %7d  to bad areas %6d%s\n' \
		"$name" "$(finished_bytes "$map")" "$wall" "$reads" "$failed" "$phases"
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(finished_bytes "$map")" "$wall" \
		"$reads" "$failed" >>"$T/results.tsv"
}

nbad=$(ranges_of "$BAD" | while IFS=- read -r a b; do echo $((b - a + 1)); done | paste -sd+ | bc)
RUNS=${BENCH_RESCUE_RUNS:-5}
echo "bench rescue: $MB MiB disk, $(ranges_of "$BAD" | wc -l) bad areas, $nbad bad sectors," \
	"readable bytes: $((SECTORS * 512 - nbad * 512)); $RUNS rounds, tools alternated"
tools=(dd ddd lb0 lb1)
one() {
	case $1 in
	dd)  run "ddrescue" "$T/dd.map" ddrescue -q "$T/m/disk" "$T/dd.img" "$T/dd.map";;
	ddd) run "ddrescue -d" "$T/ddd.map" ddrescue -q -d "$T/m/disk" "$T/ddd.img" "$T/ddd.map";;
	lb0) run "lifeboat --retries 0" "$T/lb0.map" "$LIFEBOAT" rescue --retries 0 \
		--keep-timeouts "$T/m/disk" "$T/lb0.qcow2" --export-map "$T/lb0.map";;
	lb1) run "lifeboat --retries 1" "$T/lb1.map" "$LIFEBOAT" rescue --retries 1 --keep-timeouts \
		"$T/m/disk" "$T/lb1.qcow2" --export-map "$T/lb1.map";;
	esac
}
: >"$T/results.tsv"
for r in $(seq 0 $((RUNS - 1))); do     # each round starts with another tool
	for k in 0 1 2 3; do one "${tools[$(((r + k) % 4))]}"; done
done
echo "medians over $RUNS runs (ddrescue's default is -r0, like --retries 0):"
for name in "ddrescue" "ddrescue -d" "lifeboat --retries 0" "lifeboat --retries 1"; do
	awk -F'\t' -v n="$name" '$1 == n' "$T/results.tsv" | sort -t"$(printf '\t')" -k3,3n |
		awk -F'\t' '{ b[NR] = $2; w[NR] = $3; r[NR] = $4; f[NR] = $5 }
		END { if (!NR) exit; m = int((NR + 1) / 2)
		      printf "%-22s recovered %11s bytes  wall %6.2f s  reads %7d  to bad areas %6d\n",
			     n, b[m], w[m], r[m], f[m] }' n="$name"
done
