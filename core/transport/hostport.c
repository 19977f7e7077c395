/* host:port parsing for listen settings (core/transport/hostport.h). */
#include "transport/hostport.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "127.0.0.1:8080", "[::1]:8080", "8080", ":8080". */
int transport_parse_hostport(const char *spec, char *host, size_t hostlen, int *port, char *err, size_t errlen)
{
    const char *p = spec, *colon;
    char *end;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1] != ':') {
            snprintf(err, errlen, "'%s': expected [IPv6]:port", spec);
            return -1;
        }
        snprintf(host, hostlen, "%.*s", (int)(close - p - 1), p + 1);
        colon = close + 1;
    } else if ((colon = strrchr(p, ':')) != NULL) {
        if (colon == p)
            snprintf(host, hostlen, "127.0.0.1");
        else
            snprintf(host, hostlen, "%.*s", (int)(colon - p), p);
    } else {
        snprintf(host, hostlen, "127.0.0.1");
        colon = p - 1;
    }
    long v = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || v < 0 || v > 65535) {
        snprintf(err, errlen, "'%s': bad port", spec);
        return -1;
    }
    *port = (int)v;
    return 0;
}

int transport_hostport_is_loopback(const char *spec)
{
    char host[128], err[64];
    int port;
    struct in_addr a4;
    struct in6_addr a6;
    if (transport_parse_hostport(spec, host, sizeof host, &port, err, sizeof err) != 0)
        return 0;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return (inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)) || !strcmp(host, "localhost");
}
