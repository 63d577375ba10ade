# `make bench`: Lifeboat and its peers side by side (owner: the image
# engine; each area adds one line calling its script).  Benchmarks print
# figures; they are not tests and assert nothing.
bench: host
	bash tests/bench/rescue.sh
.PHONY: bench
