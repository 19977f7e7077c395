/* Unit test of the transport table: listen specs, address printing, listeners and
 * transport_is_local() on real sockets. Prints each failure; exits non-zero on any. */
#include <lunasip/transport.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
            failures++;                                                          \
        }                                                                        \
    } while (0)

static int port_of(const struct sockaddr_storage *sa)
{
    int port;
    char ip[64];
    addr_ip_port(sa, ip, sizeof ip, &port);
    return port;
}

static void check_spec(const char *spec, enum sip_proto want_proto, int want_family,
                       const char *want_ip, int want_port)
{
    enum sip_proto proto;
    struct sockaddr_storage sa;
    socklen_t salen = 0;
    char err[128] = "", ip[64];
    int port = -1;
    if (transport_parse_spec(spec, &proto, &sa, &salen, err, sizeof err) != 0) {
        fprintf(stderr, "FAIL spec %s refused: %s\n", spec, err);
        failures++;
        return;
    }
    addr_ip_port(&sa, ip, sizeof ip, &port);
    if (proto != want_proto || sa.ss_family != want_family || strcmp(ip, want_ip) != 0
        || port != want_port
        || salen != (want_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6))) {
        fprintf(stderr, "FAIL spec %s: got proto %d family %d %s port %d\n", spec, proto,
                sa.ss_family, ip, port);
        failures++;
    }
}

static void check_bad_spec(const char *spec)
{
    enum sip_proto proto;
    struct sockaddr_storage sa;
    socklen_t salen;
    char err[128] = "";
    if (transport_parse_spec(spec, &proto, &sa, &salen, err, sizeof err) == 0 || !err[0]) {
        fprintf(stderr, "FAIL bad spec \"%s\" accepted or no reason given\n", spec);
        failures++;
    }
}

static void test_parse_spec(void)
{
    check_spec("udp:127.0.0.1:5060", PROTO_UDP, AF_INET, "127.0.0.1", 5060);
    check_spec("tcp:127.0.0.1:5070", PROTO_TCP, AF_INET, "127.0.0.1", 5070);
    check_spec("TCP:10.1.2.3", PROTO_TCP, AF_INET, "10.1.2.3", 5060);
    check_spec("192.168.0.1:6000", PROTO_UDP, AF_INET, "192.168.0.1", 6000);
    check_spec("0.0.0.0", PROTO_UDP, AF_INET, "0.0.0.0", 5060);
    check_spec("tcp:[::1]:5061", PROTO_TCP, AF_INET6, "::1", 5061);
    check_spec("udp:[2001:db8::1]", PROTO_UDP, AF_INET6, "2001:db8::1", 5060);
    check_spec("[::1]:7000", PROTO_UDP, AF_INET6, "::1", 7000);
    check_spec("udp:::1", PROTO_UDP, AF_INET6, "::1", 5060);
    check_spec("tcp:127.0.0.1:0", PROTO_TCP, AF_INET, "127.0.0.1", 0);
    check_spec("tls:[::1]", PROTO_TLS, AF_INET6, "::1", 5061);
    check_spec("TLS:127.0.0.1:5071", PROTO_TLS, AF_INET, "127.0.0.1", 5071);
    check_spec("ws:127.0.0.1:8080", PROTO_WS, AF_INET, "127.0.0.1", 8080);
    check_spec("wss:127.0.0.1", PROTO_WSS, AF_INET, "127.0.0.1", 5061);

    const char *bad[] = { "", "udp:", "tcp:", "sctp:1.2.3.4:5060", "tls:", "wsx:[::1]:5061",
                          "udp:1.2.3.4:70000", "udp:1.2.3.4:", "udp:1.2.3.4:5x",
                          "udp:1.2.3.4:-1", "udp:[::1", "udp:[::1]x", "udp:[::1]:",
                          "udp:host.example:5060", "udp:[1.2.3.4]:5060", "udp:1.2.3:5060",
                          "udp:[]:5060", "udp:1.2.3.4:5060:1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        check_bad_spec(bad[i]);
}

static void test_addr_str(void)
{
    struct sockaddr_storage sa;
    struct sockaddr_in *sin = (struct sockaddr_in *)&sa;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa;
    char buf[64], ip[64];
    int port;

    memset(&sa, 0, sizeof sa);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(5060);
    inet_pton(AF_INET, "10.0.0.7", &sin->sin_addr);
    CHECK(strcmp(addr_str(&sa, buf, sizeof buf), "10.0.0.7:5060") == 0);
    addr_ip_port(&sa, ip, sizeof ip, &port);
    CHECK(strcmp(ip, "10.0.0.7") == 0 && port == 5060);
    /* IPv4 is printed without inet_ntop: the same text at the edges */
    static const char *v4[] = { "0.0.0.0", "255.255.255.255", "192.168.100.9", "1.20.3.40" };
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        inet_pton(AF_INET, v4[i], &sin->sin_addr);
        sin->sin_port = htons(65535);
        addr_ip_port(&sa, ip, sizeof ip, &port);
        CHECK(strcmp(ip, v4[i]) == 0 && port == 65535);
        char small[8]; /* too short: inet_ntop's answer ("?" when it does not fit) */
        addr_ip_port(&sa, small, sizeof small, NULL);
        CHECK(strlen(v4[i]) < sizeof small ? strcmp(small, v4[i]) == 0 : strcmp(small, "?") == 0);
    }
    inet_pton(AF_INET, "10.0.0.7", &sin->sin_addr);
    sin->sin_port = htons(5060);

    memset(&sa, 0, sizeof sa);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(5061);
    inet_pton(AF_INET6, "2001:db8::42", &sin6->sin6_addr);
    CHECK(strcmp(addr_str(&sa, buf, sizeof buf), "[2001:db8::42]:5061") == 0);
    addr_ip_port(&sa, ip, sizeof ip, &port);
    CHECK(strcmp(ip, "2001:db8::42") == 0 && port == 5061);
}

static int resolved_port = -1;

static void on_resolved(int err, const struct sockaddr_storage *sa, socklen_t salen, void *arg)
{
    (void)salen;
    *(int *)arg = err == 0 && sa ? port_of(sa) : -2;
}

static void test_listeners(void)
{
    struct event_base *base = event_base_new();
    char err[256];
    CHECK(base != NULL);
    if (!base)
        return;
    CHECK(transport_listener_for(PROTO_UDP, AF_INET) == NULL);
    CHECK(transport_listen(base, "udp:127.0.0.1:0", err, sizeof err) == 0);
    CHECK(transport_listen(base, "tcp:127.0.0.1:0", err, sizeof err) == 0);

    size_t n = 0;
    const struct listener *l = transport_listeners(&n);
    CHECK(n == 2);
    if (n != 2) {
        fprintf(stderr, "FAIL cannot listen on 127.0.0.1: %s\n", err);
        event_base_free(base);
        return;
    }
    const struct listener *udp = &l[0], *tcp = &l[1];
    CHECK(udp->proto == PROTO_UDP && tcp->proto == PROTO_TCP);
    CHECK(strcmp(udp->host, "127.0.0.1") == 0 && udp->port > 0 && tcp->port > 0);
    CHECK(port_of(&udp->sa) == udp->port);

    CHECK(transport_is_local("127.0.0.1", udp->port));
    CHECK(transport_is_local("127.0.0.1", tcp->port));
    int other = 1;
    while (other == udp->port || other == tcp->port)
        other++;
    CHECK(!transport_is_local("127.0.0.1", other));
    CHECK(!transport_is_local("127.0.0.2", udp->port));
    CHECK(!transport_is_local("localhost", udp->port));
    CHECK(!transport_is_local("[::1]", udp->port));
    CHECK(!transport_is_local("", udp->port));
    CHECK(!transport_is_local(NULL, udp->port));

    CHECK(transport_listener_for(PROTO_UDP, AF_INET) == udp);
    CHECK(transport_listener_for(PROTO_TCP, AF_INET) == tcp);
    CHECK(transport_listener_for(PROTO_TCP, AF_INET6) == tcp); /* other family */

    /* The same UDP port again: refused with the spec and the reason. */
    char spec[64];
    snprintf(spec, sizeof spec, "udp:127.0.0.1:%d", udp->port);
    err[0] = '\0';
    CHECK(transport_listen(base, spec, err, sizeof err) == -1);
    CHECK(strstr(err, spec) == err && strstr(err, "in use") != NULL);
    CHECK(transport_listen(base, "udp:nowhere:5060", err, sizeof err) == -1);

    /* IPv6 loopback, when the host has it. */
    if (transport_listen(base, "tcp:[::1]:0", err, sizeof err) == 0) {
        l = transport_listeners(&n);
        const struct listener *v6 = &l[n - 1];
        CHECK(strcmp(v6->host, "[::1]") == 0);
        CHECK(transport_is_local("[::1]", v6->port));
        CHECK(transport_is_local("::1", v6->port));
        CHECK(transport_is_local("0:0::1", v6->port));
        CHECK(!transport_is_local("127.0.0.1", v6->port) || v6->port == udp->port
              || v6->port == tcp->port);
        CHECK(transport_listener_for(PROTO_TCP, AF_INET6) == v6);
        CHECK(transport_listener_for(PROTO_UDP, AF_INET6) == udp); /* same proto first */
    } else {
        fprintf(stderr, "note: no IPv6 loopback (%s), IPv6 checks skipped\n", err);
    }

    /* Port 0 in transport_is_local() means 5060: needs a free 5060 on some loopback. */
    if (transport_listen(base, "udp:127.77.0.1:5060", err, sizeof err) == 0) {
        CHECK(transport_is_local("127.77.0.1", 0));
        CHECK(transport_is_local("127.77.0.1", 5060));
    } else {
        fprintf(stderr, "note: %s, default-port check skipped\n", err);
    }

    /* Literals resolve before transport_resolve() returns. */
    resolved_port = -1;
    transport_resolve("[::1]", 5080, on_resolved, &resolved_port);
    CHECK(resolved_port == 5080);
    resolved_port = -1;
    transport_resolve("10.0.0.1", 0, on_resolved, &resolved_port);
    CHECK(resolved_port == 5060);

    int udp_port = udp->port;
    transport_shutdown();
    transport_listeners(&n);
    CHECK(n == 0);
    CHECK(transport_listener_for(PROTO_UDP, AF_INET) == NULL);
    CHECK(!transport_is_local("127.0.0.1", udp_port));
    event_base_free(base);
}

int main(void)
{
    test_parse_spec();
    test_addr_str();
    test_listeners();
    if (failures)
        fprintf(stderr, "test_transport: %d failure(s)\n", failures);
    else
        printf("test_transport: ok\n");
    return failures != 0;
}
