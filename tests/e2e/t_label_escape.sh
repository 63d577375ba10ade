#!/usr/bin/env bash
# t_label_escape.sh — trial 2 F16: strings read from a disk are printed
# with control bytes and invalid UTF-8 escaped ("\x1b"), so a filesystem
# label cannot clear the terminal or set its title.  An ext4 file labelled
# ESC[2J ESC]0;PWN BEL: `probe` (and with root and a loop device, `list`)
# show the label as \x1b[2J\x1b]0;PWN\x07 and print no ESC or BEL byte; a
# label with a byte that is not UTF-8 (0xff) shows as \xff; a plain UTF-8
# label is printed unchanged.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/disks_b.sh"

have mkfs.ext4 || { skip "label escaping" "needs mkfs.ext4"; exit 0; }
truncate -s 16M "$T/esc.img" "$T/ff.img" "$T/ok.img"
mkfs.ext4 -q -F -L $'\e[2J\e]0;PWN\a' "$T/esc.img" >/dev/null 2>&1 &&
	mkfs.ext4 -q -F -L $'ab\xffcd' "$T/ff.img" >/dev/null 2>&1 &&
	mkfs.ext4 -q -F -L 'Grüße' "$T/ok.img" >/dev/null 2>&1 ||
	{ skip "label escaping" "mkfs.ext4 refused the labels"; exit 0; }

# clean NAME OUTPUT: no ESC, BEL or other C0 byte but newline and tab
clean() { ! printf '%s' "$2" | tr -d '\n\t' | LC_ALL=C grep -q '[[:cntrl:]]'; }
out=$("$LIFEBOAT" probe "$T/esc.img" 2>&1); rc=$?
if [ $rc = 0 ] && clean x "$out" && [[ $out == *'label "\x1b[2J\x1b]0;PWN\x07"'* ]]; then
	pass "probe escapes ESC and BEL in a label"
else fail "probe escapes ESC and BEL in a label" "exit $rc: $(echo "$out" | grep label | cat -v)"; fi
out=$("$LIFEBOAT" probe "$T/ff.img" 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *'label "ab\xffcd"'* ]] && pass "probe escapes a byte that is not UTF-8" ||
	fail "probe escapes a byte that is not UTF-8" "exit $rc: $(echo "$out" | grep label | cat -v)"
out=$("$LIFEBOAT" probe "$T/ok.img" 2>&1); rc=$?
[ $rc = 0 ] && [[ $out == *'label "Grüße"'* ]] && pass "probe prints a UTF-8 label unchanged" ||
	fail "probe prints a UTF-8 label unchanged" "exit $rc: $(echo "$out" | grep label)"

if ! have_loop; then
	skip "list escapes labels" "needs root and working loop devices (losetup)"
	exit 0
fi
L=$(losetup -r -f --show "$T/esc.img" 2>/dev/null) || { skip "list escapes labels" "losetup failed"; exit 0; }
on_exit "losetup -d $L"
out=$("$LIFEBOAT" list 2>&1); rc=$?
line=$(echo "$out" | grep -A3 "^$L " | grep label)
if [ $rc = 0 ] && clean x "$out" && [[ $line == *'\x1b[2J\x1b]0;PWN\x07'* ]]; then pass "list escapes ESC and BEL in a label"
else fail "list escapes ESC and BEL in a label" "exit $rc: $(echo "$out" | grep -A3 "^$L " | cat -v)"; fi
