#!/usr/bin/env bash
# t_list.sh — `lifeboat list` and `list --json` on this host show the loop
# devices a test attaches, with the size blockdev reports, the partitions
# of a disk without kernel partition nodes (by offset), their filesystems
# and labels, what is mounted; listing mounts nothing (C036).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

check "list runs" "$LIFEBOAT" list
if ! "$LIFEBOAT" list --json | python3 -m json.tool >/dev/null 2>&1; then
	fail "list --json parses (python3 -m json.tool)" "$("$LIFEBOAT" list --json 2>&1 | head -3)"
else pass "list --json parses (python3 -m json.tool)"; fi
if ! have_loop; then skip "list shows loop devices" "needs root and working loop devices"; exit 0; fi
if ! make_gpt_disk "$T/disk.img" 96; then skip "list shows loop devices" "cannot build the GPT test disk"; exit 0; fi
truncate -s 24M "$T/fs.img"; mkfs.ext4 -q -F -L lbtest "$T/fs.img"
{ attach "$T/disk.img" && d=$LOOP; } && { attach "$T/fs.img" && f=$LOOP; } || { skip "list shows loop devices" "losetup failed"; exit 0; }
mkdir -p "$T/mnt"; mount -o ro "$f" "$T/mnt" && on_exit "umount $T/mnt"
mounts_before=$(wc -l </proc/self/mountinfo)

out=$("$LIFEBOAT" list 2>&1)
case $out in *"$d"*"$(blockdev --getsize64 "$d") bytes"*) pass "list shows the attached loop device with its size in bytes";;
	*) fail "list shows the attached loop device with its size in bytes" "$(echo "$out" | head -5 | tr '\n' ' ')";; esac
case $out in *"mounted at $T/mnt"*) pass "list shows where a device is mounted";; *) fail "list shows where a device is mounted";; esac

"$LIFEBOAT" list --json >"$T/list.json"
py=$(python3 - "$T/list.json" "${d#/dev/}" "${f#/dev/}" "$(blockdev --getsize64 "$d")" "$T/mnt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
devs = {d["name"]: d for d in j["devices"]}
d, f = devs.get(sys.argv[2]), devs.get(sys.argv[3])
assert d, "disk missing"
assert d["size"] == int(sys.argv[4]), "size %d" % d["size"]
assert d["pttype"] == "gpt", d["pttype"]
p = {x["number"]: x for x in d["partitions"]}
assert p[1]["start"] == 1048576 and p[1]["fstype"] == "vfat" and p[1]["label"] == "EFI", p[1]
assert p[2]["start"] == 83968 * 512 and p[2]["fstype"] == "ext4" and p[2]["label"] == "root", p[2]
assert not p[1]["has_node"], "loop partitions have no nodes here"
assert d["logical_sector"] == 512 and d["transport"] == "loop"
assert f and f["fstype"] == "ext4" and f["label"] == "lbtest" and f["mountpoint"] == sys.argv[5] and f["in_use"], f
print("ok")
PY
)
if [ "$py" = ok ]; then pass "list --json: size matches blockdev --getsize64, partitions by offset with fstype and label, mount point"
else fail "list --json: size matches blockdev --getsize64, partitions by offset with fstype and label, mount point" "$py"; fi
if [ "$(wc -l </proc/self/mountinfo)" = "$mounts_before" ]; then pass "listing leaves no mounts behind (C036)"; else fail "listing leaves no mounts behind (C036)"; fi
