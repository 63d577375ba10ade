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
