# Fuzz target for the rescue mapfile parser (tests/fuzz/fuzz_rescue_map.c),
# built with clang's libFuzzer; tests/fuzz/t_fuzz_rescue_map.sh runs it.
FUZZ_RMAP_SRC := tests/fuzz/fuzz_rescue_map.c imager/rescue_map.c
$(B)/tests/fuzz/fuzz_rescue_map: $(FUZZ_RMAP_SRC) imager/rescue_map.h
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_RMAP_SRC)
test-bins: $(B)/tests/fuzz/fuzz_rescue_map

# ... and for the FAT/NTFS walkers that name files with lost data.
FUZZ_RFILES_SRC := tests/fuzz/fuzz_rescue_files.c imager/rescue_files_fat.c imager/text_escape.c \
	imager/rescue_files_ntfs.c imager/rescue_badlist.c imager/rescue_map.c
$(B)/tests/fuzz/fuzz_rescue_files: $(FUZZ_RFILES_SRC) imager/rescue_files.h imager/rescue_map.h
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_RFILES_SRC)
test-bins: $(B)/tests/fuzz/fuzz_rescue_files
