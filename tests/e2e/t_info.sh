#!/usr/bin/env bash
# t_info.sh — `lifeboat info` in words a person reads: the creation time
# as an ISO 8601 UTC date and time (seconds since 1970 stay in --json), the
# source's model and serial only when they are known (a file has neither:
# no "-" placeholder), and an image made by another tool says it has no
# Lifeboat metadata.  Per-partition modes are checked in tests/pt.
. "$(dirname "$0")/../lib.sh"

head -c 3M /dev/urandom >"$T/src.img"; truncate -s 8M "$T/src.img"
if ! SOURCE_DATE_EPOCH=1795999267 "$LIFEBOAT" backup "$T/src.img" "$T/img.qcow2" >/dev/null 2>&1; then
	fail "backup for info" "lifeboat backup failed"; exit 0
fi
out=$("$LIFEBOAT" info "$T/img.qcow2" 2>&1); rc=$?
check "info exits 0" [ $rc = 0 ]
if grep -q "^created: *2026-11-30 00:41:07 UTC by lifeboat " <<<"$out"; then
	pass "info shows the creation time as ISO 8601 UTC"
else fail "info shows the creation time as ISO 8601 UTC" "$(grep created <<<"$out")"; fi
src=$(grep "^source:" <<<"$out")
if [[ $src =~ ^source:\ +8388608\ bytes\ \(8\.00\ MiB\),\ sectors\ 512\ logical\ /\ [0-9]+\ physical$ ]]; then
	pass "info of a file source shows no unknown model or serial placeholder"
else fail "info of a file source shows no unknown model or serial placeholder" "$src"; fi
json=$("$LIFEBOAT" info --json "$T/img.qcow2" 2>&1)
if grep -q '"created": 1795999267,' <<<"$json" && python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$json"; then
	pass "info --json keeps seconds since 1970 and is valid JSON"
else fail "info --json keeps seconds since 1970 and is valid JSON" "$(grep created <<<"$json")"; fi
if have qemu-img; then
	qemu-img convert -O qcow2 -c "$T/src.img" "$T/q.qcow2"
	out=$("$LIFEBOAT" info "$T/q.qcow2" 2>&1)
	if grep -q "metadata: *none (not made by Lifeboat)" <<<"$out" && ! grep -q "^created" <<<"$out"; then
		pass "info of a qemu-img image says it has no Lifeboat metadata"
	else fail "info of a qemu-img image says it has no Lifeboat metadata" "$out"; fi
else skip "info of a qemu-img image" "qemu-img missing"; fi

# A hostile image's text (here the source model) never reaches the
# terminal as control characters: an ESC in the LBOT model is shown as
# \x1b (lb_text_escape, as list and probe show it), so is one in the
# image's own name.
cp "$T/img.qcow2" "$T/evil.qcow2"
python3 - "$T/evil.qcow2" <<'PY'
import sys
f = open(sys.argv[1], 'r+b'); b = f.read(65536)
at = b.index(b'LBOT', 72) + 8 + 32          # extension data, model field
f.seek(at); f.write(b'\x1b[2JEVIL\x07\x00'); f.close()
PY
out=$("$LIFEBOAT" info "$T/evil.qcow2" 2>&1)
if grep -qF 'source:         \x1b[2JEVIL\x07, ' <<<"$out" && ! grep -q $'\x1b' <<<"$out"; then
	pass "info shows control characters from an image escaped as \\xNN"
else fail "info shows control characters from an image escaped as \\xNN" "$(grep source <<<"$out" | cat -v)"; fi
cp "$T/img.qcow2" "$T/"$'a\x1b[2Jb.qcow2'
out=$("$LIFEBOAT" info "$T/"$'a\x1b[2Jb.qcow2' 2>&1)
if grep -qF 'a\x1b[2Jb.qcow2' <<<"$out" && ! grep -q $'\x1b' <<<"$out"; then
	pass "info escapes an ESC in the image's name"
else fail "info escapes an ESC in the image's name" "$(grep image <<<"$out" | cat -v)"; fi
