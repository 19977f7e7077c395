/* HTTP pieces that need no server: config.http.listen parsing, route registration and the
 * prefix/method matching of the built-in API (core/http.c). */
#include "check.h"
#include "http/http.h"
#include "transport/hostport.h"
#include <lunasip/http.h>

static int h_a(const struct ls_http_request *r, json_t **reply, void *arg) { return 200; }
static int h_b(const struct ls_http_request *r, json_t **reply, void *arg) { return 201; }

static void test_listen(void)
{
    char host[128], err[256];
    int port = 0;
    CHECK(transport_parse_hostport("127.0.0.1:8080", host, sizeof host, &port, err, sizeof err) == 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK(port == 8080);
    CHECK(transport_parse_hostport("8081", host, sizeof host, &port, err, sizeof err) == 0);
    CHECK_STR(host, "127.0.0.1"); /* loopback when only a port is given */
    CHECK(port == 8081);
    CHECK(transport_parse_hostport(":8082", host, sizeof host, &port, err, sizeof err) == 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK(port == 8082);
    CHECK(transport_parse_hostport("[::1]:9000", host, sizeof host, &port, err, sizeof err) == 0);
    CHECK_STR(host, "::1");
    CHECK(port == 9000);
    CHECK(transport_parse_hostport("0.0.0.0:0", host, sizeof host, &port, err, sizeof err) == 0);
    CHECK(transport_parse_hostport("127.0.0.1:", host, sizeof host, &port, err, sizeof err) == -1);
    CHECK(transport_parse_hostport("127.0.0.1:http", host, sizeof host, &port, err, sizeof err) == -1);
    CHECK(transport_parse_hostport("127.0.0.1:70000", host, sizeof host, &port, err, sizeof err) == -1);
    CHECK(transport_parse_hostport("[::1]8080", host, sizeof host, &port, err, sizeof err) == -1);
}

static void test_routes(void)
{
    ls_http_handler fn = NULL;
    void *arg = NULL;
    char allow[64];
    int x, y;
    CHECK(ls_http_route("GET", "/api/dispatcher", h_a, &x) == 0);
    CHECK(ls_http_route("POST", "/api/dispatcher/reload", h_b, &y) == 0);
    CHECK(ls_http_route("GET", "/api/dispatcher", h_b, &y) == -1);  /* duplicate */
    CHECK(ls_http_route(NULL, "/api/dispatcher", h_b, &y) == -1);   /* any method overlaps GET */
    CHECK(ls_http_route("GET", "/health", h_b, NULL) == -1);        /* built-in */
    CHECK(ls_http_route("POST", "/api/reload", h_b, NULL) == -1);
    CHECK(ls_http_route("GET", "relative", h_b, NULL) == -1);

    CHECK(http_route_find("GET", "/api/dispatcher", &fn, &arg, allow, sizeof allow) == 0);
    CHECK(fn == h_a && arg == &x);
    CHECK(http_route_find("GET", "/api/dispatcher/3", &fn, &arg, allow, sizeof allow) == 0);
    CHECK(fn == h_a);
    CHECK(http_route_find("POST", "/api/dispatcher/reload", &fn, &arg, allow, sizeof allow) == 0);
    CHECK(fn == h_b && arg == &y);
    CHECK(http_route_find("GET", "/api/dispatcher/reload", &fn, &arg, allow, sizeof allow) == 405);
    CHECK_STR(allow, "POST");
    CHECK(http_route_find("DELETE", "/api/dispatcher", &fn, &arg, allow, sizeof allow) == 405);
    CHECK_STR(allow, "GET");
    CHECK(http_route_find("GET", "/api/dispatchers", &fn, &arg, allow, sizeof allow) == 404);
    CHECK(http_route_find("GET", "/api", &fn, &arg, allow, sizeof allow) == 404);

    ls_http_route_remove(h_a, &x);
    CHECK(http_route_find("GET", "/api/dispatcher", &fn, &arg, allow, sizeof allow) == 404);
    CHECK(http_route_find("POST", "/api/dispatcher/reload", &fn, &arg, allow, sizeof allow) == 0);
    ls_http_route_remove(h_b, &y);
    CHECK(http_route_find("POST", "/api/dispatcher/reload", &fn, &arg, allow, sizeof allow) == 404);
}

static void test_error(void)
{
    json_t *reply = NULL;
    CHECK(ls_http_error(&reply, 409, "probing needs %s", "tm") == 409);
    CHECK(reply && json_is_string(json_object_get(reply, "error")));
    CHECK_STR(json_string_value(json_object_get(reply, "error")), "probing needs tm");
    json_decref(reply);
}

int main(void)
{
    test_listen();
    test_routes();
    test_error();
    return check_report("test_http");
}
