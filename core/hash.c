/* FNV-1a (include/lunasip/hash.h). */
#include <lunasip/hash.h>
#include <string.h>

uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t fnv1a_str(uint64_t h, const char *s)
{
    /* A separator keeps ("ab","c") and ("a","bc") apart. */
    return fnv1a(s ? fnv1a(h, s, strlen(s)) : h, "\x1f", 1);
}
