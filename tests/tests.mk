# Tests.  `make test` builds what the tests need and runs tests/run, whose
# last line is "N passed, N failed, N skipped".  Unit tests are the C files
# in tests/unit, each linked with libimager into build/tests/unit/t_<name>.
UNIT_SRC  := $(wildcard tests/unit/t_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)

$(B)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $(B)/asan/libimager.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(SAN_FLAGS) $(WARN) -o $@ $< $(B)/asan/libimager.a $(HOST_LIBS)

test-bins: host-deps $(B)/host/lifeboat $(B)/asan/lifeboat $(UNIT_BINS)

# TEST_DEPS lets other fragments (the ISO, fuzzers) add what their tests need.
test: test-bins $(TEST_DEPS)
	tests/run $(TEST_AREAS)

.PHONY: test test-bins

# Driver for the partition-table and used-block tests in tests/pt (not a
# test itself: tests/run only runs t_* files).
$(B)/tests/pt/lbprobe: tests/pt/lbprobe.c $(B)/asan/libimager.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) $(WARN) -o $@ $< $(B)/asan/libimager.a $(HOST_LIBS)
test-bins: $(B)/tests/pt/lbprobe
# Fuzz targets keep their build rules in tests/fuzz/*.mk.
-include $(wildcard tests/fuzz/*.mk)
