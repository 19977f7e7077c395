/* RFC 2782 ordering of SRV records (core/transport/resolve.c): priorities ascending, zero
 * weights first within a priority, then a weighted draw whose shares follow the weights. */
#include "check.h"
#include "transport/resolve.h"
#include <stdlib.h>

static unsigned seq_rnd(void *arg)
{
    unsigned *v = arg;
    return *v;
}

static unsigned lcg(void *arg)
{
    unsigned *s = arg;
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static struct resolve_srv srv(unsigned short prio, unsigned short weight, unsigned short port)
{
    struct resolve_srv s = { .priority = prio, .weight = weight, .port = port };
    snprintf(s.host, sizeof s.host, "h%u", port);
    return s;
}

int main(void)
{
    /* priorities ascending whatever the weights */
    struct resolve_srv v[4] = { srv(20, 100, 1), srv(10, 0, 2), srv(30, 5, 3), srv(10, 0, 4) };
    unsigned r = 0;
    resolve_srv_order(v, 4, seq_rnd, &r);
    CHECK(v[0].priority == 10 && v[1].priority == 10 && v[2].port == 1 && v[3].port == 3);
    CHECK(v[0].port == 2 && v[1].port == 4); /* all-zero weights keep their order */

    /* zero weight first, then a draw: r = 0 picks the zero-weight one, r = sum picks the last */
    struct resolve_srv w[3] = { srv(1, 10, 1), srv(1, 0, 2), srv(1, 30, 3) };
    r = 0;
    resolve_srv_order(w, 3, seq_rnd, &r);
    CHECK(w[0].port == 2);
    struct resolve_srv x[3] = { srv(1, 10, 1), srv(1, 0, 2), srv(1, 30, 3) };
    r = 40; /* running sums 0, 10, 40: 40 reaches the third */
    resolve_srv_order(x, 3, seq_rnd, &r);
    CHECK(x[0].port == 3);
    r = 5; /* 5 reaches the second (running sum 10) */
    struct resolve_srv y[3] = { srv(1, 10, 1), srv(1, 0, 2), srv(1, 30, 3) };
    resolve_srv_order(y, 3, seq_rnd, &r);
    CHECK(y[0].port == 1);

    /* shares follow the weights: 1:3 over many draws */
    unsigned seed = 7, first3 = 0;
    for (int i = 0; i < 4000; i++) {
        struct resolve_srv z[2] = { srv(5, 10, 1), srv(5, 30, 3) };
        resolve_srv_order(z, 2, lcg, &seed);
        CHECK(z[0].port + z[1].port == 4);
        first3 += z[0].port == 3;
    }
    CHECK(first3 > 2800 && first3 < 3200);
    printf("weight 30 of 40 came first %u times in 4000\n", first3);
    return check_report("test_resolve");
}
