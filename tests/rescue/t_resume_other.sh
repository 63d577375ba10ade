#!/usr/bin/env bash
# tests/rescue/t_resume_other.sh — rescue --resume refuses a source that is
# not the one the image holds, even of the same size (issue 6, F6;
# imager/rescue_same.c): areas the stored map calls finished are read
# again and compared with the image.  Disk B equals disk A in its first
# MiB (same partition table) and differs after it, so only the samples
# spread over the disk tell them apart.  Cases: a killed rescue
# (IMAGE.part) and a finished image; each refused with exit 3 naming both,
# the image unchanged (sha256), and --resume with A still works.  No root
# (the test-only fault backend, as t_kill.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

have qemu-img || { skip "resume with another source" "qemu-img not installed"; exit 0; }
have sfdisk || { skip "resume with another source" "sfdisk not installed"; exit 0; }

SECTORS=32768                   # 16 MiB
mkdisk "$T/a.img" $SECTORS
{ head -c $((1 << 20)) "$T/a.img"; head -c $((15 << 20)) /dev/urandom; } >"$T/b.img"
badmap "$T/bad.map" "20000:8"
export LIFEBOAT_FAULT_MAP=$T/bad.map
img=$T/r.qcow2

# refused NAME FILE: resume from B is refused with exit 3 naming both
# sources, FILE (the image or IMAGE.part) unchanged.
refused() {
	local before after rc
	before=$(sha256sum <"$2")
	"$LIFEBOAT" rescue "fault:$T/b.img" "$img" --resume >"$T/b.out" 2>&1
	rc=$?
	after=$(sha256sum <"$2" 2>/dev/null)
	if [ $rc = 3 ] && [ "$before" = "$after" ] && grep -q "b.img" "$T/b.out" &&
	   grep -q "a.img" "$T/b.out" && grep -q "not the source" "$T/b.out"; then
		pass "$1"
	else
		fail "$1" "exit $rc, image changed: $([ "$before" = "$after" ] && echo no || echo yes): $(tail -2 "$T/b.out" | tr '\n' ' ')"
	fi
}

# 1. a killed rescue: IMAGE.part with some MiB finished
LIFEBOAT_FAULT_DELAY_MS=2 "$LIFEBOAT" rescue "fault:$T/a.img" "$img" \
	--checkpoint-ms 30 >"$T/a1.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	sleep 0.1
	stored_map "$img.part" "$T/s.map" 2>/dev/null &&
	[ "$(awk '$3 == "+" { n += $2 } END { print n + 0 }' "$T/s.map")" -gt $((3 << 20)) ] && break
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ -f "$img.part" ] && [ ! -e "$img" ]; then
	refused "--resume of a killed rescue with another disk of the same size: exit 3, IMAGE.part unchanged" "$img.part"
else
	skip "--resume of a killed rescue with another disk" "the rescue ended before it was killed"
fi

# 2. --resume with A still works and finishes the image
"$LIFEBOAT" rescue "fault:$T/a.img" "$img" --resume >"$T/a2.out" 2>&1
rc=$?
expected "$T/a.img" "$T/exp.raw" "20000:8"
if [ $rc = 0 ] && [ -f "$img" ] && raw_of "$img" "$T/r.raw" && cmp -s "$T/r.raw" "$T/exp.raw"; then
	pass "--resume with the same disk finishes the image, equal to the disk"
else
	fail "--resume with the same disk finishes the image, equal to the disk" "exit $rc: $(tail -2 "$T/a2.out" | tr '\n' ' ')"
fi

# 3. a finished image: --resume (retry the bad areas) with B is refused and
# the image keeps its name and bytes
if [ -f "$img" ]; then
	refused "--resume of a finished rescue with another disk: exit 3, image unchanged" "$img"
	[ -f "$img" ] && [ ! -e "$img.part" ] &&
		pass "the refused resume leaves the finished image in place" ||
		fail "the refused resume leaves the finished image in place" "$(ls "$T")"
	"$LIFEBOAT" rescue "fault:$T/a.img" "$img" --resume >"$T/a3.out" 2>&1
	check "a finished image resumed with its own disk passes qemu-img check" \
		qemu-img check "$img"
	# nothing is left to read: no step may show a rate (it would be bytes
	# finished before divided by no time: "469 TiB/s")
	if grep -q "rescue copy" "$T/a3.out" && ! grep -Eq "[0-9] [KMGTP]?i?B/s" "$T/a3.out"; then
		pass "a resumed rescue with nothing to read shows no rate"
	else
		fail "a resumed rescue with nothing to read shows no rate" "$(grep -Eo "[0-9.]+ [KMGTP]?i?B/s" "$T/a3.out" | head -3 | tr '\n' ' ')"
	fi
else
	skip "--resume of a finished rescue with another disk" "no finished image"
fi

# 4. identity (root: loop devices): the image records a loop device's
# backing file; a byte-identical copy behind another loop device is
# another source, the same file behind another loop device is not.
if ! need_root || ! have losetup; then
	skip "--resume compares the recorded identity (loop backing file)" "needs root and losetup"
elif ! LA=$(losetup -f --show -r "$T/a.img" 2>/dev/null); then
	skip "--resume compares the recorded identity (loop backing file)" "no free loop device"
else
	on_exit "losetup -d $LA"
	cp "$T/a.img" "$T/copy.img"
	LC=$(losetup -f --show -r "$T/copy.img") && on_exit "losetup -d $LC"
	LA2=$(losetup -f --show -r "$T/a.img") && on_exit "losetup -d $LA2"
	"$LIFEBOAT" rescue "$LA" "$T/l.qcow2" >"$T/l1.out" 2>&1
	before=$(sha256sum <"$T/l.qcow2")
	"$LIFEBOAT" rescue "$LC" "$T/l.qcow2" --resume >"$T/l2.out" 2>&1
	rc=$?
	[ $rc = 3 ] && grep -q "backing file" "$T/l2.out" && grep -q "copy.img" "$T/l2.out" &&
	[ "$before" = "$(sha256sum <"$T/l.qcow2")" ] &&
		pass "--resume through a loop device over another file (same bytes) is refused, naming the backing files" ||
		fail "--resume through a loop device over another file (same bytes) is refused, naming the backing files" "exit $rc: $(tail -1 "$T/l2.out")"
	"$LIFEBOAT" rescue "$LA2" "$T/l.qcow2" --resume >"$T/l3.out" 2>&1
	rc=$?
	[ $rc = 0 ] && [ -f "$T/l.qcow2" ] &&
		pass "--resume through another loop device over the same file goes on" ||
		fail "--resume through another loop device over the same file goes on" "exit $rc: $(tail -1 "$T/l3.out")"
fi
