/* The auth unit's typed API (digest authentication), for other units such as tm. Bind it once:
 *
 *     const struct auth_api *auth = auth_load_api();   // NULL when auth is not loaded
 *
 * Main loop only. */
#ifndef LUNASIP_AUTH_H
#define LUNASIP_AUTH_H
#include <stddef.h>
#include <lunasip/unit.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct auth_api {
    /* Client side: answer the challenge `challenge` (the value of a WWW-Authenticate or
     * Proxy-Authenticate header) for a request method/uri with user and password. The value of
     * the Authorization / Proxy-Authorization header to add goes to out. 0, or -1 with the
     * reason in err (unsupported algorithm or qop, malformed challenge). */
    int (*answer)(const char *challenge, const char *user, const char *password, const char *method,
                  const char *uri, char *out, size_t outlen, char *err, size_t errlen);
};

static inline const struct auth_api *auth_load_api(void)
{
    return (const struct auth_api *)ls_unit_api("auth");
}

LS_API_END
#endif
