#!/usr/bin/env bash
# tests/rescue/t_rescue_info.sh — what info, verify and restore say about a
# rescue image (trial 2 F5, F6, F14): the hash is labelled as that of the
# rescued disk with unreadable bytes as zeros (text and --json, which also
# carries the areas); an unfinished IMAGE.part says so, has no hash yet,
# counts its stored clusters and tells bytes not tried from unreadable
# ones; verify and restore name the unreadable bytes; verify --against
# calls differences inside them expected and any other one a mismatch.
# No root (the test-only fault backend).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rescue_lib.sh"

have qemu-img || { skip "rescue info" "qemu-img not installed"; exit 0; }
have sfdisk || { skip "rescue info" "sfdisk not installed"; exit 0; }
have python3 || { skip "rescue info" "python3 not installed"; exit 0; }

SECTORS=32768                   # 16 MiB
BAD="5000:8 20000:16"
NBAD=$(((8 + 16) * 512))
mkdisk "$T/disk.img" $SECTORS
badmap "$T/bad.map" "$BAD"
expected "$T/disk.img" "$T/exp.raw" "$BAD"
img=$T/r.qcow2
LIFEBOAT_FAULT_MAP=$T/bad.map "$LIFEBOAT" rescue "fault:$T/disk.img" "$img" >"$T/r.out" 2>&1 ||
	{ fail "rescue with 2 bad areas" "$(tail -2 "$T/r.out")"; exit 0; }

# --- a finished rescue: info text and JSON
"$LIFEBOAT" info "$img" >"$T/info.txt" 2>&1
if grep -q "sha256 of the rescued disk (unreadable bytes as zeros)" "$T/info.txt" &&
   ! grep -q "source sha256" "$T/info.txt" &&
   grep -q "rescue map: .* $NBAD unreadable, 0 not tried yet" "$T/info.txt"; then
	pass "info labels the hash as the rescued disk's, unreadable bytes as zeros"
else
	fail "info labels the hash as the rescued disk's, unreadable bytes as zeros" "$(grep -i "sha256\|rescue map" "$T/info.txt" | tr '\n' ' ')"
fi
"$LIFEBOAT" info --json "$img" >"$T/info.json" 2>&1
want=$(sha256sum <"$T/exp.raw" | cut -d' ' -f1)
got=$(python3 - "$T/info.json" <<'EOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rescue"]
print(d["sha256_kind"], d["sha256"], r["unreadable_bytes"], r["not_tried_bytes"],
      " ".join("%d:%d:%s" % (a["start"], a["size"], a["status"].replace(" ", "_")) for a in r["areas"]),
      len(r["files"]))
EOF
)
exp="rescued-disk-unreadable-as-zeros $want $NBAD 0 $((5000 * 512)):4096:unreadable $((20000 * 512)):8192:unreadable 0"
[ "$got" = "$exp" ] && pass "info --json: sha256_kind, the hash of the rescued disk, the unreadable areas" ||
	fail "info --json: sha256_kind, the hash of the rescued disk, the unreadable areas" "got '$got', want '$exp'"

# --- verify: says what the image holds as zeros
"$LIFEBOAT" verify "$img" >"$T/v.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "this image is a rescue: $NBAD bytes in 2 areas were unreadable" "$T/v.out" &&
	pass "verify names the unreadable bytes of a rescue image" ||
	fail "verify names the unreadable bytes of a rescue image" "exit $rc: $(grep -v '^verify:' "$T/v.out" | tr '\n' ' ')"

# --- verify --against the disk: the bad areas differ, as expected
"$LIFEBOAT" verify "$img" --against "$T/disk.img" >"$T/va.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "differ from .*disk.img inside the areas the rescue could not read (the first at byte $((5000 * 512)))" "$T/va.out" &&
	pass "verify --against: differences inside the unreadable areas are expected, reported as such" ||
	fail "verify --against: differences inside the unreadable areas are expected, reported as such" "exit $rc: $(grep -v '^verify:' "$T/va.out" | tr '\n' ' ')"
cp "$T/disk.img" "$T/other.img"
printf '\x5a' | dd of="$T/other.img" bs=1 seek=$((9000 * 512 + 7)) conv=notrunc status=none
cmp -s -i $((9000 * 512 + 7)):$((9000 * 512 + 7)) -n 1 "$T/other.img" "$T/disk.img" &&
	printf '\xa5' | dd of="$T/other.img" bs=1 seek=$((9000 * 512 + 7)) conv=notrunc status=none
"$LIFEBOAT" verify "$img" --against "$T/other.img" >"$T/vo.out" 2>&1
rc=$?
[ $rc = 7 ] && grep -q "at byte $((9000 * 512 + 7))" "$T/vo.out" &&
	pass "verify --against: a difference outside the unreadable areas is still a mismatch (exit 7)" ||
	fail "verify --against: a difference outside the unreadable areas is still a mismatch (exit 7)" "exit $rc: $(grep -v '^verify:' "$T/vo.out" | tr '\n' ' ')"

# --- restore: says it too, and writes the rescued bytes
"$LIFEBOAT" restore "$img" "$T/t.img" --yes >"$T/rs.out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q "is a rescue: $NBAD bytes in 2 areas were unreadable and are zeros on" "$T/rs.out" &&
cmp -s "$T/t.img" "$T/exp.raw" &&
	pass "restore of a rescue image names the unreadable bytes and writes the rescued disk" ||
	fail "restore of a rescue image names the unreadable bytes and writes the rescued disk" "exit $rc: $(tail -2 "$T/rs.out" | tr '\n' ' ')"

# --- an unfinished rescue (killed): IMAGE.part
head -c $((64 << 20)) /dev/urandom >"$T/big.img"
echo "0 ? 1" >"$T/none.map"
part=$T/k.qcow2.part
LIFEBOAT_FAULT_MAP=$T/none.map LIFEBOAT_FAULT_DELAY_MS=5 "$LIFEBOAT" rescue \
	"fault:$T/big.img" "$T/k.qcow2" --checkpoint-ms 50 >"$T/k.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	sleep 0.1
	stored_map "$part" "$T/s.map" 2>/dev/null &&
	[ "$(awk '$3 == "+" { n += $2 } END { print n + 0 }' "$T/s.map")" -gt $((2 << 20)) ] && break
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if [ -f "$part" ] && stored_map "$part" "$T/s.map"; then
	fin=$(awk '$3 == "+" { n += $2 } END { print n + 0 }' "$T/s.map")
	"$LIFEBOAT" info "$part" >"$T/pi.txt" 2>&1
	stored=$(sed -n 's/^clusters: *\([0-9]*\) stored.*/\1/p' "$T/pi.txt")
	if grep -q "UNFINISHED RESCUE" "$T/pi.txt" && grep -q "sha256: *not computed yet" "$T/pi.txt" &&
	   ! grep -q "0000000000000000" "$T/pi.txt" && [ "${stored:-0}" -gt 0 ] &&
	   grep -q "rescue map: *$fin bytes rescued, 0 unreadable, $(((64 << 20) - fin)) not tried yet" "$T/pi.txt"; then
		pass "info of a killed rescue: unfinished, no hash yet, clusters counted, not tried is not unreadable"
	else
		fail "info of a killed rescue: unfinished, no hash yet, clusters counted, not tried is not unreadable" "$(head -12 "$T/pi.txt" | tr '\n' '|')"
	fi
	"$LIFEBOAT" info --json "$part" >"$T/pi.json" 2>&1
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["complete"], d["sha256_kind"], repr(d["sha256"]), d["rescue"]["finished_bytes"], d["rescue"]["unreadable_bytes"], d["rescue"]["not_tried_bytes"])' "$T/pi.json" 2>&1)
	[ "$got" = "False not-computed '' $fin 0 $(((64 << 20) - fin))" ] &&
		pass "info --json of a killed rescue: not complete, no hash, bytes not tried" ||
		fail "info --json of a killed rescue: not complete, no hash, bytes not tried" "$got"
else
	skip "info of a killed rescue" "the rescue ended before it was killed or before a checkpoint"
fi

# --- a rescue stopped by Ctrl-C: its report calls the image unfinished and
# does not count bytes not tried as unreadable
if [ -f "$part" ]; then
	LIFEBOAT_FAULT_MAP=$T/none.map LIFEBOAT_FAULT_DELAY_MS=5 timeout --preserve-status -s INT 1 \
		"$LIFEBOAT" rescue "fault:$T/big.img" "$T/k.qcow2" --resume >"$T/c.out" 2>&1
	rc=$?
	if [ -f "$T/k.qcow2" ]; then
		skip "the report of a stopped rescue" "it finished within a second"
	elif [ $rc = 8 ] && grep -q "so far, in .*k.qcow2.part (unfinished)" "$T/c.out" &&
	     grep -q "^Not tried to the end yet: [1-9]" "$T/c.out" &&
	     grep -q "^Unreadable: 0 bytes in 0 bad areas" "$T/c.out"; then
		pass "the report of a stopped rescue: unfinished IMAGE.part, bytes not tried are not unreadable"
	else
		fail "the report of a stopped rescue: unfinished IMAGE.part, bytes not tried are not unreadable" "exit $rc: $(grep -v '^rescue' "$T/c.out" | tail -4 | tr '\n' '|')"
	fi
fi

# --- no retry pass by default (as GNU ddrescue's -r0); --retries 1 adds one
# (a read of each bad sector more); the report says how to retry later
failed_of() { sed -n 's/^Unreadable: .* reads, \([0-9]*\) failed,.*/\1/p' "$1"; }
LIFEBOAT_FAULT_MAP=$T/bad.map "$LIFEBOAT" rescue "fault:$T/disk.img" "$T/r1.qcow2" \
	--retries 1 >"$T/r1.out" 2>&1
f0=$(failed_of "$T/r.out"); f1=$(failed_of "$T/r1.out")
[ -n "$f0" ] && [ -n "$f1" ] && [ "$f1" -ge $((f0 + 24)) ] &&
	pass "no retry pass by default; --retries 1 reads the 24 bad sectors once more" ||
	fail "no retry pass by default; --retries 1 reads the 24 bad sectors once more" "failed reads: default '$f0', --retries 1 '$f1'"
grep -q "^To try the unreadable areas again .*: lifeboat rescue SOURCE $img --resume --retries 3$" "$T/r.out" &&
	pass "the report of a rescue with bad areas says how to retry them" ||
	fail "the report of a rescue with bad areas says how to retry them" "$(tail -3 "$T/r.out" | tr '\n' '|')"
"$LIFEBOAT" help rescue >"$T/help.txt" 2>&1
grep -q -- "--force .*--export-map replace an existing" "$T/help.txt" && grep -q -- "--retries N .*default 0" "$T/help.txt" &&
	pass "help rescue: --force (replacing an --export-map file) and --retries default 0" ||
	fail "help rescue: --force (replacing an --export-map file) and --retries default 0" "$(grep -- '--force\|--retries' "$T/help.txt" | tr '\n' '|')"
