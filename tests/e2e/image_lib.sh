# tests/e2e/image_lib.sh — helpers for the image tests (t_image_*.sh);
# sourced after tests/lib.sh, not a test itself.

# qcheck NAME IMAGE: qemu-img check finds no errors and no leaks.
qcheck() {
	local out
	if ! have qemu-img; then skip "$1" "qemu-img not installed"; return; fi
	if out=$(qemu-img check "$2" 2>&1) && grep -q "No errors were found" <<<"$out" &&
	   ! grep -qi "leak" <<<"$out"; then pass "$1"; else fail "$1" "$(echo "$out" | head -3 | tr '\n' ' ')"; fi
}
# qcompare NAME IMAGE RAW: qemu-img compare says identical.
qcompare() {
	local out
	if ! have qemu-img; then skip "$1" "qemu-img not installed"; return; fi
	if out=$(qemu-img compare -f qcow2 -F raw "$2" "$3" 2>&1); then pass "$1"; else fail "$1" "$out"; fi
}
# expect_rc NAME WANT CMD...: CMD exits with WANT; its stderr is kept in $T/err.
expect_rc() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" = "$want" ]; then pass "$name"; else fail "$name" "exit $rc, wanted $want: $(tail -2 "$T/err" | tr '\n' ' ')"; fi
}
# says NAME WORDS: the last command's stderr ($T/err) contains WORDS.
says() {
	if grep -qi -- "$2" "$T/err"; then pass "$1"; else fail "$1" "stderr lacks '$2': $(tail -2 "$T/err" | tr '\n' ' ')"; fi
}
# make_mbr_disk FILE: 48 MiB MBR disk, FAT16 + ext4 with real files.
make_mbr_disk() {
	local f=$1 p
	rm -f "$f"; truncate -s 48M "$f"
	printf 'label: dos\nstart=2048, size=16384, type=6\nstart=18432, type=83\n' | sfdisk -q "$f" >/dev/null || return 1
	mkfs.vfat -C "$T/.mbr_fat" 8192 >/dev/null 2>&1 && mcopy -i "$T/.mbr_fat" "$TOP/Makefile" ::/MAKEFILE || return 1
	mkfs.ext4 -q -F -d "$TOP/tests" "$T/.mbr_ext" 30M >/dev/null 2>&1 || return 1
	dd if="$T/.mbr_fat" of="$f" bs=512 seek=2048 conv=notrunc status=none &&
	dd if="$T/.mbr_ext" of="$f" bs=512 seek=18432 conv=notrunc status=none
	rm -f "$T/.mbr_fat" "$T/.mbr_ext"
}
