/* host:port parsing for listen settings (config.http.listen). Pure. */
#ifndef CORE_TRANSPORT_HOSTPORT_H
#define CORE_TRANSPORT_HOSTPORT_H
#include <stddef.h>

/* Parse "127.0.0.1:8080", "[::1]:8080", "8080" or ":8080" (loopback). host gets the address
 * without brackets. Returns 0, or -1 with the reason in err. */
int transport_parse_hostport(const char *spec, char *host, size_t hostlen, int *port, char *err, size_t errlen);

/* Whether the address of such a spec is a loopback one (127.0.0.0/8, ::1, localhost). */
int transport_hostport_is_loopback(const char *spec);

#endif
