#!/bin/sh
# deps/build.sh — builds one third-party part of the ISO from the Debian
# files that deps/apt.sh fetched and verified.
#
#   deps/build.sh NAME     NAME is a source package from deps/lock (built
#                          static with musl-gcc into build/deps/musl) or
#                          "debs" (unpacks every binary package, never installs)
#
# Every library lands in one prefix, build/deps/musl/{include,lib}, which the
# static lifeboat links against.  BusyBox lands in build/deps/busybox/.  Each
# build starts from a fresh `dpkg-source -x` tree (Debian's patches applied;
# dpkg-source checks the tarballs against the .dsc, whose sha256 is locked).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}; case $B in /*) ;; *) B=$top/$B;; esac
D=$B/deps; DL=$D/dl; P=$D/musl; SRC=$D/src
JOBS=${JOBS:-2}
UAPI=$D/debs/linux-libc-dev/usr/include
export CC="musl-gcc" AR=ar RANLIB=ranlib
export PKG_CONFIG_LIBDIR=$P/lib/pkgconfig PKG_CONFIG_PATH=
# The kernel's uapi headers (<linux/*.h>, <asm/*.h>) that musl lacks.
UAPI_FLAGS="-isystem $UAPI -isystem $UAPI/x86_64-linux-gnu"
BASE_CFLAGS="-O2 -g0 -ffunction-sections -fdata-sections"

lockline() { grep -E "^(src|deb) $1 " "$top/deps/lock" || { echo "deps: $1 is not in deps/lock" >&2; exit 1; }; }

# unpack NAME: fresh source tree in $SRC/NAME; prints its path.
unpack() {
	set -- $(lockline "$1")
	rm -rf "$SRC/$2"; mkdir -p "$SRC"
	dpkg-source -x "$DL/$5" "$SRC/$2" >"$SRC/$2.unpack.log" 2>&1 ||
		{ tail -5 "$SRC/$2.unpack.log" >&2; exit 1; }
	# Patched autotools inputs must not send make off to rerun autotools
	# (not needed: no patch we build touches the libraries' build rules).
	(cd "$SRC/$2" && find . -name aclocal.m4 -exec touch {} + && sleep 1 &&
	 find . \( -name configure -o -name config.h.in \) -exec touch {} + && sleep 1 &&
	 find . -name Makefile.in -exec touch {} +)
	echo "$SRC/$2"
}

b_debs() {
	grep '^deb ' "$top/deps/lock" | while read -r kind p v sum f; do
		n=$p; case $p in linux-image-*) n=linux-image;; esac
		rm -rf "$D/debs/$n"; mkdir -p "$D/debs/$n"
		dpkg-deb -x "$DL/$f" "$D/debs/$n"
	done
}

b_zlib() {
	cd "$(unpack zlib)"
	CFLAGS="$BASE_CFLAGS" ./configure --static --prefix="$P" >log 2>&1
	make -j"$JOBS" libz.a >>log 2>&1
	mkdir -p "$P/lib" "$P/include"
	cp libz.a "$P/lib/"; cp zlib.h zconf.h "$P/include/"
}

b_libzstd() {
	cd "$(unpack libzstd)"
	make -C lib -j"$JOBS" CC="$CC" CFLAGS="$BASE_CFLAGS" libzstd.a-mt >log 2>&1
	mkdir -p "$P/lib" "$P/include"
	cp lib/libzstd.a "$P/lib/"; cp lib/zstd.h lib/zstd_errors.h lib/zdict.h "$P/include/"
}

b_nettle() {
	cd "$(unpack nettle)"
	CFLAGS="$BASE_CFLAGS" ./configure --prefix="$P" --libdir="$P/lib" --disable-shared --disable-openssl \
		--disable-documentation --disable-public-key --disable-assembler >log 2>&1
	make -j"$JOBS" libnettle.a >>log 2>&1
	make AUTOHEADER=true AUTOCONF=true install-headers install-static >>log 2>&1
}

b_xxhash() {
	cd "$(unpack xxhash)"
	make -j"$JOBS" CC="$CC" CFLAGS="$BASE_CFLAGS" libxxhash.a >log 2>&1
	mkdir -p "$P/lib" "$P/include"
	cp libxxhash.a "$P/lib/"; cp xxhash.h xxh3.h "$P/include/"
}

b_ncurses() {
	cd "$(unpack ncurses)"
	CFLAGS="$BASE_CFLAGS" ./configure --prefix="$P" --without-shared --without-cxx \
		--without-cxx-binding --without-ada --without-manpages --without-progs \
		--without-tests --without-debug --enable-widec --enable-overwrite \
		--disable-database --with-fallbacks=linux,vt100,vt220,xterm,xterm-256color,screen \
		--without-pkg-config >log 2>&1
	make -j"$JOBS" libs >>log 2>&1
	make install.libs >>log 2>&1
	ln -sfn . "$P/include/ncursesw"
}

b_util_linux() {
	cd "$(unpack util-linux)"
	CFLAGS="$BASE_CFLAGS $UAPI_FLAGS" ./configure --prefix="$P" --disable-all-programs \
		--enable-libblkid --enable-libfdisk --enable-libuuid --disable-shared \
		--enable-static --disable-nls --disable-bash-completion --disable-asciidoc \
		--without-systemd --without-udev --without-ncursesw --without-ncurses \
		--without-tinfo --without-readline --without-python --without-cap-ng \
		--without-selinux --without-audit --without-smack --without-btrfs \
		--without-libz --without-user >log 2>&1
	make -j"$JOBS" >>log 2>&1
	make install >>log 2>&1
}

# libext2fs for the engine, and two static programs for the ISO's
# /usr/sbin: resize2fs, which grows the ext2/3/4 filesystem of a partition
# that restore/clone --grow-last grew (imager/fs_grow.c), and e2fsck, which
# checks it first (resize2fs refuses a filesystem not checked since its
# last mount).  Both link only e2fsprogs' own libraries and util-linux's
# libblkid/libuuid from $P.
b_e2fsprogs() {
	cd "$(unpack e2fsprogs)"
	CFLAGS="$BASE_CFLAGS $UAPI_FLAGS -I$P/include" LDFLAGS="-L$P/lib -static -Wl,--gc-sections" \
	./configure --prefix="$P" --disable-nls --disable-elf-shlibs --disable-bsd-shlibs \
		--disable-libuuid --disable-libblkid --disable-fuse2fs --disable-uuidd \
		--disable-debugfs --disable-imager --disable-defrag \
		--disable-e2initrd-helper --disable-tls --without-libarchive >log 2>&1
	make -j"$JOBS" libs >>log 2>&1
	make -C lib/et install >>log 2>&1
	make -C lib/ext2fs install >>log 2>&1
	make -j"$JOBS" -C resize resize2fs >>log 2>&1
	make -j"$JOBS" -C e2fsck e2fsck >>log 2>&1
	mkdir -p "$P/sbin"
	for t in resize/resize2fs e2fsck/e2fsck; do
		if readelf -l "$t" | grep -q INTERP; then
			echo "deps: $t is not static" >&2; exit 1
		fi
		cp "$t" "$P/sbin/"; strip "$P/sbin/${t#*/}"
	done
}

# ntfsresize alone, static, for the ISO's /usr/sbin: restore/clone
# --grow-last grows an NTFS last partition with it (imager/fs_grow.c).
# Debian's source has no configure script (debian/rules runs
# dh_autoreconf); libtool needs -all-static at link time for a static
# program.  No FUSE driver, no crypto, no plugins.
b_ntfs_3g() {
	cd "$(unpack ntfs-3g)"
	autoreconf -fi >log 2>&1
	CFLAGS="$BASE_CFLAGS $UAPI_FLAGS -I$P/include" LDFLAGS="-L$P/lib" \
	./configure --disable-ntfs-3g --disable-shared --enable-static \
		--disable-crypto --disable-plugins --disable-mtab --disable-ldconfig \
		--without-uuid --without-hd >>log 2>&1
	make -j"$JOBS" -C libntfs-3g >>log 2>&1
	make -C ntfsprogs ntfsresize LDFLAGS="-L$P/lib -all-static" >>log 2>&1
	if readelf -l ntfsprogs/ntfsresize | grep -q INTERP; then
		echo "deps: ntfsresize is not static" >&2; exit 1
	fi
	mkdir -p "$P/sbin"; cp ntfsprogs/ntfsresize "$P/sbin/"; strip "$P/sbin/ntfsresize"
}

b_busybox() {
	cd "$(unpack busybox)"
	make defconfig >log 2>&1
	# Static; the full modprobe (reads depmod's modules.dep and
	# modules.alias, which coldplug by modalias needs); without tc: its CBQ
	# code needs uapi definitions that Linux 6.8 removed.
	sed -i -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
	       -e 's/^CONFIG_MODPROBE_SMALL=y/# CONFIG_MODPROBE_SMALL is not set/' \
	       -e 's/^# CONFIG_FEATURE_MODUTILS_ALIAS is not set/CONFIG_FEATURE_MODUTILS_ALIAS=y/' \
	       -e 's/^# CONFIG_FEATURE_MODUTILS_SYMBOLS is not set/CONFIG_FEATURE_MODUTILS_SYMBOLS=y/' \
	       -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' .config
	yes '' | make oldconfig >>log 2>&1
	grep -q '^CONFIG_FEATURE_MODUTILS_ALIAS=y' .config
	make -j"$JOBS" CC="$CC" HOSTCC=gcc EXTRA_CFLAGS="$UAPI_FLAGS" busybox >>log 2>&1
	mkdir -p "$D/busybox"; cp busybox "$D/busybox/busybox"
}

name=${1:?usage: deps/build.sh NAME}
f=b_$(echo "$name" | tr - _)
if ! type "$f" >/dev/null 2>&1; then echo "deps/build.sh: unknown part $name" >&2; exit 2; fi
echo "deps: building $name"
# set -e stays in force inside $f only when it is not called from a || list.
trap 'rc=$?; [ $rc = 0 ] || { tail -20 "$SRC/$name/log" >&2 2>/dev/null; echo "deps: $name failed (exit $rc); see $SRC/$name/log" >&2; }' EXIT
"$f"
