# Fuzz target for the exFAT walker that names files with lost data
# (tests/fuzz/fuzz_rescue_exfat.c), built with clang's libFuzzer;
# tests/fuzz/t_fuzz_rescue_exfat.sh runs it.
FUZZ_REXFAT_SRC := tests/fuzz/fuzz_rescue_exfat.c imager/rescue_files_exfat.c imager/text_escape.c \
	imager/rescue_badlist.c imager/rescue_map.c
$(B)/tests/fuzz/fuzz_rescue_exfat: $(FUZZ_REXFAT_SRC) imager/rescue_files.h imager/rescue_map.h
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ $(FUZZ_REXFAT_SRC)
test-bins: $(B)/tests/fuzz/fuzz_rescue_exfat
