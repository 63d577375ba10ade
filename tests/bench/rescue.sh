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
# Two scenarios, same disk, same faults, same tools and options: first a
# failing read costs nothing (nbdkit's ddrescue filter), then each failing
# read costs BENCH_RESCUE_BAD_MS (default 5) ms, as a failing drive's
# internal retries do (tests/bench/badlat_plugin.c through nbdkit's cc
# plugin; good reads cost nothing extra; one request at a time), for
# BENCH_RESCUE_LAT_RUNS rounds (default 1: ~10000 failing reads x 5 ms is
# ~50 s per run, and the sleeps, not the noise, dominate there).  Each
# scenario ends with a table of medians and the ratios lifeboat / ddrescue
# and lifeboat / ddrescue -d.
# Needs root (FUSE), nbdkit, nbdfuse, ddrescue (and nbdkit-plugin-dev plus
# gcc for the latency scenario, skipped with a reason otherwise); says why
# and exits 0 otherwise.  Sizes: BENCH_RESCUE_MB (default 256) MiB of
# random data.
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
	if [ "$LAT" -gt 0 ]; then lat_up; else
		nbd_up "$T/m" "$T/disk.img" "$T/ok.map" "--filter=log" "logfile=$T/log.txt"
	fi || { echo "bench rescue: nbdfuse failed"; return; }
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

# lat_up: like nbd_up, but through badlat_plugin.c (each failing read
# sleeps $LAT ms); the log filter counts as in the other scenario.
lat_up() {
	local i
	mkdir -p "$T/m"
	nbdfuse "$T/m/disk" --command nbdkit -s --filter=log cc \
		"$top/tests/bench/badlat_plugin.c" logfile="$T/log.txt" \
		file="$T/disk.img" map="$T/ok.map" ms="$LAT" 2>>"$T/m.log" &
	NBD_PID=$!
	for i in $(seq 1 400); do [ -e "$T/m/disk" ] && return 0; sleep 0.05; done
	return 1
}

nbad=$(ranges_of "$BAD" | while IFS=- read -r a b; do echo $((b - a + 1)); done | paste -sd+ | bc)
BAD_MS=${BENCH_RESCUE_BAD_MS:-5}
RUNS=${BENCH_RESCUE_RUNS:-5}
LAT_RUNS=${BENCH_RESCUE_LAT_RUNS:-1}
echo "bench rescue: $MB MiB disk, $(ranges_of "$BAD" | wc -l) bad areas, $nbad bad sectors," \
	"readable bytes: $((SECTORS * 512 - nbad * 512)); tools alternated each round;" \
	"zero-latency: $RUNS rounds; latency: $LAT_RUNS rounds of $BAD_MS ms per failing read"
tools=(dd ddd lb0 lb1)
names=("ddrescue" "ddrescue -d" "lifeboat --retries 0" "lifeboat --retries 1")
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

# scenario TITLE ROUNDS: ROUNDS rounds of the four tools (each round
# starting with another tool), then the medians and the ratios.
scenario() {
	local title=$1 runs=$2 r k name
	echo "== $title: $runs rounds =="
	: >"$T/results.tsv"
	for r in $(seq 0 $((runs - 1))); do
		for k in 0 1 2 3; do one "${tools[$(((r + k) % 4))]}"; done
	done
	echo "-- $title: medians over $runs runs (ddrescue's default is -r0, like --retries 0):"
	: >"$T/medians.tsv"
	for name in "${names[@]}"; do
		awk -F'\t' -v n="$name" '$1 == n' "$T/results.tsv" | sort -t"$(printf '\t')" -k3,3n |
			awk -F'\t' '{ b[NR] = $2; w[NR] = $3; r[NR] = $4; f[NR] = $5 }
			END { if (!NR) exit; m = int((NR + 1) / 2)
			      printf "%s\t%s\t%s\t%s\t%s\n", n, b[m], w[m], r[m], f[m] }' n="$name" \
			>>"$T/medians.tsv"
	done
	awk -F'\t' '{ printf "%-22s recovered %11s bytes  wall %6.2f s  reads %7d  to bad areas %6d\n",
			       $1, $2, $3, $4, $5 }' "$T/medians.tsv"
	awk -F'\t' '{ w[$1] = $3; f[$1] = $5 }
		function q(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
		END { for (i = 0; i < 2; i++) { l = i ? "lifeboat --retries 1" : "lifeboat --retries 0"
			printf "%-22s wall / ddrescue %s, / ddrescue -d %s;  to bad areas / ddrescue %s, / ddrescue -d %s\n",
			       l, q(w[l], w["ddrescue"]), q(w[l], w["ddrescue -d"]),
			       q(f[l], f["ddrescue"]), q(f[l], f["ddrescue -d"]) } }' "$T/medians.tsv"
}

LAT=0
scenario "zero latency (a failing read costs nothing)" "$RUNS"
lat_why=""
[ -e /usr/include/nbdkit-plugin.h ] || lat_why="nbdkit-plugin.h missing (nbdkit-plugin-dev)"
have gcc || lat_why="gcc not installed"
if [ -n "$lat_why" ]; then
	echo "bench rescue: latency scenario skipped: $lat_why"
else
	LAT=$BAD_MS
	scenario "latency ($BAD_MS ms per failing read, good reads free)" "$LAT_RUNS"
fi
