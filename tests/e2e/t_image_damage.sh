#!/usr/bin/env bash
# Damaged, truncated, hostile and incomplete images give a clear message and
# exit code 6 (the ASan build too, so no crash goes unnoticed), and nothing
# is written to a restore target before the image has been checked.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/image_lib.sh"
L=$LIFEBOAT
A=$TOP/build/asan/lifeboat
[ -x "$A" ] || A=$L
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1

# A source with compressible text, random data and zeros.
for i in $(seq 1 3000); do echo "line $i of the lifeboat damage test source"; done >"$T/text"
{ cat "$T/text" "$T/text" "$T/text"; head -c 2M /dev/urandom; } >"$T/src.img"
truncate -s 12M "$T/src.img"
"$L" backup "$T/src.img" "$T/good.qcow2" --raw --cluster-size 65536 >/dev/null 2>&1 || { fail "backup" "could not make the test image"; exit 0; }

# One flipped byte inside the first compressed cluster (cluster 0 of the
# disk), found through the header, L1[0] and L2[0] (qcow2 spec "Cluster
# mapping"; 64 KiB clusters: the host offset is in bits 0..53).
be64() { od -An -tx1 -j "$2" -N8 "$1" | tr -d ' \n'; }
l1=$((0x$(be64 "$T/good.qcow2" 40)))
l2=$((0x$(be64 "$T/good.qcow2" "$l1") & 0x00fffffffffffe00))
c0=$((0x$(be64 "$T/good.qcow2" "$l2") & ((1 << 54) - 1)))
cp "$T/good.qcow2" "$T/flip.qcow2"
printf '\x5a' | dd of="$T/flip.qcow2" bs=1 seek=$((c0 + 40)) conv=notrunc status=none
expect_rc "flipped byte: verify exits 6" 6 "$A" verify "$T/flip.qcow2"
says "flipped byte: verify names the guest cluster" "guest cluster 0"
says "flipped byte: verify names the guest offset" "guest byte 0"
expect_rc "flipped byte: restore exits 6" 6 "$A" restore "$T/flip.qcow2" "$T/flip.out" --yes

# The same in the middle of the random (uncompressed) clusters.
cp "$T/good.qcow2" "$T/flip2.qcow2"
sz=$(stat -c %s "$T/good.qcow2")
printf '\x5a' | dd of="$T/flip2.qcow2" bs=1 seek=$((sz / 2)) conv=notrunc status=none
expect_rc "flipped byte mid-image: verify exits 6" 6 "$A" verify "$T/flip2.qcow2"
says "flipped byte mid-image: verify says which cluster" "guest cluster"

# Truncated images.
for cut in 100 4096 70000 $((sz / 2)) $((sz - 1)); do
	head -c $cut "$T/good.qcow2" >"$T/cut.qcow2"
	expect_rc "truncated to $cut bytes: info exits 6" 6 "$A" info "$T/cut.qcow2"
	expect_rc "truncated to $cut bytes: restore exits 6" 6 "$A" restore "$T/cut.qcow2" "$T/cut.out" --yes
	if [ -e "$T/cut.out" ]; then fail "truncated to $cut bytes: no target written" "$T/cut.out exists"; else pass "truncated to $cut bytes: no target written"; fi
done

# Garbage and hostile headers.
head -c 70000 /dev/urandom >"$T/garbage.qcow2"
expect_rc "garbage: info exits 6" 6 "$A" info "$T/garbage.qcow2"
says "garbage: says it is not qcow2" "not a qcow2"
patch() {       # FILE OFFSET HEXBYTES
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
cp "$T/good.qcow2" "$T/h1.qcow2"; patch "$T/h1.qcow2" 20 '\x00\x00\x00\x3f'
expect_rc "cluster_bits 63: info exits 6" 6 "$A" info "$T/h1.qcow2"
says "cluster_bits 63: names the field" "cluster_bits"
cp "$T/good.qcow2" "$T/h2.qcow2"; patch "$T/h2.qcow2" 40 '\x00\x00\x7f\x00\x00\x00\x00\x00'
expect_rc "L1 offset past the end: info exits 6" 6 "$A" info "$T/h2.qcow2"
says "L1 offset past the end: names the L1 table" "L1"
cp "$T/good.qcow2" "$T/h3.qcow2"; patch "$T/h3.qcow2" 24 '\x7f\xff\xff\xff\xff\xff\xff\xff'
expect_rc "absurd virtual size: info exits 6" 6 "$A" info "$T/h3.qcow2"
# An L2 entry pointing past the end of the file.
l1=$(od -An -t x8 --endian=big -j 40 -N 8 "$T/good.qcow2" | tr -d ' ')
l2=$(( $(od -An -t u8 --endian=big -j $((16#$l1)) -N 8 "$T/good.qcow2" | tr -d ' ') & 0x00fffffffffffe00 ))
cp "$T/good.qcow2" "$T/h4.qcow2"; patch "$T/h4.qcow2" $l2 '\x80\x00\x7f\x00\x00\x00\x00\x00'
expect_rc "L2 entry past the end: restore exits 6" 6 "$A" restore "$T/h4.qcow2" "$T/h4.out" --yes
says "L2 entry past the end: names the L2 entry" "L2 entry"
if [ -e "$T/h4.out" ]; then fail "L2 entry past the end: nothing written before the check" "$T/h4.out exists"; else pass "L2 entry past the end: nothing written before the check"; fi
# Two L1 entries sharing one L2 table (a loop of references): refused.
cp "$T/good.qcow2" "$T/h5.qcow2"
printf "%016x" $((16#$l1)) >/dev/null
dd if="$T/good.qcow2" of="$T/h5.qcow2" bs=1 skip=$((16#$l1)) seek=$((16#$l1 + 8)) count=8 conv=notrunc status=none
l1size=$(od -An -t u4 --endian=big -j 36 -N 4 "$T/good.qcow2" | tr -d ' ')
if [ "$l1size" -ge 2 ]; then
	expect_rc "shared L2 table: verify exits 6" 6 "$A" verify "$T/h5.qcow2"
else
	patch "$T/h5.qcow2" 36 '\x00\x00\x00\x02'
	expect_rc "shared L2 table / bigger l1_size: verify exits 6" 6 "$A" verify "$T/h5.qcow2"
fi

# Incomplete images.
cp "$T/good.qcow2" "$T/inc.qcow2.part"
expect_rc "only IMAGE.part: restore exits 6" 6 "$A" restore "$T/inc.qcow2" "$T/inc.out" --yes
says "only IMAGE.part: says incomplete" "incomplete"
# A header whose Lifeboat extension lacks the complete marker.
cp "$T/good.qcow2" "$T/nc.qcow2"; patch "$T/nc.qcow2" $((112 + 8 + 4)) '\x00\x00\x00\x00'
expect_rc "not marked complete: verify exits 6" 6 "$A" verify "$T/nc.qcow2"
says "not marked complete: says incomplete" "incomplete"
expect_rc "not marked complete: restore exits 6" 6 "$A" restore "$T/nc.qcow2" "$T/nc.out" --yes
expect_rc "not marked complete: info still describes it" 0 "$A" info "$T/nc.qcow2"
