/*
 * checksum.h — the two checksums in a Lifeboat image: XXH3-64 of each
 * cluster's uncompressed bytes (libxxhash) and SHA-256 of the whole
 * virtual disk (nettle).  Thin wrappers so that the choice lives in one
 * place (docs/image-format.md names both).
 */
#ifndef LB_CHECKSUM_H
#define LB_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <nettle/sha2.h>

/* XXH3-64 with seed 0 of N bytes. */
uint64_t lb_xxh3(const void *buf, size_t n);

/* 1 when all N bytes are zero. */
int lb_is_zero(const void *buf, size_t n);

/* Writes the 64 hex digits of a 32-byte digest and a NUL into OUT. */
void lb_hex(const uint8_t *digest, size_t n, char *out);

#endif
