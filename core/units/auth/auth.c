/* The auth unit: digest authentication of SIP requests (server side, RFC 7616 / RFC 2617 as SIP
 * uses them) as the Lua functions auth.challenge, auth.check and auth.consume, and the client
 * answer to a challenge for other units (include/lunasip/auth.h). Nonces carry their expiry and
 * an HMAC under a secret drawn at start: nothing is stored per nonce. Main loop only. */
#include "auth_msg.h"
#include "digest.h"
#include <lauxlib.h>
#include <lunasip/auth.h>
#include <lunasip/log.h>
#include <lunasip/lua.h>
#include <lunasip/unit.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    double nonce_expires;          /* seconds a nonce stays fresh */
    enum digest_alg algs[2];       /* offered in this order */
    int nalgs;
} cfg;

static unsigned char secret[32];   /* the nonce HMAC key of this process */
static unsigned long checks_ok, checks_failed, challenges;

/* What auth.check found, kept with the message for auth.challenge (stale) and auth.consume. */
struct auth_state {
    int stale;                     /* the last check saw an expired nonce of ours */
    char header[24];               /* where the accepted credentials are ("" when none) */
    char realm[128];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct auth_state *state_of(struct sip_msg *msg)
{
    struct auth_state *st = auth_msg_state(msg);
    if (!st && (st = calloc(1, sizeof *st)) != NULL && auth_msg_set_state(msg, st) != 0)
        st = NULL;
    return st;
}

static struct sip_msg *check_request(lua_State *L, const char *fn)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    if (!auth_msg_is_request(msg))
        luaL_error(L, "auth.%s needs a request", fn);
    return msg;
}

static const char *check_realm(lua_State *L, int idx, const char *fn)
{
    size_t len;
    const char *realm = luaL_checklstring(L, idx, &len);
    if (!len || len >= sizeof ((struct auth_state *)0)->realm || strpbrk(realm, "\"\\\r\n"))
        luaL_error(L, "auth.%s: the realm must be 1-127 characters without quotes, backslashes or line breaks", fn);
    return realm;
}

/* 401 / WWW-* for REGISTER, 407 / Proxy-* for the others. */
static int is_register(struct sip_msg *msg)
{
    return !strcmp(auth_msg_method(msg), "REGISTER");
}

/* ---- auth.challenge ---- */

/* auth.challenge(msg, realm [, {algorithms = {"SHA-256", "MD5"}, stale = bool, code = 401|407}]):
 * answer msg with a digest challenge; returns what msg:reply returns. */
static int l_challenge(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "challenge");
    const char *realm = check_realm(L, 2, "challenge");
    const char *method = auth_msg_method(msg);
    if (!strcmp(method, "ACK") || !strcmp(method, "CANCEL"))
        return luaL_error(L, "auth.challenge: an %s cannot be challenged", method);
    int code = is_register(msg) ? 401 : 407;
    struct auth_state *st = auth_msg_state(msg);
    int stale = st && st->stale;
    enum digest_alg algs[2];
    int nalgs = cfg.nalgs;
    memcpy(algs, cfg.algs, sizeof algs);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        if (lua_getfield(L, 3, "stale") != LUA_TNIL)
            stale = lua_toboolean(L, -1);
        if (lua_getfield(L, 3, "code") != LUA_TNIL) {
            code = (int)lua_tointeger(L, -1);
            if (code != 401 && code != 407)
                return luaL_error(L, "auth.challenge: opts.code must be 401 or 407");
        }
        if (lua_getfield(L, 3, "algorithms") != LUA_TNIL) {
            luaL_argcheck(L, lua_istable(L, -1), 3, "opts.algorithms must be a list such as {\"SHA-256\", \"MD5\"}");
            nalgs = 0;
            for (int i = 1; i <= 2 && lua_rawgeti(L, -1, i) != LUA_TNIL; i++) {
                enum digest_alg a = digest_alg_parse(lua_tostring(L, -1));
                if (!lua_isstring(L, -1) || a == DIGEST_UNKNOWN)
                    return luaL_error(L, "auth.challenge: unknown algorithm '%s' (MD5 or SHA-256)", lua_tostring(L, -1));
                algs[nalgs++] = a;
                lua_pop(L, 1);
            }
            if (!nalgs)
                return luaL_error(L, "auth.challenge: opts.algorithms is empty");
        }
    }
    const char *hname = code == 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 0; i < nalgs; i++) {
        unsigned char salt[8];
        char nonce[DIGEST_NONCE_LEN + 1];
        if (RAND_bytes(salt, sizeof salt) != 1 ||
            digest_nonce_make(secret, sizeof secret, realm, now_ms() + (uint64_t)(cfg.nonce_expires * 1000), salt,
                              nonce) != 0)
            return luaL_error(L, "auth.challenge: cannot make a nonce");
        char line[512];
        snprintf(line, sizeof line, "%s: Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=%s%s\r\n", hname,
                 realm, nonce, digest_alg_name(algs[i]), stale ? ", stale=true" : "");
        luaL_addstring(&b, line);
    }
    luaL_pushresult(&b);
    int hidx = lua_gettop(L);
    challenges++;
    lua_getfield(L, 1, "reply");
    lua_pushvalue(L, 1);
    lua_pushinteger(L, code);
    lua_pushnil(L);
    lua_pushvalue(L, hidx);
    lua_call(L, 4, 1);
    return 1;
}

/* ---- auth.check ---- */

/* The credentials of msg for realm: the first value of the header a challenge of ours asks for
 * (then the other one) whose realm matches. Parsed into p; *hname and *pos say where. */
static int find_credentials(struct sip_msg *msg, const char *realm, struct digest_params *p, const char **hname,
                            int *pos)
{
    const char *names[2] = { "Proxy-Authorization", "Authorization" };
    if (is_register(msg)) {
        names[0] = "Authorization";
        names[1] = "Proxy-Authorization";
    }
    for (int h = 0; h < 2; h++) {
        char *v;
        for (int i = 0; (v = auth_msg_header(msg, names[h], i)) != NULL; i++) {
            int ok = digest_parse(v, p) == 0 && p->realm && !strcmp(p->realm, realm);
            free(v);
            if (ok) {
                *hname = names[h];
                *pos = i;
                return 0;
            }
        }
    }
    return -1;
}

static int check_fail(lua_State *L, const char *reason)
{
    checks_failed++;
    lua_pushnil(L);
    lua_pushstring(L, reason);
    return 2;
}

/* Verify the credentials p (userdata at index 4, header name at 5) with the secret at index
 * sidx: a password, an HA1, {password=} / {ha1=}, or nil (unknown user). */
static int check_verify(lua_State *L, int sidx)
{
    struct sip_msg *msg = lmsg_check(L, 1);
    const char *realm = lua_tostring(L, 2);
    const struct digest_params *p = lua_touserdata(L, 4);
    enum digest_alg alg = digest_alg_parse(p->algorithm);
    const char *pw = NULL, *ha1_given = NULL;
    if (lua_isstring(L, sidx)) {
        const char *s = lua_tostring(L, sidx);
        if (digest_is_ha1(s, alg))
            ha1_given = s;
        else
            pw = s;
    } else if (lua_istable(L, sidx)) {
        if (lua_getfield(L, sidx, "ha1") == LUA_TSTRING)
            ha1_given = lua_tostring(L, -1);
        if (lua_getfield(L, sidx, "password") == LUA_TSTRING)
            pw = lua_tostring(L, -1);
        if (!ha1_given && !pw)
            return luaL_error(L, "auth.check: the secret table needs password or ha1");
        if (ha1_given && !digest_is_ha1(ha1_given, alg))
            return check_fail(L, "ha1 does not match the algorithm");
    } else if (lua_isnoneornil(L, sidx)) {
        return check_fail(L, "unknown user");
    } else {
        return luaL_error(L, "auth.check: the secret must be a string, a table or a function returning one (got %s)",
                          luaL_typename(L, sidx));
    }
    char ha1[DIGEST_HEX_MAX], want[DIGEST_HEX_MAX], got[DIGEST_HEX_MAX];
    if (ha1_given) {
        size_t i;
        for (i = 0; ha1_given[i]; i++)
            ha1[i] = (char)(ha1_given[i] | 0x20); /* hex digits to lower case */
        ha1[i] = '\0';
    } else if (digest_ha1(alg, p->username, realm, pw, ha1) != 0) {
        return luaL_error(L, "auth.check: hashing failed");
    }
    if (digest_response(alg, ha1, p->nonce, p->nc, p->cnonce, p->qop, auth_msg_method(msg), p->uri, want) != 0)
        return luaL_error(L, "auth.check: hashing failed");
    size_t n = strlen(p->response);
    if (n >= sizeof got)
        return check_fail(L, "bad password");
    for (size_t i = 0; i <= n; i++)
        got[i] = (char)(p->response[i] >= 'A' && p->response[i] <= 'F' ? p->response[i] | 0x20 : p->response[i]);
    if (!digest_equal(got, want))
        return check_fail(L, "bad password");
    struct auth_state *st = state_of(msg);
    if (!st)
        return luaL_error(L, "auth.check: out of memory");
    st->stale = 0;
    snprintf(st->header, sizeof st->header, "%s", lua_tostring(L, 5));
    snprintf(st->realm, sizeof st->realm, "%s", realm);
    checks_ok++;
    lua_pushstring(L, p->username);
    return 1;
}

/* After the secret function returned (possibly after waiting): its result is on top. */
static int check_k(lua_State *L, int status, lua_KContext ctx)
{
    return check_verify(L, lua_gettop(L));
}

/* auth.check(msg, realm, secret) -> user | nil, reason. secret: password, HA1, {password=} /
 * {ha1=}, or function(user, realm) returning one of them or nil; the function may wait. */
static int l_check(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "check");
    const char *realm = check_realm(L, 2, "check");
    luaL_checkany(L, 3);
    lua_settop(L, 3);
    struct digest_params *p = lua_newuserdatauv(L, sizeof *p, 0); /* index 4 */
    const char *hname;
    int pos;
    if (find_credentials(msg, realm, p, &hname, &pos) != 0)
        return check_fail(L, "no credentials");
    lua_pushstring(L, hname); /* index 5 */
    if (!p->username || !p->nonce || !p->uri || !p->response)
        return check_fail(L, "malformed credentials");
    if (digest_alg_parse(p->algorithm) == DIGEST_UNKNOWN)
        return check_fail(L, "unsupported algorithm");
    if (p->qop && (strcmp(p->qop, "auth") != 0 || !p->nc || !p->cnonce))
        return check_fail(L, "unsupported qop");
    int nc = digest_nonce_check(secret, sizeof secret, realm, p->nonce, now_ms());
    if (nc < 0)
        return check_fail(L, "bad nonce");
    if (nc > 0) {
        struct auth_state *st = state_of(msg);
        if (st)
            st->stale = 1;
        return check_fail(L, "stale");
    }
    if (!lua_isfunction(L, 3))
        return check_verify(L, 3);
    lua_pushvalue(L, 3);
    lua_pushstring(L, p->username);
    lua_pushvalue(L, 2);
    lua_callk(L, 2, 1, 0, check_k);
    return check_k(L, LUA_OK, 0);
}

/* ---- auth.consume ---- */

/* auth.consume(msg) -> true when the credentials auth.check accepted were removed. */
static int l_consume(lua_State *L)
{
    struct sip_msg *msg = check_request(L, "consume");
    struct auth_state *st = auth_msg_state(msg);
    int done = 0;
    if (st && st->header[0]) {
        char *v;
        struct digest_params p;
        for (int i = 0; !done && (v = auth_msg_header(msg, st->header, i)) != NULL; i++) {
            int ours = digest_parse(v, &p) == 0 && p.realm && !strcmp(p.realm, st->realm);
            free(v);
            if (ours)
                done = auth_msg_remove_value(msg, st->header, i) == 0;
        }
        st->header[0] = '\0';
    }
    lua_pushboolean(L, done);
    return 1;
}

static int l_stats(lua_State *L)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)challenges);
    lua_setfield(L, -2, "challenges");
    lua_pushinteger(L, (lua_Integer)checks_ok);
    lua_setfield(L, -2, "accepted");
    lua_pushinteger(L, (lua_Integer)checks_failed);
    lua_setfield(L, -2, "refused");
    return 1;
}

static const luaL_Reg lua_fns[] = {
    { "challenge", l_challenge }, { "check", l_check }, { "consume", l_consume }, { "stats", l_stats }, { NULL, NULL },
};

/* ---- typed API: client side ---- */

static int api_answer(const char *challenge, const char *user, const char *password, const char *method,
                      const char *uri, char *out, size_t outlen, char *err, size_t errlen)
{
    struct digest_params ch;
    unsigned char rnd[8];
    char cnonce[17];
    const char *why = NULL;
    if (digest_parse(challenge, &ch) != 0) {
        snprintf(err, errlen, "malformed digest challenge");
        return -1;
    }
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        snprintf(err, errlen, "no random bytes for the cnonce");
        return -1;
    }
    for (int i = 0; i < 8; i++)
        snprintf(cnonce + 2 * i, 3, "%02x", rnd[i]);
    if (digest_answer(&ch, user, password, method, uri, cnonce, out, outlen, &why) != 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    return 0;
}

static const struct auth_api api = { .answer = api_answer };

/* ---- unit ---- */

static int auth_init(lua_State *L, char *err, size_t errlen)
{
    cfg.nonce_expires = 300;
    cfg.algs[0] = DIGEST_MD5; /* only MD5 by default: some phones (libre before 2.x, so baresip 1.0)
                               * fail on any challenge they cannot answer instead of skipping it */
    cfg.nalgs = 1;
    if (!lua_isnil(L, -1) && !lua_istable(L, -1)) {
        snprintf(err, errlen, "parameters must be a table, e.g. { nonce_expires = 300 }");
        return -1;
    }
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "(not a name)";
            if (!strcmp(k, "nonce_expires")) {
                double v = lua_tonumber(L, -1);
                if (!lua_isnumber(L, -1) || v <= 0 || v > 86400) {
                    snprintf(err, errlen, "nonce_expires must be a number of seconds in (0, 86400]");
                    return -1;
                }
                cfg.nonce_expires = v;
            } else if (!strcmp(k, "algorithms")) {
                cfg.nalgs = 0;
                for (int i = 1; lua_istable(L, -1); i++) {
                    int t = lua_rawgeti(L, -1, i);
                    enum digest_alg a = t == LUA_TSTRING ? digest_alg_parse(lua_tostring(L, -1)) : DIGEST_UNKNOWN;
                    lua_pop(L, 1);
                    if (t == LUA_TNIL)
                        break;
                    if (a == DIGEST_UNKNOWN || cfg.nalgs == 2) {
                        snprintf(err, errlen, "algorithms must list MD5 and/or SHA-256");
                        return -1;
                    }
                    cfg.algs[cfg.nalgs++] = a;
                }
                if (!cfg.nalgs) {
                    snprintf(err, errlen, "algorithms must list MD5 and/or SHA-256, e.g. { \"SHA-256\", \"MD5\" }");
                    return -1;
                }
            } else {
                snprintf(err, errlen, "unknown parameter '%s' (known: nonce_expires, algorithms)", k);
                return -1;
            }
            lua_pop(L, 1);
        }
    }
    if (RAND_bytes(secret, sizeof secret) != 1) {
        snprintf(err, errlen, "OpenSSL gave no random bytes for the nonce secret");
        return -1;
    }
    return 0;
}

static void auth_stop(void)
{
    if (challenges || checks_ok || checks_failed)
        ls_log(LS_LOG_INFO, "auth", "stopped: %lu challenges, %lu credentials accepted, %lu refused", challenges,
               checks_ok, checks_failed);
}

static const struct ls_unit auth_unit = {
    .name = "auth",
    .init = auth_init,
    .stop = auth_stop,
    .lua = lua_fns,
    .api = &api,
};

LS_UNIT_EXPORT(auth_unit)
