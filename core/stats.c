#include "stats.h"
#include <lunasip/msg.h>
#include <lunasip/stats.h>
#include <math.h>
#include <string.h>
#include <time.h>

uint64_t stats[STAT__COUNT];
uint64_t stats_requests[SM__COUNT];
uint64_t stats_replies[7];
uint64_t stats_replies_sent[7];
struct stats_latency stats_latency[SM__COUNT];
const double stats_latency_bounds[STATS_LATENCY_BUCKETS] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 120, INFINITY,
};

static const char *stat_names[STAT__COUNT] = {
    [STAT_RX_MESSAGES] = "rx_messages",       [STAT_RX_BAD] = "rx_bad",
    [STAT_RX_OVERSIZE] = "rx_oversize",       [STAT_TX_MESSAGES] = "tx_messages",
    [STAT_TX_ERRORS] = "tx_errors",           [STAT_FWD_REQUESTS] = "fwd_requests",
    [STAT_FWD_REPLIES] = "fwd_replies",       [STAT_RELAY_REQUESTS] = "relay_requests",
    [STAT_RELAY_REPLIES] = "relay_replies",       [STAT_LOCAL_REPLIES] = "local_replies",
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

long long ls_stats_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000 + 1;
}

void ls_stats_reply_sent(const struct sip_msg *req, int code)
{
    if (code < 100 || code > 699)
        return;
    stats_replies_sent[code / 100]++;
    if (code < 200 || !req || !req->rx_us)
        return;
    char method[32];
    sip_str_copy(sipmsg_method(req), method, sizeof method);
    struct stats_latency *l = &stats_latency[stats_method(method)];
    double s = (double)(ls_stats_now_us() - req->rx_us) / 1e6;
    int i = 0;
    while (i < STATS_LATENCY_BUCKETS - 1 && s > stats_latency_bounds[i])
        i++;
    l->bucket[i]++;
    l->count++;
    l->sum += s;
}

void ls_stats_forwarded(int stateful, int reply)
{
    stats_inc(stateful ? (reply ? STAT_RELAY_REPLIES : STAT_RELAY_REQUESTS) : (reply ? STAT_FWD_REPLIES : STAT_FWD_REQUESTS));
}
