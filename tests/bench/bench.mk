# `make bench`: Lifeboat against its peers on one generated disk; prints one
# table (tests/bench/bench.sh).  A benchmark, not a test: nothing fails on
# a number.  BENCH_MIB sets the disk size (default 2048).
bench: $(B)/host/lifeboat
	tests/bench/bench.sh
	bash tests/bench/rescue.sh
	bash tests/bench/usedblocks.sh

.PHONY: bench
