#include "stats.h"
#include <string.h>

uint64_t stats[STAT__COUNT];
uint64_t stats_requests[SM__COUNT];
uint64_t stats_replies[7];

static const char *stat_names[STAT__COUNT] = {
    [STAT_RX_MESSAGES] = "rx_messages",       [STAT_RX_BAD] = "rx_bad",
    [STAT_RX_OVERSIZE] = "rx_oversize",       [STAT_TX_MESSAGES] = "tx_messages",
    [STAT_TX_ERRORS] = "tx_errors",           [STAT_FWD_REQUESTS] = "fwd_requests",
    [STAT_FWD_REPLIES] = "fwd_replies",       [STAT_LOCAL_REPLIES] = "local_replies",
    [STAT_DROPPED] = "dropped",               [STAT_ROUTE_ERRORS] = "route_errors",
    [STAT_TCP_CONNECTIONS] = "tcp_connections", [STAT_TLS_ERRORS] = "tls_errors",
    [STAT_TCP_REFUSED] = "tcp_refused",
    [STAT_TCP_OVERFLOW] = "tcp_overflow",
    [STAT_LUA_STATES] = "lua_states",
};

static const char *method_names[SM__COUNT] = {
    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "MESSAGE", "SUBSCRIBE",
    "NOTIFY", "INFO", "UPDATE", "PRACK", "REFER", "PUBLISH", "OTHER",
};

const char *stats_name(enum stat_id id) { return stat_names[id]; }
const char *stats_method_name(enum stat_method m) { return method_names[m]; }

enum stat_method stats_method(const char *method)
{
    for (int i = 0; i < SM_OTHER; i++)
        if (method && strcmp(method, method_names[i]) == 0)
            return (enum stat_method)i;
    return SM_OTHER;
}
