/* Hashing: 64-bit FNV-1a. Pure functions, any thread. */
#ifndef LUNASIP_HASH_H
#define LUNASIP_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <lunasip/api.h>

LS_API_BEGIN
/* 64-bit FNV-1a over len bytes, chained from h (start with FNV_SEED). */
#define FNV_SEED 0xcbf29ce484222325ULL
uint64_t fnv1a(uint64_t h, const void *data, size_t len);
uint64_t fnv1a_str(uint64_t h, const char *s); /* NULL hashes like "", then a separator */
LS_API_END
#endif
