#!/usr/bin/env bash
# tests/boot/t_list.sh — `lifeboat list --json` inside the booted ISO sees
# a disk on every transport the live system carries drivers for, each with
# its exact size in bytes: virtio, NVMe, SATA (AHCI) and USB (usb-storage
# on xHCI), plus the ISO itself as the medium.  Sizes differ per disk so a
# mix-up shows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/bootlib.sh"
why=$(boot_skip_reason)
if [ -n "$why" ]; then skip "list shows every transport" "$why"; exit 0; fi
for d in virtio:32 nvme:48 sata:64 usb:80; do truncate -s "${d#*:}M" "$T/${d%:*}.img"; done
VM_APPEND='lifeboat.job="list --json"' vm_start list seabios kernel \
	-drive file="$T/virtio.img",if=virtio,format=raw \
	-drive file="$T/nvme.img",if=none,id=nv,format=raw -device nvme,drive=nv,serial=lbnvme \
	-device ahci,id=ahci -drive file="$T/sata.img",if=none,id=sata,format=raw -device ide-hd,drive=sata,bus=ahci.0 \
	-device qemu-xhci,id=xhci -drive file="$T/usb.img",if=none,id=usb,format=raw -device usb-storage,bus=xhci.0,drive=usb
if ! vm_wait list 'LIFEBOAT-JOB: (OK|FAILED)' 600; then
	fail "list shows every transport" "no job verdict: $(vm_tail list 5)"; exit 0
fi
# The JSON is what lifeboat printed between the job's "running" line and its verdict.
tr -d '\r' <"$T/list.serial" | sed -n '/lifeboat-job: running: lifeboat list --json/,/LIFEBOAT-JOB:/p' |
	sed '1d;$d' >"$T/list.json"
out=$(python3 - "$T/list.json" <<'PY'
import json, sys
want = {"virtio": 32, "nvme": 48, "sata": 64, "usb": 80}
doc = json.load(open(sys.argv[1]))
devs = doc["devices"] if isinstance(doc, dict) else doc
bad = []
for tr, mib in want.items():
    hits = [d for d in devs if d.get("transport") == tr and d.get("size") == mib << 20]
    if len(hits) != 1:
        seen = [(d.get("name"), d.get("transport"), d.get("size")) for d in devs]
        bad.append(f"{tr} disk of {mib << 20} bytes: found {len(hits)} (devices: {seen})")
print("; ".join(bad))
PY
) || out="cannot read the JSON: $(head -c 300 "$T/list.json")"
if [ -z "$out" ]; then pass "list shows virtio, NVMe, SATA and USB disks with exact sizes"; else fail "list shows every transport" "$out"; fi
