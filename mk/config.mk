# Build settings in one place.  Override on the command line: make CC=clang.
B        ?= build
JOBS     ?= $(shell nproc)
CC       ?= cc
WERROR   ?= $(if $(CI),-Werror,)
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wno-unused-parameter $(WERROR)
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iimager -Itui
# Host build: Debian's -dev packages.  The ISO build links the same code
# statically against musl and libraries built from Debian sources (deps/).
HOST_LIBS := -lzstd -lz -lnettle -lxxhash -lblkid -lext2fs -lcom_err -lpthread
HOST_TUI_LIBS := -lncursesw
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
