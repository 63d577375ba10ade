/* unit.h — a minimal harness for C unit tests: each CHECK prints one
 * PASS or FAIL line in the form tests/run counts. */
#ifndef LB_UNIT_H
#define LB_UNIT_H
#include <stdio.h>
static int unit_failed;
#define CHECK(name, cond) do { \
	if (cond) printf("PASS %s\n", name); \
	else { printf("FAIL %s — %s:%d: %s\n", name, __FILE__, __LINE__, #cond); unit_failed = 1; } \
} while (0)
#define UNIT_EXIT() return unit_failed
#endif
