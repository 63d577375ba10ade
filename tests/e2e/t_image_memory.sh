#!/usr/bin/env bash
# Memory does not grow with the disk: backing up, verifying and restoring
# a 16 GiB sparse source (with some data in the middle) stays under 64 MiB
# peak RSS, as for a 1 GiB one (GNU time's %M, in KiB).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/image_lib.sh"
L=$LIFEBOAT
[ -x /usr/bin/time ] || { skip "peak memory" "GNU time (/usr/bin/time) not installed"; exit 0; }
for g in 1 16; do
	truncate -s ${g}G "$T/s$g.img"
	head -c 8M /dev/urandom | dd of="$T/s$g.img" bs=1M seek=$((g * 300)) conv=notrunc status=none
	for job in backup verify restore; do
		case $job in
		backup) cmd=("$L" backup "$T/s$g.img" "$T/s$g.qcow2" --raw);;
		verify) cmd=("$L" verify "$T/s$g.qcow2");;
		restore) cmd=("$L" restore "$T/s$g.qcow2" "$T/o$g.img" --yes);;
		esac
		if /usr/bin/time -o "$T/rss" -f %M "${cmd[@]}" >/dev/null 2>"$T/err"; then
			kb=$(tail -1 "$T/rss")
			if [ "$kb" -lt 65536 ]; then pass "$job of a $g GiB sparse disk: peak RSS $((kb / 1024)) MiB < 64 MiB"
			else fail "$job of a $g GiB sparse disk: peak RSS under 64 MiB" "$((kb / 1024)) MiB"; fi
		else
			fail "$job of a $g GiB sparse disk" "$(tail -1 "$T/err")"
		fi
	done
	# (restore itself checks the SHA-256 of what it wrote; cmp only the small one)
	[ $g = 1 ] && same_bytes "$g GiB sparse disk restored identical" "$T/s$g.img" "$T/o$g.img"
	rm -f "$T/o$g.img" "$T/s$g.qcow2"
done
