#!/usr/bin/env bash
# Probing the reference images of ../shared/images/blkid (util-linux's test
# data, see its SOURCE.txt) must give what their makers recorded: type,
# label and UUID for fs/, partition numbers, starts and sizes for pt/.
# One PASS/FAIL per image.  Types the host's libblkid does not know
# (`blkid -k`), and multi-session offsets, are skipped with that reason.
. "$(dirname "$0")/../lib.sh"
P=$TOP/build/tests/pt/lbprobe
IMG=$SHARED/images/blkid
[ -x "$P" ] || { fail "driver" "$P missing (make test-bins)"; exit 0; }
[ -d "$IMG/expected" ] || { skip "blkid images" "$IMG not present"; exit 0; }
export ASAN_OPTIONS=detect_leaks=0
known=$(blkid -k 2>/dev/null)

# expected VALUE of KEY_ENC (or KEY) from an expected file, decoded
want() { local v; v=$(grep -m1 "^$2_ENC=" "$1" | cut -d= -f2-); [ -n "$v" ] || v=$(grep -m1 "^$2=" "$1" | cut -d= -f2-); printf '%b' "$v"; }
got() { grep -a -m1 "^$2=" "$1" | cut -d= -f2-; }
# what the host's own blkid(8) says, same decoding as want()
host() { local v; v=$(blkid -p -o udev "$1" 2>/dev/null | grep -a -m1 "^ID_FS_$2_ENC=" | cut -d= -f2-); [ -n "$v" ] || v=$(blkid -p -o udev "$1" 2>/dev/null | grep -a -m1 "^ID_FS_$2=" | cut -d= -f2-); printf '%b' "$v"; }
hostver=$(blkid -V 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)

# Backup and restore of every image, known or not: raw ones come back
# byte-identical; used-block ones probe the same and pass their checker.
roundtrip() {
	local mode; mode=$(sed -n 's/^MODE=//p' "$T/out")
	if ! "$LIFEBOAT" backup "$T/img" "$T/i.qcow2" --force >"$T/log" 2>&1 ||
	   ! "$LIFEBOAT" restore "$T/i.qcow2" "$T/r" --yes >>"$T/log" 2>&1; then
		fail "round trip $1" "$(tail -1 "$T/log")"; rm -f "$T/i.qcow2" "$T/r"; return
	fi
	if [ "$mode" = raw ]; then same_bytes "round trip $1 (raw): byte-identical" "$T/img" "$T/r"
	else
		"$P" fs "$T/r" >"$T/out2" 2>&1
		local c=; case $(got "$T/out" TYPE) in
			ext*) c="e2fsck -fn";; vfat) c="fsck.vfat -n";; exfat) c="fsck.exfat -n";; ntfs) c="ntfsfix -n";; esac
		if ! diff <(grep -a -E '^(TYPE|LABEL|UUID)=' "$T/out") <(grep -a -E '^(TYPE|LABEL|UUID)=' "$T/out2") >/dev/null; then
			fail "round trip $1 (used-blocks)" "probes differently after restore"
		elif [ -n "$c" ] && ! diff <($c "$T/img" 2>&1 | sed "s|$T/img||g"; echo "rc=${PIPESTATUS[0]}") \
				<($c "$T/r" 2>&1 | sed "s|$T/r||g"; echo "rc=${PIPESTATUS[0]}") >/dev/null; then
			fail "round trip $1 (used-blocks)" "$c says something else after restore than on the original"
		else pass "round trip $1 (used-blocks): same type/label/UUID${c:+, $c says the same as on the original}"; fi
	fi
	rm -f "$T/i.qcow2" "$T/r"
}

for e in "$IMG"/expected/low-probe-*; do
	name=${e##*/low-probe-}
	img=$IMG/fs/$name.img.xz
	session=
	if [ ! -f "$img" ]; then
		# NAME-multi-TOOL-N: session N (2048-byte blocks) of the image
		# whose name lists all sessions, FS-multi-0-..-N-..-TOOL
		session=${name##*-}; base=${name%-*}; tool=${base##*-multi-}; fs=${base%%-multi-*}
		img=$(ls "$IMG"/fs/"$fs"-multi-*-"$tool".img.xz 2>/dev/null | grep -- "-$session-\|-0-" | head -1)
		[ -f "$img" ] || { skip "fs $name" "no image for this multi-session name"; continue; }
		[ "$session" = 0 ] && session=
	fi
	type=$(want "$e" ID_FS_TYPE)
	if ! grep -qx "$type" <<<"$known"; then skip "fs $name" "host libblkid does not know type $type"; continue; fi
	xz -dc "$img" >"$T/img" 2>/dev/null || { fail "fs $name" "cannot decompress"; continue; }
	if [ -n "$session" ]; then
		"$P" fs "$T/img" session $((session * 2048)) >"$T/out" 2>&1 || { fail "fs $name" "lbprobe failed"; continue; }
	else
		"$P" fs "$T/img" >"$T/out" 2>&1 || { fail "fs $name" "lbprobe failed: $(tail -1 "$T/out")"; continue; }
	fi
	bad= hostsame=1
	for k in TYPE LABEL UUID; do
		w=$(want "$e" "ID_FS_$k"); g=$(got "$T/out" "$k")
		[ "$w" = "$g" ] && continue
		bad="$bad $k: want '$w' got '$g';"
		[ "$(host "$T/img" "$k")" = "$g" ] || hostsame=0
	done
	if [ -z "$bad" ]; then pass "fs $name ($type)"
	elif [ $hostsame = 1 ]; then skip "fs $name" "host libblkid $hostver itself gives this (expected/ is from a newer util-linux):$bad"
	else fail "fs $name" "$bad"; fi
	[ -n "$session" ] || roundtrip "$name"
	rm -f "$T/img"
done

# Partition tables: our own MBR/GPT parser against libblkid's record.
for e in "$IMG"/expected/lowprobe-pt-*; do
	name=${e##*/lowprobe-pt-}
	xz -dc "$IMG/pt/$name.img.xz" >"$T/img" 2>/dev/null || { fail "pt $name" "cannot decompress"; continue; }
	pttype=$(sed -n 's/.*PT: \([a-z]*\),.*/\1/p' "$e")
	"$P" pt "$T/img" >"$T/out" 2>&1 || { fail "pt $name" "lbprobe failed"; continue; }
	ours=$(sed -n 's/^table: \([a-z]*\),.*/\1/p' "$T/out")
	if [ "$pttype" != gpt ] && [ "$pttype" != dos ]; then
		# Not a table Lifeboat reads: it must not be mistaken for one.
		if [ "$ours" = none ]; then pass "pt $name ($pttype: not misread, imaged by fs or raw)"
		else fail "pt $name" "$pttype table misread as $ours"; fi
		continue
	fi
	# "#N: start size" of the entries of this table (nested BSD ones are
	# libblkid's extra probe of a slice, not entries of this table)
	w=$(grep '^#' "$e" | grep -v '(freebsd)' | awk '{print $1, $2, $3}')
	g=$(grep '^#' "$T/out" | awk '{print $1, $2, $3}')
	if [ "$ours" = "$pttype" ] && [ "$w" = "$g" ]; then pass "pt $name ($pttype, $(wc -l <<<"$w") partitions)"
	else fail "pt $name" "want $pttype [$(echo $w)] got $ours [$(echo $g)]"; fi
done
