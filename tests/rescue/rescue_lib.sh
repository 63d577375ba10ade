# tests/rescue/rescue_lib.sh — helpers shared by the rescue tests (sourced
# after tests/lib.sh; not a test itself).  Sizes are in 512-byte sectors.

# mkdisk FILE SECTORS: random bytes with an MBR of two partitions whose
# boundary is at sector 14336.
mkdisk() {
	local f=$1 n=$2
	head -c $((n * 512)) /dev/urandom >"$f"
	printf 'label: dos\nstart=2048, size=12288, type=83\nstart=14336, type=83\n' |
		sfdisk -q "$f" >/dev/null
}

# badmap OUT "START:COUNT ..." : a ddrescue mapfile marking those sectors
# bad ('-'), for the fault backend (LIFEBOAT_FAULT_MAP).
badmap() {
	local out=$1 r
	echo "0 ? 1" >"$out"
	for r in $2; do
		printf '0x%x 0x%x -\n' $((${r%%:*} * 512)) $((${r##*:} * 512)) >>"$out"
	done
}

# expected SRC OUT "START:COUNT ...": SRC with those sectors zeroed.
expected() {
	local r
	cp "$1" "$2"
	for r in $3; do
		dd if=/dev/zero of="$2" bs=512 seek=${r%%:*} count=${r##*:} \
			conv=notrunc status=none
	done
}

# bad_sectors MAPFILE: "first-last" sector ranges with status '-', merged,
# one per line (ddrescuelog's view of the map).
bad_sectors() {
	local p s st
	grep -v '^#' "$1" | sed 1d | while read -r p s st _; do
		[ "$st" = - ] && echo "$((p / 512))-$((p / 512 + s / 512 - 1))"
	done
}

# ranges_of "START:COUNT ...": the same ranges as bad_sectors prints them,
# merged where they touch.
ranges_of() {
	local r
	for r in $1; do echo "${r%%:*} ${r##*:}"; done | sort -n | awk '
		{ s = $1; e = $1 + $2 - 1
		  if (n && s <= pe + 1) { if (e > pe) pe = e; next }
		  if (n) print ps "-" pe; ps = s; pe = e; n = 1 }
		END { if (n) print ps "-" pe }'
}

# raw_of IMAGE OUT: the virtual disk of IMAGE as a raw file (qemu-img).
raw_of() { qemu-img convert -O raw "$1" "$2"; }

# nbd_why: why the nbdkit/nbdfuse tests cannot run here, or "" when they can.
nbd_why() {
	need_root || { echo "needs root (/dev/fuse is root-only here)"; return; }
	have nbdkit || { echo "nbdkit not installed"; return; }
	have nbdfuse || { echo "nbdfuse not installed"; return; }
	[ -e /dev/fuse ] || { echo "no /dev/fuse"; return; }
	[ -e /usr/lib/x86_64-linux-gnu/nbdkit/filters/nbdkit-ddrescue-filter.so ] ||
		nbdkit --dump-plugin null --filter=ddrescue >/dev/null 2>&1 ||
		{ echo "nbdkit has no ddrescue filter"; return; }
	echo ""
}

# okmap BADMAP OUT SIZE: the mapfile nbdkit's ddrescue filter wants (it
# fails reads of every area NOT marked finished): '+' everywhere except
# the '-' blocks of BADMAP (sorted, non-overlapping).
okmap() {
	local bad=$1 out=$2 size=$3 pos=0 p s st
	echo "0 + 1" >"$out"
	while read -r p s st; do
		[ "$st" = - ] && [ $((p + s)) -gt $pos ] || continue
		[ $p -lt $pos ] && { s=$((p + s - pos)); p=$pos; }     # overlap
		[ $p -gt $pos ] && printf '0x%x 0x%x +\n' $pos $((p - pos)) >>"$out"
		printf '0x%x 0x%x -\n' $p $s >>"$out"
		pos=$((p + s))
	done < <(sed 1d "$bad" | while read -r p s st; do
			echo "$((p)) $((s)) $st"; done | sort -n -k1,1)
	[ $pos -lt $size ] && printf '0x%x 0x%x +\n' $pos $((size - pos)) >>"$out"
}

# nbd_up DIR DISK OKMAP [FILTERS [PARAMS]]: serves DISK through nbdkit's
# ddrescue filter (and FILTERS, e.g. "--filter=delay", with their PARAMS,
# e.g. "rdelay=2ms") as the file DIR/disk via nbdfuse, in the background;
# sets NBD_PID.  nbd_down DIR ends it.
nbd_up() {
	local dir=$1 disk=$2 map=$3 i
	mkdir -p "$dir"
	# shellcheck disable=SC2086
	nbdfuse "$dir/disk" --command nbdkit -s ${4:-} --filter=ddrescue \
		file "$disk" ddrescue-mapfile="$map" ${5:-} 2>>"$dir.log" &
	NBD_PID=$!
	for i in $(seq 1 100); do [ -e "$dir/disk" ] && return 0; sleep 0.05; done
	return 1
}
nbd_down() {
	kill "$NBD_PID" 2>/dev/null
	fusermount3 -u "$1" 2>/dev/null || umount -l "$1" 2>/dev/null
	wait "$NBD_PID" 2>/dev/null
	return 0
}

# be64 FILE OFFSET: the big-endian 64-bit number at OFFSET.
be64() { echo $((16#$(od -An -tx1 -N8 -j "$2" "$1" | tr -d ' \n'))); }

# stored_map PART OUT: the map the last checkpoint stored in the image
# (LBOT extension at byte 120: rescue_map_offset at +288, length at +296).
stored_map() {
	local off len
	off=$(be64 "$1" $((120 + 288)))
	len=$(be64 "$1" $((120 + 296)))
	[ "$len" -gt 0 ] && tail -c +$((off + 1)) "$1" | head -c "$len" >"$2"
}

# finished_match RAW MAP DISK: every '+' block of MAP is equal in RAW and
# DISK; prints the bytes compared.
finished_match() {
	local p s st n=0
	while read -r p s st _; do
		[ "$st" = + ] || continue
		cmp -s -i $((p)):$((p)) -n $((s)) "$1" "$3" || return 1
		n=$((n + s))
	done < <(grep -v '^#' "$2" | sed 1d)
	echo $n
}
