/* Small formatters for the message path, where one snprintf costs hundreds of instructions.
 * Each writes at p (no NUL) and returns the end of what it wrote; the caller makes sure there is
 * room: fmt_uint needs at most 20 bytes, fmt_hex at most 16, fmt_hex64 exactly 16. Pure, any thread. */
#ifndef LUNASIP_FMT_H
#define LUNASIP_FMT_H
#include <stdint.h>
#include <string.h>
#include <lunasip/api.h>

LS_API_BEGIN
static inline char *fmt_mem(char *p, const void *s, size_t len)
{
    memcpy(p, s, len);
    return p + len;
}

static inline char *fmt_str(char *p, const char *s)
{
    return fmt_mem(p, s, strlen(s));
}

/* v in decimal, as "%llu" writes it. */
static inline char *fmt_uint(char *p, unsigned long long v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* v in lowercase hex without leading zeros, as "%llx" writes it (at most 16 bytes). */
static inline char *fmt_hex(char *p, unsigned long long v)
{
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* v as 16 lowercase hex digits, as "%016llx" writes it. */
static inline char *fmt_hex64(char *p, uint64_t v)
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 15];
    return p + 16;
}
LS_API_END
#endif
