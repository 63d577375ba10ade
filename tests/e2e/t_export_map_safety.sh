#!/usr/bin/env bash
# t_export_map_safety.sh — trial 2 F12: `rescue --export-map FILE` writes
# FILE only where any output may go.  Refused with exit 3 and a reason,
# bytes unchanged: FILE is the source (first rescue and export of a finished
# one), the image itself (also before it exists), IMAGE.part, a device
# node (with root: a loop device over the source and an unrelated one, the
# node stays a block device).  An existing regular file needs --force (exit
# 1 without, as backup with an existing image); a new file is written whole
# (a ddrescue mapfile) and no temporary file is left behind.  The files a
# rescue writes beside IMAGE (.rescue-map, .rescue-scan, ...) may not be
# the source or non-regular files either; a missing source exits 4.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

sha() { sha256sum "$1" | cut -d' ' -f1; }
# refused NAME FILE-THAT-MUST-NOT-CHANGE WORDS -- CMD...
refused() {
	local name=$1 keep=$2 words=$3 before out rc; shift 4
	before=$(sha "$keep")
	out=$("$@" 2>&1 </dev/null); rc=$?
	if [ $rc != 3 ]; then fail "$name" "exit $rc, wanted 3: $(echo "$out" | tail -1)"; return; fi
	[[ $out == *"refusing to write"*$words* ]] || { fail "$name" "no reason in: $(echo "$out" | tail -1)"; return; }
	[ "$(sha "$keep")" = "$before" ] || { fail "$name" "$keep changed"; return; }
	pass "$name"
}

head -c 4M /dev/urandom >"$T/src.img"
refused "first rescue with --export-map SOURCE is refused" "$T/src.img" "source" -- \
	"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/src.img"
[ ! -e "$T/a.qcow2" ] && pass "the refused rescue did not start" || fail "the refused rescue did not start" "a.qcow2 exists"
refused "--export-map naming the image (not yet there) is refused" "$T/src.img" "a.qcow2, written by this rescue" -- \
	"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/./a.qcow2"
"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" >/dev/null 2>&1 || fail "rescue runs" "exit $?"
refused "export of a finished rescue onto the source is refused (also --force)" "$T/src.img" "source" -- \
	"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/src.img" --force
refused "export onto the rescued image is refused (also --force)" "$T/a.qcow2" "a.qcow2, written by this rescue" -- \
	"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/a.qcow2" --force
ln -s a.qcow2 "$T/link"
refused "export through a symlink to the image is refused" "$T/a.qcow2" "written by this rescue" -- \
	"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/link" --force
mkfifo "$T/fifo"
out=$("$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/fifo" --force 2>&1 </dev/null); rc=$?
[ $rc = 3 ] && [[ $out == *"not a regular file"* ]] && [ -p "$T/fifo" ] && pass "export onto a fifo is refused" ||
	fail "export onto a fifo is refused" "exit $rc: $out"

out=$("$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/a.map" 2>&1); rc=$?
if [ $rc = 0 ] && grep -q '^0x00000000  *0x00400000  *+' "$T/a.map"; then pass "a new map file is written (ddrescue mapfile)"
else fail "a new map file is written (ddrescue mapfile)" "exit $rc: $out; $(cat "$T/a.map" 2>&1 | tail -2)"; fi
ls "$T" | grep -q 'tmp' && fail "no temporary file left" "$(ls "$T")" || pass "no temporary file left"
echo keep >"$T/a.map"
out=$("$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/a.map" 2>&1); rc=$?
[ $rc = 1 ] && [[ $out == *"already exists (give --force"* ]] && [ "$(cat "$T/a.map")" = keep ] &&
	pass "an existing file is kept without --force" || fail "an existing file is kept without --force" "exit $rc: $out"
out=$("$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$T/a.map" --force 2>&1); rc=$?
[ $rc = 0 ] && grep -q '^0x00000000' "$T/a.map" && pass "--force replaces an existing map file" ||
	fail "--force replaces an existing map file" "exit $rc: $out"

# the files a rescue writes beside IMAGE get the same checks
cp "$T/src.img" "$T/v.rescue-map"
refused "a source named IMAGE.rescue-map is refused" "$T/v.rescue-map" "source" -- \
	"$LIFEBOAT" rescue "$T/v.rescue-map" "$T/v"
mkdir "$T/w.rescue-scan"
out=$("$LIFEBOAT" rescue "$T/src.img" "$T/w" 2>&1 </dev/null); rc=$?
[ $rc = 3 ] && [[ $out == *"w.rescue-scan beside the image, and it is not a regular file"* ]] && [ -d "$T/w.rescue-scan" ] &&
	pass "a side file that is a folder is refused" || fail "a side file that is a folder is refused" "exit $rc: $out"
# trial 2 Misc: a missing source is exit 4 with backup's words
out=$("$LIFEBOAT" rescue "$T/nonexist" "$T/n.qcow2" 2>&1); rc=$?
[ $rc = 4 ] && [[ $out == *"rescue FAILED: $T/nonexist: cannot open for reading: No such file or directory"* ]] &&
	pass "rescue of a missing source exits 4" || fail "rescue of a missing source exits 4" "exit $rc: $out"

if ! have_loop; then
	skip "export onto device nodes" "needs root and working loop devices (losetup)"
	exit 0
fi
if attach "$T/src.img"; then
	L1=$LOOP
	refused "rescue of a loop device with --export-map onto that device is refused" "$T/src.img" "" -- \
		"$LIFEBOAT" rescue "$L1" "$T/b.qcow2" --export-map "$L1" --force
	[ -b "$L1" ] && pass "the source's device node is still a block device" || fail "the source's device node is still a block device" "$(ls -l "$L1")"
	refused "export onto the file backing the source loop device is refused" "$T/src.img" "source" -- \
		"$LIFEBOAT" rescue "$L1" "$T/b.qcow2" --export-map "$T/src.img" --force
	head -c 1M /dev/zero >"$T/other.img"
	if attach "$T/other.img"; then
		refused "export onto an unrelated block device is refused" "$T/other.img" "not a regular file" -- \
			"$LIFEBOAT" rescue "$T/src.img" "$T/a.qcow2" --export-map "$LOOP" --force
		[ -b "$LOOP" ] && pass "an unrelated device node stays a block device" || fail "an unrelated device node stays a block device" "$(ls -l "$LOOP")"
	else skip "export onto an unrelated block device" "could not attach a loop device"; fi
else skip "export onto device nodes" "could not attach a loop device"; fi
