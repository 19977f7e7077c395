/* The msg and sip Lua functions with fuzzed arguments: a fixed INVITE goes to lua_api.lua,
 * whose route calls the function the input names with the arguments it carries. */
#include "fuzz_common.h"
#include "lua/script.h"
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static const char invite[] =
    "INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-fuzz;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@127.0.0.1>;tag=a1\r\n"
    "To: <sip:bob@127.0.0.1>\r\n"
    "Call-ID: fuzz-call@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@127.0.0.1:5070>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n\r\nv=0\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sip_source src;
    static int ready;
    if (!ready) {
        fuzz_init(FUZZ_SCRIPT);
        src = fuzz_udp_source();
        ready = 1;
    }
    lua_State *L = script_current->L;
    lua_pushlstring(L, (const char *)data, size);
    lua_setglobal(L, "FUZZ");
    char buf[sizeof invite];
    memcpy(buf, invite, sizeof invite);
    sip_receive(buf, sizeof invite - 1, &src);
    fuzz_drain();
    return 0;
}
