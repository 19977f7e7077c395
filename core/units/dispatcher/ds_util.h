/* The dispatcher's pure pieces, header-only so that tests/unit/test_dispatcher.c can include them:
 * state flags and their letters, list-line and attribute parsing, ping reply-code sets, hashing
 * and smooth weighted round-robin. No allocation, no I/O. */
#ifndef DS_UTIL_H
#define DS_UTIL_H
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Destination state flags, Kamailio's values. */
#define DS_INACTIVE 1
#define DS_TRYING 2
#define DS_DISABLED 4
#define DS_PROBING 8
#define DS_STATES 15     /* the bits above: what letters show and state changes set */
#define DS_NODNSARES 16  /* keep the host as a name: no address lookup when the list is read */
#define DS_NOPING 32     /* never probe, whatever probing_mode and the P flag say */
#define DS_FLAGS_ALL 63

/* Parse flags: an integer 0-63 as Kamailio writes it (decimal, or hex with 0x: "0x8"), or
 * letters as it displays states (A active, I inactive, D disabled, T trying, P probing, X
 * nothing; any case; "AP", "ip"). Returns 0 and sets *flags, or -1. */
static inline int ds_flags_parse(const char *s, int *flags)
{
    if (!s || !*s)
        return -1;
    if (isdigit((unsigned char)*s)) {
        char *end;
        int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        errno = 0;
        long v = strtol(hex ? s + 2 : s, &end, hex ? 16 : 10);
        if (*end || errno || v < 0 || v > DS_FLAGS_ALL || (hex && !isxdigit((unsigned char)s[2])))
            return -1;
        *flags = (int)v;
        return 0;
    }
    int f = 0;
    for (; *s; s++) {
        switch (toupper((unsigned char)*s)) {
        case 'A': f &= ~(DS_INACTIVE | DS_DISABLED); break;
        case 'I': f |= DS_INACTIVE; break;
        case 'D': f |= DS_DISABLED; break;
        case 'T': f |= DS_TRYING; break;
        case 'P': f |= DS_PROBING; break;
        case 'X': break;
        default: return -1;
        }
    }
    *flags = f;
    return 0;
}

/* Letters of flags into buf (at least 4 bytes): D, I or A, then T and P when set ("A", "IP"). */
static inline const char *ds_flags_str(int flags, char *buf)
{
    char *p = buf;
    *p++ = flags & DS_DISABLED ? 'D' : flags & DS_INACTIVE ? 'I' : 'A';
    if (flags & DS_TRYING)
        *p++ = 'T';
    if (flags & DS_PROBING)
        *p++ = 'P';
    *p = '\0';
    return buf;
}

/* One parsed line of a list file; the strings point into the (modified) line. */
struct ds_line {
    int set;
    char *uri;
    int flags;
    int priority;
    char *attrs; /* "key=value;...", or "" */
};

/* Parse one line in place: `setid uri [flags [priority [attrs]]]`, '#' starting a comment (at the
 * start of a line or of a word, or right after the URI, as Kamailio reads it). The URI scheme is
 * matched in any case and lower-cased ("SIP:" -> "sip:"). Returns 1 with *out filled, 0 for a
 * blank or comment line, -1 with the reason in err. */
static inline int ds_line_parse(char *line, struct ds_line *out, char *err, size_t errlen)
{
    char *tok[5] = { 0 };
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p || *p == '#')
            break;
        if (n == 5) {
            snprintf(err, errlen, "too many fields (expected: setid uri [flags [priority [attrs]]])");
            return -1;
        }
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && !(n == 2 && *p == '#'))
            p++;
        if (*p == '#') { /* "sip:h#comment": the URI ends, the rest is a comment */
            *p = '\0';
            break;
        }
        if (*p)
            *p++ = '\0';
    }
    if (n == 0)
        return 0;
    if (n < 2) {
        snprintf(err, errlen, "missing destination URI (expected: setid uri [flags [priority [attrs]]])");
        return -1;
    }
    char *end;
    errno = 0;
    long set = strtol(tok[0], &end, 10);
    if (*end || errno || set < 0 || set > 1000000) {
        snprintf(err, errlen, "bad set id '%s' (a number 0-1000000)", tok[0]);
        return -1;
    }
    size_t scheme = strncasecmp(tok[1], "sip:", 4) == 0 ? 3 : strncasecmp(tok[1], "sips:", 5) == 0 ? 4 : 0;
    if (!scheme || !tok[1][scheme + 1]) {
        snprintf(err, errlen, "bad destination '%s' (a sip: URI)", tok[1]);
        return -1;
    }
    for (size_t k = 0; k < scheme; k++)
        tok[1][k] = (char)tolower((unsigned char)tok[1][k]);
    out->set = (int)set;
    out->uri = tok[1];
    out->flags = 0;
    out->priority = 0;
    out->attrs = "";
    if (n > 2 && ds_flags_parse(tok[2], &out->flags) != 0) {
        snprintf(err, errlen, "bad flags '%s' (0-63 or 0x0-0x3f, or letters A I D T P)", tok[2]);
        return -1;
    }
    if (n > 3) {
        errno = 0;
        long prio = strtol(tok[3], &end, 10);
        if (*end || errno || prio < -1000000 || prio > 1000000) {
            snprintf(err, errlen, "bad priority '%s' (a number)", tok[3]);
            return -1;
        }
        out->priority = (int)prio;
    }
    if (n > 4)
        out->attrs = tok[4];
    return 1;
}

/* Iterate over "key=value;key2=value2": copies the next pair into key/val (NUL-terminated) and
 * returns the rest, or NULL at the end; *bad is set when a pair has no '=' or an empty key. */
static inline const char *ds_attr_next(const char *s, char *key, size_t klen, char *val, size_t vlen, int *bad)
{
    *bad = 0;
    while (*s == ';')
        s++;
    if (!*s)
        return NULL;
    const char *e = strchr(s, ';');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    const char *eq = memchr(s, '=', len);
    if (!eq || eq == s || (size_t)(eq - s) >= klen || len - (size_t)(eq - s) - 1 >= vlen) {
        *bad = 1;
        snprintf(key, klen, "%.*s", (int)len, s);
        val[0] = '\0';
        return e ? e : s + len;
    }
    snprintf(key, klen, "%.*s", (int)(eq - s), s);
    snprintf(val, vlen, "%.*s", (int)(len - (size_t)(eq - s) - 1), eq + 1);
    return e ? e : s + len;
}

/* Reply codes that count as "up" for a probe: whole classes and single codes. */
#define DS_MAX_CODES 32
struct ds_codes {
    unsigned classes;       /* bit c set: every cxx code */
    int codes[DS_MAX_CODES];
    int ncodes;
};

static inline int ds_codes_add(struct ds_codes *c, int code)
{
    if (code < 100 || code > 699 || c->ncodes == DS_MAX_CODES)
        return -1;
    c->codes[c->ncodes++] = code;
    return 0;
}

/* Parse Kamailio's ds_ping_reply_codes form: "class=2;code=403;code=488" (separators ';' or ',').
 * Returns 0, or -1 with the reason. */
static inline int ds_codes_parse(const char *s, struct ds_codes *c, char *err, size_t errlen)
{
    char key[32], val[32];
    int bad;
    memset(c, 0, sizeof *c);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *q = buf; *q; q++)
        if (*q == ',')
            *q = ';';
    const char *p = buf;
    while ((p = ds_attr_next(p, key, sizeof key, val, sizeof val, &bad)) != NULL) {
        char *end;
        long v = strtol(val, &end, 10);
        int ok = !bad && *val && !*end;
        if (ok && !strcmp(key, "class") && v >= 1 && v <= 6)
            c->classes |= 1u << v;
        else if (!(ok && !strcmp(key, "code") && ds_codes_add(c, (int)v) == 0)) {
            snprintf(err, errlen, "bad ping_reply_codes entry '%s%s%s' (expected class=N or code=NNN)", key,
                     bad ? "" : "=", val);
            return -1;
        }
    }
    if (!c->classes && !c->ncodes) {
        snprintf(err, errlen, "ping_reply_codes names no code");
        return -1;
    }
    return 0;
}

static inline int ds_codes_match(const struct ds_codes *c, int code)
{
    if (code >= 100 && code <= 699 && (c->classes & (1u << (code / 100))))
        return 1;
    for (int i = 0; i < c->ncodes; i++)
        if (c->codes[i] == code)
            return 1;
    return 0;
}

/* FNV-1a, for the hash algorithms (stable across runs and builds). */
static inline uint32_t ds_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Smooth weighted round-robin (nginx's): among the n candidates with ok[i] set, add each one's
 * weight to cur[i], pick the largest cur, subtract the total. Over sum(weights) picks every
 * candidate gets exactly its weight, interleaved. Weights <= 0 count as 1. -1 when none is ok. */
static inline int ds_wrr_pick(const int *weight, int *cur, const unsigned char *ok, int n)
{
    int best = -1, total = 0;
    for (int i = 0; i < n; i++) {
        if (!ok[i])
            continue;
        int w = weight[i] > 0 ? weight[i] : 1;
        cur[i] += w;
        total += w;
        if (best < 0 || cur[i] > cur[best])
            best = i;
    }
    if (best >= 0)
        cur[best] -= total;
    return best;
}

#endif
