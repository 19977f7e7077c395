/* Shared set-up of the libFuzzer targets (tests/fuzz/README.md): one event loop, quiet logs,
 * the script tests/fuzz/<name>.lua as the current script, and no name lookups or datagrams
 * leaving the process (sends are dropped by fuzz_common.c's --wrap=sendto). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#include <lunasip/transport.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Once per process: loop, logs, message library, script (NULL: none). Returns the base. */
struct event_base *fuzz_init(const char *script);

/* Run the loop until nothing is ready (callbacks of what the input started). */
void fuzz_drain(void);

/* A UDP source 127.0.0.1:5070 on the first UDP listener. */
struct sip_source fuzz_udp_source(void);

#endif
