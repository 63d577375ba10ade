# Third-party parts of the ISO, from Debian's archive at the versions and
# sha256 sums pinned in deps/lock (see deps/apt.sh and deps/build.sh).
#
#   make deps          fetch, verify and build everything below
#   make deps-relock   re-resolve the newest archive versions into deps/lock
#   make musl          the static lifeboat, build/musl/lifeboat
#
# Each part has a stamp under build/deps/stamp; a part is rebuilt when its
# line in deps/lock or deps/build.sh changes.  The static lifeboat compiles
# the same sources as the host build and links the libraries that
# mk/config.mk's HOST_LIBS and HOST_TUI_LIBS name, plus the static-only
# dependencies they pull in (MUSL_EXTRA_LIBS).
DEPS_DIR   := $(B)/deps
DEPS_STAMP := $(DEPS_DIR)/stamp
DEPS_MUSL  := $(DEPS_DIR)/musl
DEPS_UAPI  := $(DEPS_DIR)/debs/linux-libc-dev/usr/include
DEPS_LIBS  := zlib libzstd nettle xxhash ncurses util-linux e2fsprogs
DEPS_ALL   := debs busybox $(DEPS_LIBS) ntfs-3g
# Programs for the ISO only (not linked into lifeboat): e2fsprogs also
# builds e2fsck and resize2fs, ntfs-3g builds ntfsresize (--grow-last).
DEPS_TOOLS_STAMPS := $(DEPS_STAMP)/built-e2fsprogs $(DEPS_STAMP)/built-ntfs-3g
# libfdisk and libblkid need libuuid when linked statically.
MUSL_EXTRA_LIBS := -luuid
MUSL_CC    := musl-gcc
MUSL_CPPFLAGS := -include deps/musl-compat.h -isystem $(DEPS_MUSL)/include -isystem $(DEPS_UAPI) -isystem $(DEPS_UAPI)/x86_64-linux-gnu

# Everything deps/lock names, downloaded and checked (apt-get runs only
# when a file is missing or its checksum is wrong).
$(DEPS_STAMP)/fetched: deps/lock deps/apt.sh | $(HOST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	B=$(B) deps/apt.sh fetch $(DEPS_DIR)/dl
	@touch $@

# One file per part holding its lock line, rewritten only when it changes,
# so that a new pin rebuilds that part alone.
$(DEPS_STAMP)/lock-%: deps/lock
	@mkdir -p $(dir $@)
	@if [ "$*" = debs ]; then grep '^deb ' deps/lock; else grep "^src $* " deps/lock; fi >$@.new; \
	 if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(DEPS_STAMP)/built-%: $(DEPS_STAMP)/lock-% $(DEPS_STAMP)/fetched deps/build.sh
	B=$(B) JOBS=$(JOBS) deps/build.sh $*
	@touch $@

# Build order: the uapi headers come from the debs; e2fsprogs links
# util-linux's libuuid.
$(addprefix $(DEPS_STAMP)/built-,busybox util-linux e2fsprogs ntfs-3g): $(DEPS_STAMP)/built-debs
$(DEPS_STAMP)/built-e2fsprogs: $(DEPS_STAMP)/built-util-linux

DEPS_LIBS_STAMPS := $(addprefix $(DEPS_STAMP)/built-,debs $(DEPS_LIBS))
deps: $(addprefix $(DEPS_STAMP)/built-,$(DEPS_ALL))
deps-relock:
	deps/apt.sh relock
deps-clean:
	rm -rf $(DEPS_DIR)/stamp $(DEPS_DIR)/src $(DEPS_DIR)/musl $(DEPS_DIR)/busybox $(DEPS_DIR)/debs
.PHONY: deps deps-relock deps-clean

# The static musl lifeboat: the same sources as build/host/lifeboat.
$(B)/musl/%.o: %.c $(IMAGER_HDR) deps/musl-compat.h $(DEPS_LIBS_STAMPS)
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(CPPFLAGS) $(MUSL_CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

MUSL_OBJS := $(patsubst %.c,$(B)/musl/%.o,$(IMAGER_LIB_SRC) $(IMAGER_CLI_SRC) $(TUI_SRC))
# -z stack-size: musl gives every thread this stack (its PT_GNU_STACK size,
# up to 8 MiB) instead of 128 KiB; glibc's default, which the engine's
# frames are written for (the TUI runs jobs on a thread).
$(B)/musl/lifeboat: $(MUSL_OBJS)
	$(MUSL_CC) -static $(CFLAGS) -Wl,-z,stack-size=8388608 -o $@ $^ -L$(DEPS_MUSL)/lib \
		-Wl,--start-group $(HOST_TUI_LIBS) $(HOST_LIBS) $(MUSL_EXTRA_LIBS) -Wl,--end-group

musl: $(B)/musl/lifeboat
.PHONY: musl

# The stamps are pattern-rule targets, which make would otherwise delete as
# intermediates (and then rebuild every part on the next run).
.PRECIOUS: $(DEPS_STAMP)/lock-% $(DEPS_STAMP)/built-%
