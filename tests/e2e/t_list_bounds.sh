#!/usr/bin/env bash
# t_list_bounds.sh — `lifeboat list` names only partitions that lie inside
# the disk.  A hybrid ISO's MBR read at a CD's 2048-byte sectors, or a
# table copied from a larger disk, has entries past the device's end; the
# list once showed an 88 MiB partition on a 22 MiB CD.  `lifeboat probe`
# still reports such an entry, by number and end LBA.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

if ! have_loop; then skip "list hides entries past the disk's end" "needs root and working loop devices"; exit 0; fi
truncate -s 32M "$T/disk.img"
printf 'label: dos\nstart=2048, size=16384, type=83\nstart=18432, size=8192, type=83\n' |
	sfdisk -q "$T/disk.img" >/dev/null
# Entry 2 now claims 0x10000000 sectors (128 GiB) on a 32 MiB disk.
printf '\x00\x00\x00\x10' | dd of="$T/disk.img" bs=1 seek=$((0x1DA)) conv=notrunc status=none
attach "$T/disk.img" && d=$LOOP || { skip "list hides entries past the disk's end" "losetup failed"; exit 0; }

"$LIFEBOAT" list --json >"$T/list.json"
if out=$(python3 - "$T/list.json" "${d#/dev/}" <<'PY'
import json, sys
devs = {d["name"]: d for d in json.load(open(sys.argv[1]))["devices"]}
d = devs[sys.argv[2]]
nums = [p["number"] for p in d["partitions"]]
assert nums == [1], "partitions listed: %r" % d["partitions"]
assert d["partitions"][0]["size"] == 16384 * 512, d["partitions"][0]
print("ok")
PY
); then pass "list shows partition 1 and not the entry past the disk's end"
else fail "list shows partition 1 and not the entry past the disk's end" "$out"; fi

out=$("$LIFEBOAT" probe "$d" 2>&1)
case $out in *"partition 2 (LBA 18432-"*"extends beyond the device end"*) pass "probe still reports entry 2 as out of bounds";;
	*) fail "probe still reports entry 2 as out of bounds" "$(echo "$out" | head -8 | tr '\n' ' ')";; esac
