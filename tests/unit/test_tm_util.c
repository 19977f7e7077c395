/* tm's pure pieces (core/units/tm/tm_util.h): our branch encoding and the RFC 3261 §16.7
 * choice of the best final reply. */
#include "check.h"
#include "units/tm/tm_util.h"

static void branches(void)
{
    char b[TM_BRANCH_MAX];
    unsigned idx, bno;
    unsigned long long id;
    tm_branch_encode(b, sizeof b, 0x3fff, 0xfedcba9876ULL, 3);
    CHECK_STR(b, "z9hG4bKtm3fff.fedcba9876.3");
    CHECK(tm_branch_decode(b, &idx, &id, &bno) == 0);
    CHECK(idx == 0x3fff && id == 0xfedcba9876ULL && bno == 3);
    tm_branch_encode(b, sizeof b, 0, 1, 0);
    CHECK(tm_branch_decode(b, &idx, &id, &bno) == 0 && idx == 0 && id == 1 && bno == 0);
    CHECK_STR(b, "z9hG4bKtm0.1.0");
    tm_branch_encode(b, sizeof b, 0xffffffffu, 0xffffffffffffffffULL, 0xffff);
    CHECK_STR(b, "z9hG4bKtmffffffff.ffffffffffffffff.ffff");
    CHECK(tm_branch_decode(b, &idx, &id, &bno) == 0 && idx == 0xffffffffu && id == 0xffffffffffffffffULL && bno == 0xffff);
    char small[12];
    tm_branch_encode(small, sizeof small, 0x3fff, 1, 2); /* truncated, as snprintf did */
    CHECK_STR(small, "z9hG4bKtm3f");
    /* not ours, or damaged */
    CHECK(tm_branch_decode(NULL, &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKsl0123456789abcdef", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtm", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtm1.2", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtm1.2.3x", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtm1..3", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtm1.2.-3", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtmX.2.3", &idx, &id, &bno) == -1);
    CHECK(tm_branch_decode("z9hG4bKtm1.11111111111111111.3", &idx, &id, &bno) == -1);
}

static void best_reply(void)
{
    int none[] = { 0, 0 };
    CHECK(tm_best_reply(none, 2) == -1);
    CHECK(tm_best_reply(none, 0) == -1);
    int one[] = { 0, 486 };
    CHECK(tm_best_reply(one, 2) == 1);
    int six[] = { 302, 404, 603, 600 };        /* a 6xx beats every other class, the first one */
    CHECK(tm_best_reply(six, 4) == 2);
    int low[] = { 503, 486, 302 };             /* otherwise the lowest class */
    CHECK(tm_best_reply(low, 3) == 2);
    int four[] = { 503, 486, 404 };            /* first of the class */
    CHECK(tm_best_reply(four, 3) == 1);
    int auth[] = { 486, 408, 407, 401 };       /* 401/407 (and 415, 420, 484) preferred in 4xx */
    CHECK(tm_best_reply(auth, 4) == 2);
    int e484[] = { 480, 484 };
    CHECK(tm_best_reply(e484, 2) == 1);
    int timeouts[] = { 408, 503 };             /* a local 408 is a 4xx like any other */
    CHECK(tm_best_reply(timeouts, 2) == 0);
    int provisional[] = { 180, 200, 0 };       /* not final negatives: ignored */
    CHECK(tm_best_reply(provisional, 3) == -1);
}

int main(void)
{
    branches();
    best_reply();
    return check_report("test_tm_util");
}
