#!/usr/bin/env bash
# tests/rescue/t_fault.sh — `lifeboat rescue` against the test-only fault
# backend (fault:FILE with LIFEBOAT_FAULT_MAP, imager/dev_fault.c), no root
# needed.  Bad sectors at known places: the first and the last sector, one
# lone sector, a 1 MiB run, 20 scattered sectors, an area across the
# boundary of partitions 1 and 2, a 100-sector run.  Checks that every
# readable byte is recovered (the image equals the source with exactly the
# bad sectors zeroed), that exactly the injected sectors are marked bad,
# that ddrescuelog accepts the exported map, that qemu-img check is clean,
# and that kill -9 in the middle followed by --resume gives the same
# result without reading again what the checkpoint called finished.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

have qemu-img || { skip "fault rescue" "qemu-img not installed"; exit 0; }
have sfdisk || { skip "fault rescue" "sfdisk not installed"; exit 0; }

SECTORS=32768                   # 16 MiB
BAD="0:1 100:1 3000:2048 14328:16 20000:100 32767:1"
for k in $(seq 0 19); do BAD="$BAD $((7000 + k * 37)):1"; done

mkdisk "$T/disk.img" $SECTORS
badmap "$T/bad.map" "$BAD"
expected "$T/disk.img" "$T/expected.raw" "$BAD"
export LIFEBOAT_FAULT_MAP=$T/bad.map

# 1. one uninterrupted rescue
out=$("$LIFEBOAT" rescue "fault:$T/disk.img" "$T/full.qcow2" \
	--export-map "$T/full.map" 2>"$T/full.err")
rc=$?
if [ $rc -eq 0 ] && [ -f "$T/full.qcow2" ]; then
	pass "rescue runs to its end with bad sectors (exit 0)"
else
	fail "rescue runs to its end with bad sectors (exit 0)" "exit $rc: $(tail -3 "$T/full.err")"
fi
check "qemu-img check is clean" qemu-img check "$T/full.qcow2"
raw_of "$T/full.qcow2" "$T/full.raw"
same_bytes "every readable byte recovered, bad sectors read as zeros" \
	"$T/full.raw" "$T/expected.raw"
if [ "$(bad_sectors "$T/full.map")" = "$(ranges_of "$BAD")" ]; then
	pass "exactly the injected sectors are marked bad"
else
	fail "exactly the injected sectors are marked bad" \
		"map: $(bad_sectors "$T/full.map" | tr '\n' ' ') want: $(ranges_of "$BAD" | tr '\n' ' ')"
fi
if have ddrescuelog; then
	check "ddrescuelog -t accepts the exported map" ddrescuelog -t "$T/full.map"
	n=$(ddrescuelog -b512 -l- "$T/full.map" | wc -l)
	want=$(for r in $BAD; do echo $((${r##*:})); done | paste -sd+ | bc)
	[ "$n" = "$want" ] && pass "ddrescuelog lists $want bad sectors" ||
		fail "ddrescuelog lists $want bad sectors" "it lists $n"
else
	skip "ddrescuelog -t accepts the exported map" "ddrescuelog (gddrescue) not installed"
fi
info=$("$LIFEBOAT" info "$T/full.qcow2")
if echo "$info" | grep -q "bytes 1536000-2584575 (LBA 3000-5047" &&
   echo "$info" | grep -q "LBA 32767-32767"; then
	pass "lifeboat info lists the unreadable ranges"
else
	fail "lifeboat info lists the unreadable ranges" "$(echo "$info" | tail -5 | tr '\n' ' ')"
fi
echo "$out" | grep -q "Unreadable: $(( $(echo $BAD | tr ' ' '\n' | cut -d: -f2 | paste -sd+ | bc) * 512 )) bytes" &&
	pass "the report counts the unreadable bytes" ||
	fail "the report counts the unreadable bytes" "$out"

# 2. an image or an interrupted rescue is not overwritten without --resume
"$LIFEBOAT" rescue "fault:$T/disk.img" "$T/full.qcow2" >/dev/null 2>&1
rc=$?
raw_of "$T/full.qcow2" "$T/again0.raw"
[ $rc = 3 ] && cmp -s "$T/again0.raw" "$T/expected.raw" &&
	pass "an existing image is refused without --resume (exit 3)" ||
	fail "an existing image is refused without --resume (exit 3)" "exit $rc"

# 3. kill -9 in the middle, then --resume
LIFEBOAT_FAULT_DELAY_MS=1 "$LIFEBOAT" rescue "fault:$T/disk.img" "$T/k.qcow2" \
	--checkpoint-ms 100 >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 200); do
	grep -q ' +$' "$T/k.qcow2.rescue-map" 2>/dev/null && break
	sleep 0.05
done
sleep 0.3
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
if [ -f "$T/k.qcow2.rescue-map" ] && [ ! -e "$T/k.qcow2" ] &&
   ddrescuelog -t "$T/k.qcow2.rescue-map" >/dev/null 2>&1 &&
   grep -q ' +$' "$T/k.qcow2.rescue-map"; then
	pass "kill -9 leaves a valid checkpoint and no image"
else
	fail "kill -9 leaves a valid checkpoint and no image" "$(ls "$T")"
fi
# Areas the checkpoint calls finished now fail too: if --resume read any
# of them again, its data would be lost and the result would differ.
cp "$T/bad.map" "$T/bad2.map"
grep -v '^#' "$T/k.qcow2.rescue-map" | sed 1d | awk '$3 == "+" { print $1, $2, "-" }' >>"$T/bad2.map"
LIFEBOAT_FAULT_MAP=$T/bad2.map "$LIFEBOAT" rescue "fault:$T/disk.img" \
	"$T/k.qcow2" --resume --export-map "$T/k.map" >"$T/k.out" 2>&1
rc=$?
[ $rc -eq 0 ] && pass "--resume finishes the rescue" ||
	fail "--resume finishes the rescue" "exit $rc: $(tail -3 "$T/k.out")"
raw_of "$T/k.qcow2" "$T/k.raw" 2>/dev/null
same_bytes "resumed image holds the same bytes, nothing finished was re-read" \
	"$T/k.raw" "$T/expected.raw"
cmp -s <(bad_sectors "$T/k.map") <(bad_sectors "$T/full.map") &&
	pass "resumed map marks the same bad sectors" ||
	fail "resumed map marks the same bad sectors"
check "resumed image passes qemu-img check" qemu-img check "$T/k.qcow2"
[ ! -e "$T/k.qcow2.rescue-data" ] && [ ! -e "$T/k.qcow2.rescue-map" ] &&
	pass "work files are removed after the end" ||
	fail "work files are removed after the end"

# 4. --resume --retries 1 of a finished image tries the bad areas again
# (no retry pass without --retries, as GNU ddrescue's -r0): the disk got
# better (the fault map now only has the 1 MiB run), the image fills in.
badmap "$T/better.map" "3000:2048"
expected "$T/disk.img" "$T/better.raw" "3000:2048"
cp "$T/full.qcow2" "$T/again.qcow2"
LIFEBOAT_FAULT_MAP=$T/better.map "$LIFEBOAT" rescue "fault:$T/disk.img" \
	"$T/again.qcow2" --resume --retries 1 >/dev/null 2>&1
raw_of "$T/again.qcow2" "$T/again.raw" 2>/dev/null
same_bytes "--resume of a finished image recovers sectors that became readable" \
	"$T/again.raw" "$T/better.raw"

# 5. slow area: skipped on the first pass, read later, nothing lost
LIFEBOAT_FAULT_SLOW=$((9000 * 512))+65536@150 "$LIFEBOAT" rescue \
	"fault:$T/disk.img" "$T/slow.qcow2" --slow-ms 100 >"$T/slow.out" 2>&1
raw_of "$T/slow.qcow2" "$T/slow.raw" 2>/dev/null
if grep -q "[1-9][0-9]* slow" "$T/slow.out" && cmp -s "$T/slow.raw" "$T/expected.raw"; then
	pass "a slow area is noticed and still rescued"
else
	fail "a slow area is noticed and still rescued" "$(tail -2 "$T/slow.out")"
fi

# 6. a read that never comes back (here: 20 s) is not waited on: the
# rescue reports the disk as not answering (exit 4) with the map saved
LIFEBOAT_FAULT_SLOW=$((12000 * 512))+512@20000 "$LIFEBOAT" rescue \
	"fault:$T/disk.img" "$T/hang.qcow2" --read-timeout-ms 500 >"$T/hang.out" 2>&1
rc=$?
# (had it waited, the read would have succeeded and the exit been 0)
if [ $rc = 4 ] && grep -q "did not answer a read at byte" "$T/hang.out" &&
   [ -f "$T/hang.qcow2.rescue-map" ]; then
	pass "a read that hangs is reported (exit 4), not waited on"
else
	fail "a read that hangs is reported (exit 4), not waited on" "exit $rc: $(tail -2 "$T/hang.out")"
fi

# 7. a disk that hangs on its partition table: the first chunk (where
# the table lies) is the rescue's first copy read, before any planning, so
# the hang is reported like any other (exit 4, map saved), not waited on
LIFEBOAT_FAULT_SLOW=0+512@20000 "$LIFEBOAT" rescue "fault:$T/disk.img" \
	"$T/hang0.qcow2" --read-timeout-ms 500 >"$T/hang0.out" 2>&1
rc=$?
if [ $rc = 4 ] && grep -q "did not answer a read at byte 0 " "$T/hang0.out" &&
   [ -f "$T/hang0.qcow2.rescue-map" ]; then
	pass "a hang while reading the partition table is not waited on"
else
	fail "a hang while reading the partition table is not waited on" "exit $rc: $(tail -3 "$T/hang0.out")"
fi

# 8. --import-map: a ddrescue mapfile from an earlier attempt.  Its
# finished areas are read again (their data is not in this image), its bad
# areas are left for the later phases and re-tried there (--retries 1: by
# default, as GNU ddrescue's -r0, bad sectors get no retry pass).
printf '0 + 1\n0x0 0x%x +\n0x%x 0x%x -\n0x%x 0x%x +\n' $((9000 * 512)) \
	$((9000 * 512)) $((100 * 512)) $((9100 * 512)) $(((SECTORS - 9100) * 512)) >"$T/old.map"
"$LIFEBOAT" rescue "fault:$T/disk.img" "$T/imp.qcow2" --import-map "$T/old.map" \
	--export-map "$T/imp.map" --retries 1 >"$T/imp.out" 2>&1
raw_of "$T/imp.qcow2" "$T/imp.raw" 2>/dev/null
if cmp -s "$T/imp.raw" "$T/expected.raw" &&
   [ "$(bad_sectors "$T/imp.map")" = "$(ranges_of "$BAD")" ]; then
	pass "--import-map: bad areas of an old map are retried, all data read"
else
	fail "--import-map: bad areas of an old map are retried, all data read" "$(tail -3 "$T/imp.out")"
fi

# 9. Ctrl-C (SIGINT): the rescue stops at the next read with exit 8, says
# how to go on, keeps its work; --resume then ends with the same bytes
LIFEBOAT_FAULT_DELAY_MS=1 "$LIFEBOAT" rescue "fault:$T/disk.img" "$T/c.qcow2" \
	--checkpoint-ms 100 >"$T/c.out" 2>&1 &
pid=$!
for i in $(seq 1 200); do grep -q ' +$' "$T/c.qcow2.rescue-map" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid; wait $pid; rc=$?
"$LIFEBOAT" rescue "fault:$T/disk.img" "$T/c.qcow2" --resume >/dev/null 2>&1
raw_of "$T/c.qcow2" "$T/c.raw" 2>/dev/null
if [ $rc = 8 ] && grep -q -- "--resume" "$T/c.out" && cmp -s "$T/c.raw" "$T/expected.raw"; then
	pass "Ctrl-C stops with exit 8 and --resume finishes the same"
else
	fail "Ctrl-C stops with exit 8 and --resume finishes the same" "exit $rc: $(tail -2 "$T/c.out")"
fi

# 10. a damaged map inside an image: info says so (and still exits 0 with
# the rest of the facts), --resume refuses it as a bad image (exit 6)
if have python3; then
	cp "$T/full.qcow2" "$T/hostile.qcow2"
	python3 - "$T/hostile.qcow2" <<'PY'
import struct, sys
f = open(sys.argv[1], 'r+b'); b = f.read(65536); pos = 112
while struct.unpack('>I', b[pos:pos + 4])[0] != 0x4c424f54:
    pos += 8 + ((struct.unpack('>I', b[pos + 4:pos + 8])[0] + 7) & ~7)
off = struct.unpack('>Q', b[pos + 8 + 288:pos + 8 + 296])[0]
f.seek(off + 200); f.write(b'0x10 0x5 Z\n'); f.close()
PY
	info=$("$LIFEBOAT" info "$T/hostile.qcow2"); irc=$?
	"$LIFEBOAT" rescue "fault:$T/disk.img" "$T/hostile.qcow2" --resume >"$T/h.out" 2>&1; rc=$?
	if [ $irc = 0 ] && echo "$info" | grep -q "Rescue map: damaged" && [ $rc = 6 ]; then
		pass "a damaged stored map is reported by info and refused by --resume (exit 6)"
	else
		fail "a damaged stored map is reported by info and refused by --resume (exit 6)" "info $irc, resume $rc: $(tail -1 "$T/h.out")"
	fi
else
	skip "a damaged stored map is reported by info and refused by --resume (exit 6)" "python3 not installed"
fi

# 11. --export-map on a finished image only exports its stored map
"$LIFEBOAT" rescue "fault:$T/disk.img" "$T/full.qcow2" --export-map "$T/again.map" >/dev/null 2>&1
rc=$?
[ $rc = 0 ] && cmp -s <(bad_sectors "$T/again.map") <(bad_sectors "$T/full.map") &&
	pass "--export-map of a finished image exports its map" ||
	fail "--export-map of a finished image exports its map" "exit $rc"
