#!/usr/bin/env bash
# t_confirm_size.sh — the question before a restore or clone names the
# bytes that will really be written: on a target smaller than the image
# (a --length span, a smaller loop disk) whose partitions still fit, the
# part that fits, not the whole image; sizes in words follow the one rule
# (a file of 1 GiB - 512 bytes is "1.00 GiB", never "1024 MiB").  A wrong
# name is typed, so nothing is written.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

have script || { skip "the question names what will be written" "script(1) missing"; exit 0; }
have sfdisk || { skip "the question names what will be written" "sfdisk missing"; exit 0; }
# ask ARGS...: lifeboat ARGS on a pty, "nope" typed; its output.
ask() { printf 'nope\n' | script -qec "$LIFEBOAT $*" /dev/null 2>&1 | tr -d '\r'; }

# a 32 MiB MBR disk whose one partition ends at 9 MiB
truncate -s 32M "$T/d.img"
printf 'label: dos\nstart=2048, size=16384, type=83\n' | sfdisk -q "$T/d.img"
dd if=/dev/urandom of="$T/d.img" bs=1M seek=1 count=8 conv=notrunc status=none
"$LIFEBOAT" backup "$T/d.img" "$T/d.qcow2" --raw >/dev/null 2>&1 ||
	{ fail "backup of the test disk" "backup failed"; exit 0; }
head -c 24M /dev/zero >"$T/t.img"
sha=$(sha256sum <"$T/t.img")

out=$(ask restore "$T/d.qcow2" "$T/t.img" --length 20M)
if [[ $out == *"with 20.0 MiB of data"* && $out != *"32.0 MiB of data"* && $out == *"not confirmed"* ]]; then
	pass "restore into a smaller --length span asks about the 20.0 MiB it writes"
else
	fail "restore into a smaller --length span asks about the 20.0 MiB it writes" "$out"
fi
out=$(ask clone "$T/d.img" "$T/t.img" --length 20M)
[[ $out == *"with 20.0 MiB of data"* && $out == *"not confirmed"* ]] &&
	pass "clone into a smaller --length span asks about the 20.0 MiB it writes" ||
	fail "clone into a smaller --length span asks about the 20.0 MiB it writes" "$out"
out=$(ask restore "$T/d.qcow2" "$T/t.img")
[[ $out == *"with 32.0 MiB of data"* ]] &&
	pass "control: a target that holds the image is asked about all 32.0 MiB" ||
	fail "control: a target that holds the image is asked about all 32.0 MiB" "$out"
[ "$(sha256sum <"$T/t.img")" = "$sha" ] && pass "nothing was written without the name" ||
	fail "nothing was written without the name"

truncate -s $(( (1 << 30) - 512 )) "$T/big.img"
out=$(ask restore "$T/d.qcow2" "$T/big.img")
[[ $out == *"(a file of 1.00 GiB)"* && $out != *"1024 MiB"* ]] &&
	pass "a file of 1 GiB - 512 bytes is described as 1.00 GiB, not 1024 MiB" ||
	fail "a file of 1 GiB - 512 bytes is described as 1.00 GiB, not 1024 MiB" "$out"

if ! have_loop; then
	skip "restore onto a smaller loop disk asks about what fits" "needs root and working loop devices (losetup)"
	exit 0
fi
truncate -s 16M "$T/small.img"
if attach "$T/small.img"; then
	out=$(ask restore "$T/d.qcow2" "$LOOP")
	[[ $out == *"with 16.0 MiB of data"* && $out == *"not confirmed"* ]] &&
		pass "restore onto a smaller loop disk asks about the 16.0 MiB it writes" ||
		fail "restore onto a smaller loop disk asks about the 16.0 MiB it writes" "$out"
	# and the real restore then writes exactly that (the done line's bytes)
	out=$("$LIFEBOAT" restore "$T/d.qcow2" "$LOOP" --yes 2>&1)
	[[ $out == *"16777216 bytes"* || $out == *"16.0 MiB"* ]] && cmp -s -n $((9 << 20)) "$T/d.img" "$LOOP" &&
		pass "the restore onto the smaller loop disk writes the 16.0 MiB it asked about" ||
		fail "the restore onto the smaller loop disk writes the 16.0 MiB it asked about" "$out"
else
	skip "restore onto a smaller loop disk asks about what fits" "losetup failed"
fi
