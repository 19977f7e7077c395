/* The dispatcher unit's typed API (destination sets), for other units. Bind it once, in your
 * init (every unit is loaded before any init, so the order of config.units does not matter):
 *
 *     static const struct dispatcher_api *ds;
 *     ds = dispatcher_load_api();   // NULL when dispatcher is not loaded
 *
 * The functions are those of the Lua table `dispatcher` (README "The dispatcher unit"), with
 * the same rules. Main loop only. */
#ifndef LUNASIP_DISPATCHER_H
#define LUNASIP_DISPATCHER_H
#include <stddef.h>
#include <lunasip/unit.h>
#include <lunasip/api.h>

LS_API_BEGIN
struct sip_msg;

/* Selection algorithms (Kamailio's numbers). */
enum dispatcher_alg {
    DS_ALG_HASH_CALLID = 0, DS_ALG_HASH_FROM = 1, DS_ALG_HASH_TO = 2, DS_ALG_HASH_RURI = 3,
    DS_ALG_ROUND_ROBIN = 4, DS_ALG_PRIORITY = 8, DS_ALG_WEIGHT = 9,
};

struct dispatcher_api {
    /* Choose a usable destination of set for request msg with alg, set msg's next hop (msg.du)
     * and keep the failover list with msg; limit: destinations kept in all (0: no limit).
     * 1 when one was chosen, 0 when none is usable or the set does not exist. */
    int (*select)(struct sip_msg *msg, int set, enum dispatcher_alg alg, int limit);
    /* The next destination of msg's failover list as its next hop: 1, or 0 when exhausted. */
    int (*next)(struct sip_msg *msg);
    /* The set msg was last sent to by select/next, with the destination's URI in *uri (valid
     * while msg lives), or -1 when none was selected. */
    int (*current)(struct sip_msg *msg, const char **uri);
    /* The id of the set (only set, or any set when set < 0) one of whose destinations has the
     * address and port msg came from, or -1. */
    int (*is_from)(const struct sip_msg *msg, int set);
    /* Set the state of destination uri in set: letters ("ip", "AP") or Kamailio's number as a
     * string. 0, or -1 with the reason (unknown set or URI, bad state, probing without tm). */
    int (*set_state)(int set, const char *uri, const char *state, char *err, size_t errlen);
    /* Reload the list file; the old sets stay when it does not parse. 0, or -1 with the reason. */
    int (*reload)(char *err, size_t errlen);
};

static inline const struct dispatcher_api *dispatcher_load_api(void)
{
    return (const struct dispatcher_api *)ls_unit_api("dispatcher");
}

LS_API_END
#endif
