# Fuzz target for partition tables and superblock readers (tests/fuzz/
# fuzz_pt.c), built with clang's libFuzzer against the sources it needs
# (not libimager.a: that is gcc-built).  tests/fuzz/t_fuzz_pt.sh runs it.
FUZZ_PT_SRC := tests/fuzz/fuzz_pt.c imager/extmap.c imager/fs.c imager/fs_fat.c \
	imager/fs_exfat.c imager/fs_ntfs.c imager/fs_ext.c imager/pt.c imager/pt_mbr.c \
	imager/pt_gpt.c imager/pt_areas.c imager/pt_sector.c
$(B)/tests/fuzz/fuzz_pt: $(FUZZ_PT_SRC) $(IMAGER_HDR)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_PT_SRC) -lz -lblkid -lext2fs -lcom_err
test-bins: $(B)/tests/fuzz/fuzz_pt
