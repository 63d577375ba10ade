# The engine (libimager) and the CLI.  Every imager/*.c except the CLI's
# files and fuzz harnesses goes into the library, so new modules need no
# edit here.
IMAGER_CLI_SRC := $(wildcard imager/cli*.c)
IMAGER_LIB_SRC := $(filter-out $(IMAGER_CLI_SRC),$(wildcard imager/*.c))
IMAGER_HDR     := $(wildcard imager/*.h) $(wildcard tui/*.h)

$(B)/host/%.o: %.c $(IMAGER_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

$(B)/asan/%.o: %.c $(IMAGER_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) $(WARN) -c -o $@ $<

$(B)/host/libimager.a: $(IMAGER_LIB_SRC:%.c=$(B)/host/%.o)
	@rm -f $@; ar rcs $@ $^

$(B)/asan/libimager.a: $(IMAGER_LIB_SRC:%.c=$(B)/asan/%.o)
	@rm -f $@; ar rcs $@ $^

$(B)/host/lifeboat: $(IMAGER_CLI_SRC:%.c=$(B)/host/%.o) $(TUI_SRC:%.c=$(B)/host/%.o) $(B)/host/libimager.a
	$(CC) $(CFLAGS) -o $@ $^ $(HOST_TUI_LIBS) $(HOST_LIBS)

$(B)/asan/lifeboat: $(IMAGER_CLI_SRC:%.c=$(B)/asan/%.o) $(TUI_SRC:%.c=$(B)/asan/%.o) $(B)/asan/libimager.a
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_TUI_LIBS) $(HOST_LIBS)

host: host-deps $(B)/host/lifeboat
asan: host-deps $(B)/asan/lifeboat
.PHONY: host asan
