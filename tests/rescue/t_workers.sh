#!/usr/bin/env bash
# tests/rescue/t_workers.sh — the rescue compresses and stores clusters on
# worker threads while it goes on reading (imager/rescue_store.c): the
# result must not depend on how many workers there are
# (LIFEBOAT_RESCUE_WORKERS), compressible clusters are still compressed,
# and the checkpoints made at phase changes, which leave the clusters still
# being filled in memory and store the map as it was for their bytes, must
# still call finished only what the image holds (kill -9 at random moments
# with checkpoints only at phase changes).  No root needed (the test-only
# fault backend, as t_fault.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

have qemu-img || { skip "results equal with 1 and 4 workers" "qemu-img not installed"; exit 0; }
have sfdisk || { skip "results equal with 1 and 4 workers" "sfdisk not installed"; exit 0; }

SECTORS=24576                   # 12 MiB
# 8960 opens a failed chunk before the run at 9000: trim fails at once,
# and the good sectors between are read by the scrape (the background
# hash, imager/rescue_hash.c, has to start again from before them)
BAD="0:1 77:1 2500:1500 8960:1 9000:200 12287:2"
for k in $(seq 0 24); do BAD="$BAD $((13000 + k * 211)):1"; done
mkdisk "$T/disk.img" $SECTORS
# the second half compresses (text), the first does not (random)
yes "lifeboat rescue: every readable byte" | head -c $((6 << 20)) |
	dd of="$T/disk.img" bs=1M seek=6 conv=notrunc status=none
badmap "$T/bad.map" "$BAD"
expected "$T/disk.img" "$T/expected.raw" "$BAD"
export LIFEBOAT_FAULT_MAP=$T/bad.map

for w in 1 4; do
	LIFEBOAT_RESCUE_WORKERS=$w "$LIFEBOAT" rescue "fault:$T/disk.img" \
		"$T/w$w.qcow2" --export-map "$T/w$w.map" >"$T/w$w.out" 2>&1 ||
		echo "exit $?" >>"$T/w$w.out"
	raw_of "$T/w$w.qcow2" "$T/w$w.raw" 2>/dev/null
done
if cmp -s "$T/w1.raw" "$T/expected.raw" && cmp -s "$T/w4.raw" "$T/expected.raw" &&
   cmp -s <(grep -v '^#' "$T/w1.map") <(grep -v '^#' "$T/w4.map") &&
   [ "$(bad_sectors "$T/w4.map")" = "$(ranges_of "$BAD")" ]; then
	pass "1 and 4 workers: the same bytes and the same map, exactly the injected sectors bad"
else
	fail "1 and 4 workers: the same bytes and the same map, exactly the injected sectors bad" \
		"$(tail -2 "$T/w1.out" "$T/w4.out" | tr '\n' ' ')"
fi
check "qemu-img check is clean (4 workers)" qemu-img check "$T/w4.qcow2"
check "lifeboat verify accepts it (SHA-256 of the disk)" "$LIFEBOAT" verify "$T/w4.qcow2"
check "lifeboat verify accepts the 1-worker image" "$LIFEBOAT" verify "$T/w1.qcow2"
LIFEBOAT_FAULT_DELAY_MS=1 "$LIFEBOAT" rescue "fault:$T/disk.img" "$T/slow.qcow2" \
	>"$T/slow.out" 2>&1
check "lifeboat verify accepts a slower rescue (hash made while reading)" \
	"$LIFEBOAT" verify "$T/slow.qcow2"
if qemu-img check "$T/w4.qcow2" 2>&1 | grep -q "[1-9][0-9.]*% compressed clusters"; then
	pass "compressible clusters are stored compressed"
else
	fail "compressible clusters are stored compressed" "$(qemu-img check "$T/w4.qcow2" 2>&1 | tail -2)"
fi

# kill -9 with checkpoints only at phase changes (and the first): the
# stored map must call finished only bytes the image holds
img=$T/k.qcow2 checked=0 bad="" seen=0 resume=""
for round in 1 2 3 4 5; do
	LIFEBOAT_FAULT_DELAY_MS=1 "$LIFEBOAT" rescue "fault:$T/disk.img" "$img" \
		$resume --checkpoint-ms 600000 >"$T/k$round.out" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 8 + 2))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	resume=--resume
	[ -e "$img" ] && break
	[ -f "$img.part" ] && stored_map "$img.part" "$T/s.map" || continue
	checked=$((checked + 1))
	qemu-img check "$img.part" >/dev/null 2>&1 || bad="$bad round $round: qemu-img check;"
	raw_of "$img.part" "$T/part.raw" 2>/dev/null
	if n=$(finished_match "$T/part.raw" "$T/s.map" "$T/disk.img"); then
		[ "$n" -gt "$seen" ] && seen=$n
	else
		bad="$bad round $round: a finished byte differs;"
	fi
done
if [ $checked -gt 0 ] && [ -z "$bad" ] && [ "$seen" -gt 0 ]; then
	pass "phase-change checkpoints ($checked kills): the map calls finished only what is stored"
else
	fail "phase-change checkpoints: the map calls finished only what is stored" \
		"checked $checked, finished bytes seen $seen;$bad"
fi
[ -e "$img" ] || "$LIFEBOAT" rescue "fault:$T/disk.img" "$img" $resume >"$T/end.out" 2>&1
raw_of "$img" "$T/k.raw" 2>/dev/null
same_bytes "after the kills --resume ends with every readable byte" \
	"$T/k.raw" "$T/expected.raw"
