/* The whole SIP receive path up to the route: bytes from a UDP peer go through sip_receive()
 * (parser, checks, hooks) into receive.lua, whose routes touch every msg field and header
 * function, then reply, forward or drop. */
#include "fuzz_common.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sip_source src;
    static int ready;
    if (!ready) {
        fuzz_init(FUZZ_SCRIPT);
        src = fuzz_udp_source();
        ready = 1;
    }
    if (size > SIP_MAX_MESSAGE)
        return 0;
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    sip_receive(buf, size, &src);
    free(buf);
    fuzz_drain();
    return 0;
}
