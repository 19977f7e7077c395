/* The dispatcher's pure pieces (core/units/dispatcher/ds_util.h): flags and their letters,
 * list-line and attribute parsing, ping reply codes, hashing and weighted selection. */
#include "check.h"
#include "units/dispatcher/ds_util.h"

static void flags(void)
{
    int f;
    char b[8];
    CHECK(ds_flags_parse("AP", &f) == 0 && f == DS_PROBING);
    CHECK(ds_flags_parse("ip", &f) == 0 && f == (DS_INACTIVE | DS_PROBING));
    CHECK(ds_flags_parse("8", &f) == 0 && f == DS_PROBING);
    CHECK(ds_flags_parse("0", &f) == 0 && f == 0);
    CHECK(ds_flags_parse("AX", &f) == 0 && f == 0);
    CHECK(ds_flags_parse("D", &f) == 0 && f == DS_DISABLED);
    CHECK(ds_flags_parse("16", &f) == 0 && f == DS_NODNSARES);
    CHECK(ds_flags_parse("32", &f) == 0 && f == DS_NOPING);
    CHECK(ds_flags_parse("0x8", &f) == 0 && f == DS_PROBING);
    CHECK(ds_flags_parse("0X1a", &f) == 0 && f == (DS_NODNSARES | DS_PROBING | DS_TRYING));
    CHECK(ds_flags_parse("010", &f) == 0 && f == 10); /* decimal as Kamailio reads it, not octal */
    CHECK(ds_flags_parse("63", &f) == 0 && f == DS_FLAGS_ALL);
    CHECK(ds_flags_parse("64", &f) == -1);
    CHECK(ds_flags_parse("0x", &f) == -1);
    CHECK(ds_flags_parse("0x40", &f) == -1);
    CHECK(ds_flags_parse("0x-1", &f) == -1);
    CHECK(ds_flags_parse("8z", &f) == -1);
    CHECK(ds_flags_parse("Q", &f) == -1);
    CHECK(ds_flags_parse("", &f) == -1);
    CHECK(ds_flags_parse("-1", &f) == -1);
    CHECK_STR(ds_flags_str(0, b), "A");
    CHECK_STR(ds_flags_str(DS_PROBING, b), "AP");
    CHECK_STR(ds_flags_str(DS_INACTIVE | DS_PROBING, b), "IP");
    CHECK_STR(ds_flags_str(DS_DISABLED | DS_INACTIVE, b), "D");
    CHECK_STR(ds_flags_str(DS_TRYING | DS_PROBING, b), "ATP");
}

static void lines(void)
{
    struct ds_line l;
    char err[256];
    char a[] = "  1 sip:10.0.0.1:5060 AP 10 weight=50;ping_from=sip:p@x  # comment\n";
    CHECK(ds_line_parse(a, &l, err, sizeof err) == 1);
    CHECK(l.set == 1 && l.flags == DS_PROBING && l.priority == 10);
    CHECK_STR(l.uri, "sip:10.0.0.1:5060");
    CHECK_STR(l.attrs, "weight=50;ping_from=sip:p@x");
    char b[] = "2 sip:h\r\n";
    CHECK(ds_line_parse(b, &l, err, sizeof err) == 1 && l.set == 2 && l.flags == 0 && l.priority == 0 && !*l.attrs);
    char c[] = "   # only a comment";
    CHECK(ds_line_parse(c, &l, err, sizeof err) == 0);
    char d[] = "\n";
    CHECK(ds_line_parse(d, &l, err, sizeof err) == 0);
    char e[] = "x sip:h";
    CHECK(ds_line_parse(e, &l, err, sizeof err) == -1 && strstr(err, "set id"));
    char f[] = "1";
    CHECK(ds_line_parse(f, &l, err, sizeof err) == -1 && strstr(err, "URI"));
    char g[] = "1 http://h";
    CHECK(ds_line_parse(g, &l, err, sizeof err) == -1);
    char h[] = "1 sip:h Z";
    CHECK(ds_line_parse(h, &l, err, sizeof err) == -1 && strstr(err, "flags"));
    char i[] = "1 sip:h 0 high";
    CHECK(ds_line_parse(i, &l, err, sizeof err) == -1 && strstr(err, "priority"));
    char j[] = "1 sip:h 0 0 a=b extra";
    CHECK(ds_line_parse(j, &l, err, sizeof err) == -1);
    /* as Kamailio writes and reads them */
    char k[] = "3 SIP:10.0.0.2:5080;transport=TCP 0x8 5 weight=2\n";
    CHECK(ds_line_parse(k, &l, err, sizeof err) == 1 && l.set == 3 && l.flags == DS_PROBING && l.priority == 5);
    CHECK_STR(l.uri, "sip:10.0.0.2:5080;transport=TCP"); /* only the scheme is folded */
    CHECK_STR(l.attrs, "weight=2");
    char m[] = "4 sIpS:h.example.com#backup 8 9\n";
    CHECK(ds_line_parse(m, &l, err, sizeof err) == 1 && l.set == 4 && l.flags == 0 && l.priority == 0);
    CHECK_STR(l.uri, "sips:h.example.com");
    char o[] = "5 sip:h 48";
    CHECK(ds_line_parse(o, &l, err, sizeof err) == 1 && l.flags == (DS_NODNSARES | DS_NOPING));
    char q[] = "5 sip:";
    CHECK(ds_line_parse(q, &l, err, sizeof err) == -1 && strstr(err, "URI"));
    char r[] = "5 sip:#x";
    CHECK(ds_line_parse(r, &l, err, sizeof err) == -1);
}

static void attrs(void)
{
    char k[32], v[64];
    int bad;
    const char *p = ds_attr_next("weight=5;;socket=udp:1.2.3.4:5060", k, sizeof k, v, sizeof v, &bad);
    CHECK(p && !bad);
    CHECK_STR(k, "weight");
    CHECK_STR(v, "5");
    p = ds_attr_next(p, k, sizeof k, v, sizeof v, &bad);
    CHECK(p && !bad);
    CHECK_STR(k, "socket");
    CHECK_STR(v, "udp:1.2.3.4:5060");
    CHECK(ds_attr_next(p, k, sizeof k, v, sizeof v, &bad) == NULL);
    CHECK(ds_attr_next("novalue", k, sizeof k, v, sizeof v, &bad) && bad);
    CHECK(ds_attr_next("=x", k, sizeof k, v, sizeof v, &bad) && bad);
}

static void codes(void)
{
    struct ds_codes c;
    char err[128];
    CHECK(ds_codes_parse("class=2;code=403", &c, err, sizeof err) == 0);
    CHECK(ds_codes_match(&c, 200) && ds_codes_match(&c, 299) && ds_codes_match(&c, 403));
    CHECK(!ds_codes_match(&c, 404) && !ds_codes_match(&c, 408) && !ds_codes_match(&c, 0));
    CHECK(ds_codes_parse("code=488,code=501", &c, err, sizeof err) == 0 && ds_codes_match(&c, 501) && !ds_codes_match(&c, 200));
    CHECK(ds_codes_parse("class=7", &c, err, sizeof err) == -1);
    CHECK(ds_codes_parse("cod=403", &c, err, sizeof err) == -1);
    CHECK(ds_codes_parse("", &c, err, sizeof err) == -1);
}

static void selection(void)
{
    CHECK(ds_hash("abc", 3) == ds_hash("abc", 3));
    CHECK(ds_hash("abc", 3) != ds_hash("abd", 3));
    CHECK(ds_hash("", 0) == 2166136261u);
    int w[3] = { 5, 3, 2 }, cur[3] = { 0 }, n[3] = { 0 };
    unsigned char ok[3] = { 1, 1, 1 };
    for (int i = 0; i < 100; i++)
        n[ds_wrr_pick(w, cur, ok, 3)]++;
    CHECK(n[0] == 50 && n[1] == 30 && n[2] == 20);
    /* smooth: the heaviest never runs more than twice in a row with 5:3:2 */
    int last = -1, run = 0, maxrun = 0;
    for (int i = 0; i < 20; i++) {
        int p = ds_wrr_pick(w, cur, ok, 3);
        run = p == last ? run + 1 : 1;
        last = p;
        maxrun = run > maxrun ? run : maxrun;
    }
    CHECK(maxrun <= 2);
    ok[0] = 0;
    n[0] = n[1] = n[2] = 0;
    for (int i = 0; i < 50; i++)
        n[ds_wrr_pick(w, cur, ok, 3)]++;
    CHECK(n[0] == 0 && n[1] == 30 && n[2] == 20);
    ok[1] = ok[2] = 0;
    CHECK(ds_wrr_pick(w, cur, ok, 3) == -1);
    int zero[2] = { 0, 0 }, c2[2] = { 0 };
    unsigned char ok2[2] = { 1, 1 };
    CHECK(ds_wrr_pick(zero, c2, ok2, 2) != ds_wrr_pick(zero, c2, ok2, 2)); /* weight 0 counts as 1 */
}

int main(void)
{
    flags();
    lines();
    attrs();
    codes();
    selection();
    return check_report("test_dispatcher");
}
