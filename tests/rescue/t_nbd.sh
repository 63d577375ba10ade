#!/usr/bin/env bash
# tests/rescue/t_nbd.sh — the real kernel path: the failing disk is served
# by nbdkit with its ddrescue filter (reads touching a non-finished area of
# its mapfile fail with EIO) and exposed as a file by nbdfuse, so the
# rescue's O_DIRECT reads go through FUSE and the kernel.  Needs root
# (/dev/fuse); skips with the reason otherwise.  Cases: exact bad sectors
# and bytes; kill -9 during a slow rescue (nbdkit --filter=delay) then
# --resume; a device that stops answering (nbdfuse killed) is reported
# with exit 4 and a saved map, not waited on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

why=$(nbd_why)
[ -z "$why" ] || { skip "rescue through nbdkit + nbdfuse" "$why"; exit 0; }
have qemu-img || { skip "rescue through nbdkit + nbdfuse" "qemu-img not installed"; exit 0; }

SECTORS=16384                   # 8 MiB
BAD="0:1 77:1 2000:300 6140:9 8000:1 $((SECTORS - 1)):1"
for k in $(seq 0 9); do BAD="$BAD $((10000 + k * 61)):1"; done
mkdisk "$T/disk.img" $SECTORS
badmap "$T/bad.map" "$BAD"
okmap "$T/bad.map" "$T/ok.map" $((SECTORS * 512))
expected "$T/disk.img" "$T/expected.raw" "$BAD"
on_exit 'nbd_down "$T/m"'

nbd_up "$T/m" "$T/disk.img" "$T/ok.map" || { fail "nbdfuse serves the disk" "$(cat "$T/m.log")"; exit 0; }
"$LIFEBOAT" rescue "$T/m/disk" "$T/a.qcow2" --export-map "$T/a.map" >"$T/a.out" 2>&1
rc=$?
[ $rc -eq 0 ] && pass "rescue through nbdfuse runs to its end" ||
	fail "rescue through nbdfuse runs to its end" "exit $rc: $(tail -3 "$T/a.out")"
if grep -q "reads direct (O_DIRECT)" "$T/a.out" ||
   grep -q "refuses O_DIRECT" "$T/a.out"; then
	pass "reads through FUSE use O_DIRECT, or the fallback is logged"
else
	fail "reads through FUSE use O_DIRECT, or the fallback is logged" "$(tail -3 "$T/a.out")"
fi
raw_of "$T/a.qcow2" "$T/a.raw"
same_bytes "every readable byte recovered through the kernel path" "$T/a.raw" "$T/expected.raw"
[ "$(bad_sectors "$T/a.map")" = "$(ranges_of "$BAD")" ] &&
	pass "exactly the injected sectors are marked bad (kernel path)" ||
	fail "exactly the injected sectors are marked bad (kernel path)" "$(bad_sectors "$T/a.map" | tr '\n' ' ')"
if have ddrescuelog; then
	check "ddrescuelog -t accepts the map" ddrescuelog -t "$T/a.map"
fi
check "qemu-img check is clean (kernel path)" qemu-img check "$T/a.qcow2"
nbd_down "$T/m"

# kill -9 during a slow rescue, then --resume on a fresh server
nbd_up "$T/m" "$T/disk.img" "$T/ok.map" "--filter=delay" "rdelay=2ms" ||
	{ fail "nbdfuse serves the slow disk"; exit 0; }
"$LIFEBOAT" rescue "$T/m/disk" "$T/k.qcow2" --checkpoint-ms 100 >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 200); do grep -q ' +$' "$T/k.qcow2.rescue-map" 2>/dev/null && break; sleep 0.05; done
sleep 0.3
kill -9 $pid; wait $pid 2>/dev/null
nbd_down "$T/m"
nbd_up "$T/m" "$T/disk.img" "$T/ok.map" || { fail "nbdfuse serves the disk again"; exit 0; }
"$LIFEBOAT" rescue "$T/m/disk" "$T/k.qcow2" --resume --export-map "$T/k.map" >"$T/k.out" 2>&1
raw_of "$T/k.qcow2" "$T/k.raw" 2>/dev/null
if cmp -s "$T/k.raw" "$T/expected.raw" &&
   [ "$(bad_sectors "$T/k.map")" = "$(ranges_of "$BAD")" ]; then
	pass "kill -9 then --resume ends with the same bytes and map (kernel path)"
else
	fail "kill -9 then --resume ends with the same bytes and map (kernel path)" "$(tail -3 "$T/k.out")"
fi
nbd_down "$T/m"

# the device stops answering in the middle: reported, exit 4, map saved
nbd_up "$T/m" "$T/disk.img" "$T/ok.map" "--filter=delay" "rdelay=5ms" ||
	{ fail "nbdfuse serves the slow disk"; exit 0; }
"$LIFEBOAT" rescue "$T/m/disk" "$T/g.qcow2" --checkpoint-ms 100 >"$T/g.out" 2>&1 &
pid=$!
sleep 0.5
nbd_down "$T/m"
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	kill -9 $pid
	fail "a vanished device is reported, not waited on" "still running after 10 s"
else
	wait $pid; rc=$?
	if [ $rc = 4 ] && grep -q "stopped answering" "$T/g.out" && [ -f "$T/g.qcow2.rescue-map" ]; then
		pass "a vanished device is reported (exit 4), the map is saved"
	else
		fail "a vanished device is reported (exit 4), the map is saved" "exit $rc: $(tail -3 "$T/g.out")"
	fi
fi
