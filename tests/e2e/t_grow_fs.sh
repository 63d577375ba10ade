#!/usr/bin/env bash
# t_grow_fs.sh — restore/clone --grow-last grows the ext4 filesystem of the
# grown last partition too (issue 5; imager/fs_grow.c runs e2fsprogs'
# e2fsck -f and resize2fs on a loop device over the partition).  GPT and
# MBR disks restored onto a larger file, GPT cloned onto a larger file and
# restored onto a larger loop device: e2fsck -fn clean, dumpe2fs' block
# count is the new partition size, every file's content equal (debugfs),
# sgdisk -v / sfdisk --verify clean; NTFS through ntfsresize (ntfsfix -n,
# the volume's size, the file's content).  Failure paths: a filesystem e2fsck
# complains about, and one resize2fs refuses (1 KiB blocks without 64bit
# in a partition over 4 TiB): the job succeeds (exit 0), the table is
# grown and the line says the filesystem was not grown and why.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

for t in sfdisk sgdisk mkfs.ext4 debugfs dumpe2fs e2fsck resize2fs; do
	have $t || { skip "grow the last filesystem" "needs $t"; exit 0; }
done
need_root && have_loop || { skip "grow the last filesystem" "needs root and loop devices (the filesystem is grown through a loop device)"; exit 0; }

# mkfs_files IMG SIZE_BYTES [mkfs options]: an ext4 image holding real files.
mkfs_files() {
	local img=$1 size=$2; shift 2
	local d=$T/files
	if [ ! -d "$d" ]; then          # the same files on every disk
		mkdir -p "$d/dir/sub"
		seq 1 200000 >"$d/a.txt"
		head -c 3M /dev/urandom >"$d/dir/b.bin"
		cp "$TOP/imager/fs_grow.c" "$d/dir/sub/c.c"
	fi
	rm -f "$img"; truncate -s "$size" "$img"
	mkfs.ext4 -q -F "$@" -d "$d" "$img" >/dev/null
}

# make_disk FILE LABEL [mkfs options]: 64 MiB disk (gpt or dos), partition 1
# 1..9 MiB (empty), partition 2 to the end holding mkfs_files.
make_disk() {
	local f=$1 label=$2; shift 2
	rm -f "$f"; truncate -s 64M "$f"
	printf 'label: %s\nstart=2048, size=16384\nstart=18432\n' "$label" | sfdisk -q "$f" || return 1
	local sz; sz=$(sfdisk -d "$f" | awk -F'size=' '/2 : /{split($2,a,","); gsub(/ /,"",a[1]); print a[1]}')
	mkfs_files "$T/p2.img" $((sz * 512)) "$@" || return 1
	dd if="$T/p2.img" of="$f" bs=512 seek=18432 conv=notrunc status=none
}

# attach_span FILE OFFSET SIZE: a loop device over those bytes in LOOP,
# detached at exit (called directly, never inside $(...)).
attach_span() {
	LOOP=$(losetup -f --show -o "$2" --sizelimit "$3" "$1" 2>/dev/null) || { LOOP=; return 1; }
	on_exit "losetup -d $LOOP"
}

# part2 FILE: "offset size" of partition 2 in bytes (sfdisk's view).
part2() {
	sfdisk -d "$1" | awk -F'[=,]' '/2 : /{gsub(/ /,""); printf "%.0f %.0f\n", $2 * 512, $4 * 512}'
}

# check_grown NAME FILE OUT: the line, e2fsck, block count, files, table.
check_grown() {
	local name=$1 f=$2 out=$3 off size
	read -r off size < <(part2 "$f")
	local fs="$f?offset=$off"
	[[ $out == *"partition 2: entry grown from"*"its ext4 filesystem grown from"* ]] &&
		pass "$name: the line says entry and filesystem grown" ||
		fail "$name: the line says entry and filesystem grown" "$(echo "$out" | grep -i partition | tail -2)"
	e2fsck -fn "$fs" >"$T/fsck.out" 2>&1 && pass "$name: e2fsck -fn clean" ||
		fail "$name: e2fsck -fn clean" "$(tail -3 "$T/fsck.out")"
	local bc bs; bc=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Block count/{gsub(/ /,"",$2); print $2}')
	bs=$(dumpe2fs -h "$fs" 2>/dev/null | awk -F: '/^Block size/{gsub(/ /,"",$2); print $2}')
	# resize2fs grows to whole 4 KiB pages (with 1 KiB blocks: a multiple of 4)
	local per=$(( ${bs:-4096} < 4096 ? 4096 / ${bs:-4096} : 1 ))
	[ -n "$bc" ] && [ "$bc" = $((size / bs / per * per)) ] &&
		pass "$name: block count $bc fills the $size-byte partition" ||
		fail "$name: block count fills the partition" "block count '$bc' x $bs, partition $size bytes"
	local bad=0
	for p in a.txt dir/b.bin dir/sub/c.c; do
		cmp -s <(debugfs -R "cat /$p" "$fs" 2>/dev/null) "$T/files/$p" || { bad=1; echo "differs: $p"; }
	done
	[ $bad = 0 ] && pass "$name: every file's content equal" || fail "$name: every file's content equal"
}

for label in gpt dos; do
	make_disk "$T/src-$label.img" $label -b 4096 || { fail "make the $label disk"; continue; }
	"$LIFEBOAT" backup "$T/src-$label.img" "$T/$label.qcow2" >/dev/null 2>&1 || fail "$label backup" "exit $?"
	truncate -s 300M "$T/big-$label.img"
	out=$("$LIFEBOAT" restore "$T/$label.qcow2" "$T/big-$label.img" --yes --grow-last 2>&1); rc=$?
	[ $rc = 0 ] || fail "$label restore --grow-last onto a larger file" "exit $rc: $(echo "$out" | tail -2)"
	check_grown "$label restore onto a larger file" "$T/big-$label.img" "$out"
	if [ $label = gpt ]; then
		sgdisk -v "$T/big-$label.img" | grep -q "No problems found" && pass "gpt restore: sgdisk -v clean" ||
			fail "gpt restore: sgdisk -v clean" "$(sgdisk -v "$T/big-$label.img" | head -3)"
	else
		sfdisk --verify "$T/big-$label.img" >"$T/v.out" 2>&1 && grep -q "No errors detected" "$T/v.out" &&
			pass "dos restore: sfdisk --verify clean" || fail "dos restore: sfdisk --verify clean" "$(cat "$T/v.out")"
	fi
done

# clone, and restore onto a loop device (a block device without partition nodes)
truncate -s 300M "$T/big-clone.img"
out=$("$LIFEBOAT" clone "$T/src-gpt.img" "$T/big-clone.img" --yes --grow-last 2>&1) ||
	fail "clone --grow-last onto a larger file" "exit $?: $(echo "$out" | tail -2)"
check_grown "gpt clone onto a larger file" "$T/big-clone.img" "$out"

# a target where partition 2 can grow by only 32 KiB (the GPT backup takes
# the last 33 sectors): both sizes round to the same MiB figure, so the
# line gives the exact bytes instead of "from 54.0 MiB to 54.0 MiB"
# (a copy of the GPT disk cut to end right after partition 2, sgdisk -e
# moving the backup GPT to the new end, backed up, restored 32 KiB larger)
read -r ooff osize < <(part2 "$T/src-gpt.img")
cp "$T/src-gpt.img" "$T/tight.img"
truncate -s $((ooff + osize + 33 * 512)) "$T/tight.img"
sgdisk -e "$T/tight.img" >/dev/null 2>&1
"$LIFEBOAT" backup "$T/tight.img" "$T/tight.qcow2" >/dev/null 2>&1 || fail "backup of the tight GPT disk" "exit $?"
truncate -s $((ooff + osize + 32768 + 33 * 512)) "$T/little.img"
out=$("$LIFEBOAT" restore "$T/tight.qcow2" "$T/little.img" --yes --grow-last 2>&1); rc=$?
read -r off size < <(part2 "$T/little.img")
[ $rc = 0 ] && [[ $out == *"partition 2: entry grown from $osize to $size bytes;"* &&
	$out == *"its ext4 filesystem grown from "*" bytes ("* ]] &&
	! echo "$out" | grep -Eq "from ([0-9.]+ [KMG]iB) to \1" &&
	pass "a little larger target: the line gives exact bytes, not 'from X MiB to X MiB'" ||
	fail "a little larger target: the line gives exact bytes, not 'from X MiB to X MiB'" "exit $rc: $(echo "$out" | grep -i partition | tail -2)"

truncate -s 280M "$T/big-loop.img"
if attach "$T/big-loop.img"; then
	out=$("$LIFEBOAT" restore "$T/gpt.qcow2" "$LOOP" --yes --grow-last 2>&1) ||
		fail "restore --grow-last onto a larger loop device" "exit $?: $(echo "$out" | tail -2)"
	sync
	check_grown "gpt restore onto a larger loop device" "$T/big-loop.img" "$out"
	sgdisk -v "$T/big-loop.img" | grep -q "No problems found" && pass "loop device: sgdisk -v clean" ||
		fail "loop device: sgdisk -v clean" "$(sgdisk -v "$T/big-loop.img" | head -3)"
else
	fail "restore onto a larger loop device" "losetup failed"
fi

# e2fsck complains (an in-use inode marked free): not grown, data as restored.
make_disk "$T/src-bad.img" gpt -b 4096 || fail "make the damaged disk"
read -r off size < <(part2 "$T/src-bad.img")
debugfs -w -R "freei /dir/b.bin" "$T/src-bad.img?offset=$off" >/dev/null 2>&1
"$LIFEBOAT" backup "$T/src-bad.img" "$T/bad.qcow2" >/dev/null 2>&1 || fail "damaged backup" "exit $?"
truncate -s 200M "$T/big-bad.img"
out=$("$LIFEBOAT" restore "$T/bad.qcow2" "$T/big-bad.img" --yes --grow-last 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *"its ext4 filesystem was not grown"*"e2fsck -fn"* ]] &&
	pass "e2fsck complaint: restore succeeds, the line says not grown and why" ||
	fail "e2fsck complaint: restore succeeds, the line says not grown and why" "exit $rc: $(echo "$out" | grep -i partition | tail -2)"
cmp -s <(dd if="$T/src-bad.img" bs=512 skip=18432 count=$((size / 512)) status=none) \
       <(dd if="$T/big-bad.img" bs=512 skip=18432 count=$((size / 512)) status=none) &&
	pass "e2fsck complaint: the filesystem is byte for byte as restored" ||
	fail "e2fsck complaint: the filesystem is byte for byte as restored"
last=$(sgdisk -i2 "$T/big-bad.img" | awk '/Last sector/{print $3}')
[ "$last" = 409566 ] && pass "e2fsck complaint: the table entry is still grown" ||
	fail "e2fsck complaint: the table entry is still grown" "last sector $last"

# A stale free-blocks count in the superblock: e2fsck -fn calls it no
# error, e2fsck -fp corrects it (exit 1); the filesystem is grown and the
# line says what e2fsck -fp did.
make_disk "$T/src-cnt.img" gpt -b 4096 || fail "make the stale-count disk"
read -r off size < <(part2 "$T/src-cnt.img")
debugfs -w -R "ssv free_blocks_count 1234" "$T/src-cnt.img?offset=$off" >/dev/null 2>&1
"$LIFEBOAT" backup "$T/src-cnt.img" "$T/cnt.qcow2" >/dev/null 2>&1 || fail "stale-count backup" "exit $?"
truncate -s 300M "$T/big-cnt.img"
out=$("$LIFEBOAT" restore "$T/cnt.qcow2" "$T/big-cnt.img" --yes --grow-last 2>&1) || fail "stale-count restore" "exit $?"
[[ $out == *"e2fsck -fp corrected summary counts"* ]] &&
	pass "stale free count: the line says e2fsck -fp corrected it" ||
	fail "stale free count: the line says e2fsck -fp corrected it" "$(echo "$out" | grep -i partition | tail -1)"
check_grown "stale free count" "$T/big-cnt.img" "$out"

# resize2fs refuses: 1 KiB blocks without 64bit cannot pass 2^32 blocks (4 TiB).
make_disk "$T/src-32.img" gpt -b 1024 -O ^64bit || fail "make the 32-bit disk"
"$LIFEBOAT" backup "$T/src-32.img" "$T/b32.qcow2" >/dev/null 2>&1 || fail "32-bit backup" "exit $?"
truncate -s 4200G "$T/huge.img"
out=$("$LIFEBOAT" restore "$T/b32.qcow2" "$T/huge.img" --yes --grow-last 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *"its ext4 filesystem was not grown"*"resize2fs refused"*"32 bits"* ]] &&
	pass "resize2fs refuses: restore succeeds (exit 0), the line says not grown and resize2fs's reason" ||
	fail "resize2fs refuses: restore succeeds, the line says not grown and why" "exit $rc: $(echo "$out" | grep -i partition | tail -2)"
read -r off size < <(part2 "$T/huge.img")
sgdisk -v "$T/huge.img" | grep -q "No problems found" && [ "$size" -gt $((4 << 40)) ] &&
	pass "resize2fs refuses: the entry is grown past 4 TiB, sgdisk -v clean" ||
	fail "resize2fs refuses: the entry is grown, sgdisk -v clean" "size $size"
bc=$(dumpe2fs -h "$T/huge.img?offset=$off" 2>/dev/null | awk -F: '/^Block count/{gsub(/ /,"",$2); print $2}')
e2fsck -fn "$T/huge.img?offset=$off" >/dev/null 2>&1 && [ "$bc" = 55296 ] &&
	pass "resize2fs refuses: the filesystem keeps its 55296 blocks and is clean" ||
	fail "resize2fs refuses: the filesystem keeps its size and is clean" "block count $bc"

# NTFS through ntfs-3g's ntfsresize (when this host has it).
if have mkntfs && have ntfscp && have ntfscat && have ntfsfix && have ntfsresize; then
	rm -f "$T/src-ntfs.img"; truncate -s 64M "$T/src-ntfs.img"
	printf 'label: gpt\nstart=2048, size=16384\nstart=18432, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n' | sfdisk -q "$T/src-ntfs.img"
	read -r off size < <(part2 "$T/src-ntfs.img")
	rm -f "$T/pn.img"; truncate -s "$size" "$T/pn.img"
	mkntfs -F -Q -q -p $((off / 512)) -H 255 -S 63 "$T/pn.img" >/dev/null 2>&1
	ntfscp -f "$T/pn.img" "$T/files/dir/b.bin" b.bin >/dev/null 2>&1
	dd if="$T/pn.img" of="$T/src-ntfs.img" bs=512 seek=$((off / 512)) conv=notrunc status=none
	"$LIFEBOAT" backup "$T/src-ntfs.img" "$T/ntfs.qcow2" >/dev/null 2>&1 || fail "ntfs backup" "exit $?"
	truncate -s 300M "$T/big-ntfs.img"
	out=$("$LIFEBOAT" restore "$T/ntfs.qcow2" "$T/big-ntfs.img" --yes --grow-last 2>&1); rc=$?
	[ $rc = 0 ] && [[ $out == *"partition 2: entry grown from"*"its ntfs filesystem grown from"*ntfsresize* ]] &&
		pass "ntfs restore: the line says entry and filesystem grown (ntfsresize)" ||
		fail "ntfs restore: the line says entry and filesystem grown" "exit $rc: $(echo "$out" | grep -i partition | tail -2)"
	read -r off size < <(part2 "$T/big-ntfs.img")
	if attach_span "$T/big-ntfs.img" "$off" "$size"; then
		ntfsfix -n "$LOOP" >"$T/nfix.out" 2>&1 && grep -q "alternate boot sector... OK" "$T/nfix.out" &&
			pass "ntfs restore: ntfsfix -n clean, the alternate boot sector in the partition's last sector" ||
			fail "ntfs restore: ntfsfix -n clean" "$(tail -3 "$T/nfix.out")"
		vol=$(ntfsresize -i -f -P "$LOOP" 2>/dev/null | awk '/Current volume size/{print $4}')
		# the volume fills the partition up to one cluster, less the backup boot sector's sector
		[ -n "$vol" ] && [ "$vol" -le "$size" ] && [ "$vol" -gt $((size - 4096 - 1024)) ] &&
			pass "ntfs restore: the volume ($vol bytes) fills the $size-byte partition" ||
			fail "ntfs restore: the volume fills the partition" "volume '$vol', partition $size"
		cmp -s <(ntfscat -f "$LOOP" b.bin 2>/dev/null) "$T/files/dir/b.bin" &&
			pass "ntfs restore: the file's content is equal" || fail "ntfs restore: the file's content is equal"
	else
		fail "ntfs restore: a loop device over partition 2" "losetup failed"
	fi
	sgdisk -v "$T/big-ntfs.img" | grep -q "No problems found" && pass "ntfs restore: sgdisk -v clean" ||
		fail "ntfs restore: sgdisk -v clean" "$(sgdisk -v "$T/big-ntfs.img" | head -3)"
else
	skip "ntfs restore --grow-last" "needs ntfs-3g's mkntfs, ntfscp, ntfscat, ntfsfix, ntfsresize"
fi

# The ISO's own static builds (deps/build.sh, build/deps/musl/sbin) do the
# same when they come first on PATH: the line names them.
M=$TOP/build/deps/musl/sbin
if [ -x "$M/resize2fs" ] && [ -x "$M/e2fsck" ]; then
	truncate -s 300M "$T/big-musl.img"
	out=$(PATH="$M:$PATH" "$LIFEBOAT" restore "$T/gpt.qcow2" "$T/big-musl.img" --yes --grow-last 2>&1) ||
		fail "ISO's resize2fs: restore" "exit $?"
	[[ $out == *"$M/resize2fs)"* ]] && pass "ISO's static resize2fs and e2fsck ran (the line names them)" ||
		fail "ISO's static resize2fs and e2fsck ran" "$(echo "$out" | grep -i partition | tail -1)"
	check_grown "gpt restore with the ISO's resize2fs" "$T/big-musl.img" "$out"
else
	skip "the ISO's static resize2fs" "not built (make deps)"
fi
if [ -x "$M/ntfsresize" ] && [ -f "$T/ntfs.qcow2" ]; then
	truncate -s 300M "$T/big-ntfs2.img"
	out=$(PATH="$M:$PATH" "$LIFEBOAT" restore "$T/ntfs.qcow2" "$T/big-ntfs2.img" --yes --grow-last 2>&1) ||
		fail "ISO's ntfsresize: restore" "exit $?"
	[[ $out == *"its ntfs filesystem grown"*"$M/ntfsresize)"* ]] && pass "ISO's static ntfsresize grew the NTFS volume" ||
		fail "ISO's static ntfsresize grew the NTFS volume" "$(echo "$out" | grep -i partition | tail -1)"
	read -r off size < <(part2 "$T/big-ntfs2.img")
	if attach_span "$T/big-ntfs2.img" "$off" "$size"; then
		ntfsfix -n "$LOOP" >"$T/nfix.out" 2>&1 && grep -q "alternate boot sector... OK" "$T/nfix.out" &&
			cmp -s <(ntfscat -f "$LOOP" b.bin 2>/dev/null) "$T/files/dir/b.bin" &&
			pass "ISO's ntfsresize: ntfsfix -n clean, the file's content equal" ||
			fail "ISO's ntfsresize: ntfsfix -n clean, the file's content equal" "$(tail -2 "$T/nfix.out")"
	fi
else
	skip "the ISO's static ntfsresize" "not built (make deps) or no NTFS case"
fi
