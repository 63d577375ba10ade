#!/usr/bin/env bash
# tests/rescue/t_kill.sh — the rescue writes straight into IMAGE.part and
# checkpoints it (imager/rescue_store.c, lb_imgw_checkpoint): kill -9 at
# random moments, and after every kill IMAGE.part must pass qemu-img check,
# and every byte its stored map calls finished ('+') must be in the image
# and equal the source.  Each round goes on with --resume; the last one
# runs to the end and must give the same image as an uninterrupted rescue:
# every readable byte, exactly the injected bad sectors.  No root needed
# (the test-only fault backend, as t_fault.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

have qemu-img || { skip "kill -9 at random points" "qemu-img not installed"; exit 0; }
have sfdisk || { skip "kill -9 at random points" "sfdisk not installed"; exit 0; }

SECTORS=32768                   # 16 MiB
BAD="0:1 100:1 3000:2048 14328:16 20000:100 32767:1"
for k in $(seq 0 9); do BAD="$BAD $((7000 + k * 37)):1"; done
mkdisk "$T/disk.img" $SECTORS
badmap "$T/bad.map" "$BAD"
expected "$T/disk.img" "$T/expected.raw" "$BAD"
export LIFEBOAT_FAULT_MAP=$T/bad.map
img=$T/k.qcow2

kills=0 checked=0 bad_check="" bad_data="" seen=0 resume=""
for round in 1 2 3 4 5 6; do
	LIFEBOAT_FAULT_DELAY_MS=1 "$LIFEBOAT" rescue "fault:$T/disk.img" "$img" \
		$resume --checkpoint-ms 30 >"$T/r$round.out" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 6 + 1))"
	kill -9 $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	resume=--resume
	[ -e "$img" ] && break          # finished before the kill
	[ -f "$img.part" ] || continue
	stored_map "$img.part" "$T/s.map" || continue    # before 1st checkpoint
	checked=$((checked + 1))
	qemu-img check "$img.part" >"$T/check$round.txt" 2>&1 ||
		bad_check="$bad_check round $round: $(tail -2 "$T/check$round.txt" | tr '\n' ' ')"
	raw_of "$img.part" "$T/part.raw" 2>/dev/null
	if n=$(finished_match "$T/part.raw" "$T/s.map" "$T/disk.img"); then
		[ "$n" -gt "$seen" ] && seen=$n
	else
		bad_data="$bad_data round $round"
	fi
done
if [ $checked -gt 0 ] && [ -z "$bad_check" ]; then
	pass "after each of $checked kills IMAGE.part passes qemu-img check"
else
	fail "after each kill IMAGE.part passes qemu-img check" "checked $checked;$bad_check"
fi
if [ $checked -gt 0 ] && [ -z "$bad_data" ] && [ "$seen" -gt 0 ]; then
	pass "the stored map calls finished only bytes that are in the image"
else
	fail "the stored map calls finished only bytes that are in the image" \
		"checked $checked, finished bytes seen $seen;$bad_data"
fi
"$LIFEBOAT" info "$img.part" >"$T/info.txt" 2>&1
"$LIFEBOAT" verify "$img.part" >"$T/verify.txt" 2>&1
vrc=$?
if [ ! -f "$img.part" ] || { grep -q "Unfinished rescue" "$T/info.txt" &&
   [ $vrc = 6 ] && grep -q "unfinished rescue" "$T/verify.txt"; }; then
	pass "info and verify call IMAGE.part an unfinished rescue"
else
	fail "info and verify call IMAGE.part an unfinished rescue" \
		"verify exit $vrc: $(tail -1 "$T/verify.txt")"
fi

[ -e "$img" ] || "$LIFEBOAT" rescue "fault:$T/disk.img" "$img" $resume \
	--export-map "$T/k.map" >"$T/end.out" 2>&1
rc=$?
[ $rc = 0 ] && [ -f "$img" ] && [ ! -e "$img.part" ] &&
	pass "--resume after $kills kills finishes the image" ||
	fail "--resume after $kills kills finishes the image" "exit $rc: $(tail -3 "$T/end.out")"
check "the finished image passes qemu-img check" qemu-img check "$img"
raw_of "$img" "$T/k.raw"
same_bytes "every readable byte recovered, bad sectors read as zeros" \
	"$T/k.raw" "$T/expected.raw"
"$LIFEBOAT" rescue "fault:$T/disk.img" "$img" --export-map "$T/k.map" >/dev/null 2>&1
[ "$(bad_sectors "$T/k.map")" = "$(ranges_of "$BAD")" ] &&
	pass "exactly the injected sectors are marked bad after the kills" ||
	fail "exactly the injected sectors are marked bad after the kills" \
		"map: $(bad_sectors "$T/k.map" | tr '\n' ' ')"
check "lifeboat verify accepts the finished image" "$LIFEBOAT" verify "$img"

# A source whose size is not a multiple of 512 (qcow2 rounds its size up;
# the map covers the source itself): killed, resumed, finished, resumed.
head -c 1000001 /dev/urandom >"$T/odd.img"
printf '0 ? 1\n0x%x 0x200 -\n' $((600 * 512)) >"$T/odd.map"
LIFEBOAT_FAULT_MAP=$T/odd.map LIFEBOAT_FAULT_DELAY_MS=2 "$LIFEBOAT" rescue \
	"fault:$T/odd.img" "$T/odd.qcow2" --checkpoint-ms 10 >/dev/null 2>&1 &
pid=$!
sleep 0.2
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
resume=
[ -e "$T/odd.qcow2.part" ] && resume=--resume
LIFEBOAT_FAULT_MAP=$T/odd.map "$LIFEBOAT" rescue "fault:$T/odd.img" \
	"$T/odd.qcow2" $resume >"$T/odd1.out" 2>&1
rc1=$?
LIFEBOAT_FAULT_MAP=$T/odd.map "$LIFEBOAT" rescue "fault:$T/odd.img" \
	"$T/odd.qcow2" --resume >"$T/odd2.out" 2>&1
rc2=$?
cp "$T/odd.img" "$T/odd.want"
dd if=/dev/zero of="$T/odd.want" bs=512 seek=600 count=1 conv=notrunc status=none
raw_of "$T/odd.qcow2" "$T/odd.raw" 2>/dev/null
if [ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s -n 1000001 "$T/odd.raw" "$T/odd.want" &&
   grep -q "512 bytes unreadable" "$T/odd2.out"; then
	pass "an odd-sized source is resumed after a kill and after the end"
else
	fail "an odd-sized source is resumed after a kill and after the end" \
		"exit $rc1/$rc2: $(tail -1 "$T/odd2.out")"
fi
