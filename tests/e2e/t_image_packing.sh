#!/usr/bin/env bash
# The image writer packs the L1 table and the checksum directory into the
# start of host clusters that compressed clusters then fill, instead of a
# whole cluster each (image_writer.c, place_resv; docs/image-format.md
# "Layout in the file").  What a user would check: qemu-img check is clean,
# the image reads back byte for byte (qemu and Lifeboat), the bytes that
# are not cluster data are five whole clusters (see below) plus at most
# one cluster of alignment gaps, and the image still works after qemu
# itself writes to it and grows it.
. "$(dirname "$0")/../lib.sh"
L=$LIFEBOAT
have qemu-img || { skip "packing" "qemu-img not installed"; exit 0; }
have python3 || { skip "packing" "python3 not installed (tests/bench/qcow2_bytes.py)"; exit 0; }

# A disk of text and zeros: every stored cluster compressed (uncompressed
# clusters need aligned space whose skipped bytes may stay a gap; other
# tests cover them), and enough compressed bytes (base64 of random data,
# about 3/4) to cross several 2 MiB boundaries.
for i in $(seq 1 20000); do echo "line $i of the packing test, some words to compress"; done >"$T/text"
python3 -c 'import base64, random, sys; random.seed(5)
sys.stdout.write(base64.encodebytes(random.randbytes(12 << 20)).decode())' >"$T/b64"
cat "$T/text" "$T/b64" "$T/text" >"$T/src.img"
truncate -s 24M "$T/src.img"

for cs in 65536 1048576 2097152; do
	img=$T/p$cs.qcow2
	if ! "$L" backup "$T/src.img" "$img" --raw --cluster-size $cs >/dev/null 2>"$T/err"; then
		fail "$cs-byte clusters: backup" "$(tail -2 "$T/err")"; continue
	fi
	check "$cs-byte clusters: qemu-img check is clean" qemu-img check "$img"
	check "$cs-byte clusters: qemu-img compare: identical to the source" \
		qemu-img compare -f raw -F qcow2 "$T/src.img" "$img"
	rm -f "$T/out"
	"$L" restore "$img" "$T/out" --yes >/dev/null 2>&1
	same_bytes "$cs-byte clusters: lifeboat restore gives the source back" "$T/src.img" "$T/out"
	# Besides cluster data the file holds the header, one L2 table, one
	# checksum block, one refcount block and the refcount table (a whole
	# cluster each), and at most one cluster of alignment gaps; the L1
	# table and checksum directory no longer take clusters of their own.
	rest=$(python3 "$TOP/tests/bench/qcow2_bytes.py" "$img" | awk -F': ' '/tables, checksum blocks/{print $2+0}')
	if [ -n "$rest" ] && [ "$rest" -le $((6 * cs)) ]; then
		pass "$cs-byte clusters: tables and gaps take $rest bytes (at most 6 clusters)"
	else
		fail "$cs-byte clusters: tables and gaps take at most 6 clusters" "${rest:-?} bytes"
	fi
done

# qemu writes to the 1 MiB image (a sector of L1 entries is rewritten in
# place: the compressed clusters after the L1 table must survive) and then
# grows it (a new, larger L1 elsewhere; the old one freed).
img=$T/p1048576.qcow2
if have qemu-io && [ -s "$img" ]; then
	cp "$T/src.img" "$T/ref.img"
	qemu-io -f raw -c "write -P 0x5a 5M 3M" -c "write -P 0x33 0 64k" "$T/ref.img" >/dev/null
	truncate -s 300G "$T/ref.img"
	qemu-io -f raw -c "write -P 0x77 250G 1M" "$T/ref.img" >/dev/null
	qemu-io -c "write -P 0x5a 5M 3M" -c "write -P 0x33 0 64k" "$img" >/dev/null 2>&1 &&
		qemu-img resize "$img" 300G >/dev/null 2>&1 &&
		qemu-io -c "write -P 0x77 250G 1M" "$img" >/dev/null 2>&1
	check "after qemu writes and grows the image: qemu-img check is clean" qemu-img check "$img"
	check "after qemu writes and grows the image: the data is what was written" \
		qemu-img compare -f raw -F qcow2 "$T/ref.img" "$img"
else
	skip "qemu writes to a packed image" "qemu-io not installed"
fi
