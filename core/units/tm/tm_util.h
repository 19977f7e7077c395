/* Pure pieces of tm, header-only so the C unit tests (which link only the core) can test them:
 * the branch parameter of our client transactions and the choice of the best final reply. */
#ifndef TM_UTIL_H
#define TM_UTIL_H
#include <lunasip/fmt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Our branches: "z9hG4bK" "tm" <hash index, hex> "." <transaction id, hex> "." <branch, hex>.
 * A reply carries it back in its top Via: the index names the hash bucket and the id the
 * transaction in it, so no search over transactions is needed. */
#define TM_BRANCH_PREFIX "z9hG4bKtm"
#define TM_BRANCH_MAX 64

static inline void tm_branch_encode(char *out, size_t len, unsigned idx, unsigned long long id, unsigned bno)
{
    char b[TM_BRANCH_MAX]; /* prefix, 8 + 1 + 16 + 1 + 8 hex digits and dots, NUL: 44 bytes */
    char *p = fmt_hex(fmt_str(b, TM_BRANCH_PREFIX), idx);
    *p++ = '.';
    p = fmt_hex(p, id);
    *p++ = '.';
    p = fmt_hex(p, bno);
    size_t n = (size_t)(p - b) < len ? (size_t)(p - b) : len - 1; /* truncated like snprintf */
    memcpy(out, b, n);
    out[n] = '\0';
}

/* 0 and the three numbers when b is one of our branches, -1 otherwise. */
static inline int tm_branch_decode(const char *b, unsigned *idx, unsigned long long *id, unsigned *bno)
{
    size_t plen = strlen(TM_BRANCH_PREFIX);
    if (!b || strncmp(b, TM_BRANCH_PREFIX, plen) != 0)
        return -1;
    const char *p = b + plen;
    char *end;
    unsigned long v[3];
    unsigned long long id_v = 0;
    for (int i = 0; i < 3; i++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return -1;
        if (i == 1)
            id_v = strtoull(p, &end, 16);
        else
            v[i] = strtoul(p, &end, 16);
        if (end - p > 16 || *end != (i < 2 ? '.' : '\0'))
            return -1;
        p = end + (i < 2);
    }
    if (v[0] > 0xffffffffUL || v[2] > 0xffffUL)
        return -1;
    *idx = (unsigned)v[0];
    *id = id_v;
    *bno = (unsigned)v[2];
    return 0;
}

/* RFC 3261 §16.7 step 6: which of n final negative replies (codes >= 300; 0 marks a branch
 * without one) goes upstream. A 6xx if there is one (the first), else the lowest class; in the
 * 4xx class 401, 407, 415, 420 and 484 are preferred (they help the UAC resubmit); otherwise
 * the first reply of the class. Returns the index, or -1 when there is no final reply. */
static inline int tm_best_reply(const int *codes, int n)
{
    int best = -1, best_rank = 1 << 30;
    for (int i = 0; i < n; i++) {
        int c = codes[i];
        if (c < 300 || c > 699)
            continue;
        int cls = c / 100, rank;
        if (cls == 6)
            rank = 0;
        else
            rank = cls * 10 + ((cls == 4 && (c == 401 || c == 407 || c == 415 || c == 420 || c == 484)) ? 0 : 1);
        if (rank < best_rank) {
            best = i;
            best_rank = rank;
        }
    }
    return best;
}

#endif
