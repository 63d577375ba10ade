#!/bin/sh
# deps/apt.sh — fetches the third-party parts of the ISO from Debian's
# archive through a private apt state under build/, never touching the
# host's apt configuration, and checks them against deps/lock.
#
#   deps/apt.sh fetch DLDIR    download everything deps/lock names into DLDIR
#                              and verify each file's sha256 (fails on mismatch)
#   deps/apt.sh relock         resolve the newest versions in the archive and
#                              rewrite deps/lock (run by hand, then commit)
#
# Binary packages come from Debian 13 (trixie): the signed kernel, shim,
# GRUB, isolinux, syslinux modules and the kernel's uapi headers.  Source
# packages come from Debian 12 (bookworm), the same versions the host build
# links against.  A source package is trusted through its .dsc, whose
# sha256 is in the lock; dpkg-source then checks the tarballs the .dsc names.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
st=${APT_STATE:-$top/build/apt}
lock=$top/deps/lock
mkdir -p "$st/lists/partial" "$st/cache/archives/partial"
cat >"$st/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
SRC
opts="-q -o Dir::Etc::SourceList=$st/sources.list -o Dir::Etc::SourceParts=/dev/null
 -o Dir::State::Lists=$st/lists -o Dir::Cache=$st/cache -o Dir::State::status=/dev/null
 -o APT::Sandbox::User=root -o Acquire::Retries=3"
# Binary packages: the kernel's name is resolved from linux-image-amd64.
DEBS="KERNEL linux-libc-dev shim-signed grub-efi-amd64-signed isolinux syslinux-common"
SRCS="zlib libzstd nettle xxhash ncurses busybox util-linux e2fsprogs ntfs-3g"

update() {
	# Refresh the package lists at most once per build tree (stamp file).
	[ -e "$st/updated" ] && [ "${1:-}" != force ] && return 0
	apt-get $opts update >"$st/update.log" 2>&1 || { tail -5 "$st/update.log"; exit 1; }
	touch "$st/updated"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

relock() {
	update force
	kernel=$(apt-cache $opts depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1)
	[ -n "$kernel" ] || { echo "relock: cannot resolve linux-image-amd64" >&2; exit 1; }
	tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
	{
		echo "# deps/lock — exact Debian versions and sha256 of every file the ISO build"
		echo "# downloads.  Rewritten by 'deps/apt.sh relock'; checked on every fetch."
		echo "# kind package version sha256 file"
		for p in $DEBS; do
			[ "$p" = KERNEL ] && p=$kernel
			v=$(apt-cache $opts show "$p" | sed -n 's/^Version: //p' | head -1)
			(cd "$tmp" && apt-get $opts download "$p=$v" >/dev/null)
			f=$(ls "$tmp"/*.deb); echo "deb $p $v $(sha "$f") $(basename "$f")"; rm -f "$f"
		done
		for p in $SRCS; do
			v=$(apt-cache $opts showsrc "$p" | sed -n 's/^Version: //p' | head -1)
			(cd "$tmp" && apt-get $opts source --download-only "$p=$v" >/dev/null)
			f=$(ls "$tmp"/*.dsc); echo "src $p $v $(sha "$f") $(basename "$f")"; rm -f "$tmp"/*
		done
	} >"$lock.new"
	mv "$lock.new" "$lock"; echo "wrote $lock"
}

# fetch_one KIND PKG VERSION SHA FILE DIR: download unless present, then verify.
fetch_one() {
	kind=$1 p=$2 v=$3 want=$4 f=$5 dir=$6
	if [ ! -e "$dir/$f" ] || [ "$(sha "$dir/$f")" != "$want" ]; then
		update
		rm -f "$dir/$f"
		if [ "$kind" = deb ]; then
			(cd "$dir" && apt-get $opts download "$p=$v") >"$dir/$p.log" 2>&1
		else
			(cd "$dir" && apt-get $opts source --download-only "$p=$v") >"$dir/$p.log" 2>&1
		fi || { tail -3 "$dir/$p.log"; echo "deps: cannot download $p=$v (pinned in deps/lock); if the archive moved on, run 'deps/apt.sh relock'" >&2; exit 1; }
	fi
	got=$(sha "$dir/$f")
	if [ "$got" != "$want" ]; then
		echo "deps: CHECKSUM MISMATCH for $dir/$f" >&2
		echo "      deps/lock says $want, the file has $got" >&2
		exit 1
	fi
}

fetch() {
	dir=$1; mkdir -p "$dir"
	grep -v '^#' "$lock" | while read -r kind p v want f; do
		[ -n "$kind" ] || continue
		fetch_one "$kind" "$p" "$v" "$want" "$f" "$dir"
	done
	echo "deps: all files in deps/lock present and verified"
}

case ${1:-} in
	fetch) fetch "${2:?DLDIR}";;
	relock) relock;;
	update) update force;;
	*) echo "usage: $0 fetch DLDIR | relock | update" >&2; exit 2;;
esac
