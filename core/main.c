/* lunasip: command line. */
#include "log.h"
#include "server.h"
#include <event2/event.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* -V: ours, then the libraries: libevent as loaded at run time, Lua and libosip2 as built against
 * (libosip2 has no run-time version call; Lua's run-time lua_version() is the 5.4 number only). */
static void version(void)
{
    printf("lunasip %s\n%s\nlibevent %s\nlibosip2 %s\n", LUNASIP_VERSION, LUA_RELEASE, event_get_version(),
           LUNASIP_OSIP_VERSION);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lunasip [-f SCRIPT] [-c] [-l PROTO:ADDR:PORT]... [-U UNIT_DIR] [-v|-q] [-V] [-h]\n"
            "  -f SCRIPT  route script (default: ./lunasip.lua if present, else the embedded default)\n"
            "  -c         check the script and the units it names, print OK or the reason\n"
            "  -l SPEC    listen on udp:ADDR:PORT or tcp:ADDR:PORT (repeatable; overrides config.listen)\n"
            "  -U DIR     directory of unit .so files\n"
            "  -v / -q    more / less logging (repeatable)\n"
            "  -V         print the versions of lunasip, Lua, libevent and libosip2\n"
            "  -h         this help\n");
}

int main(int argc, char **argv)
{
    struct server_options o = { 0 };
    const char *listen[64];
    int check = 0, c;
    o.listen = listen;
    while ((c = getopt(argc, argv, "f:cl:U:vqVh")) != -1) {
        switch (c) {
        case 'f': o.script = optarg; break;
        case 'c': check = 1; break;
        case 'l':
            if (o.nlisten == 64) {
                fprintf(stderr, "lunasip: too many -l options\n");
                return 2;
            }
            listen[o.nlisten++] = optarg;
            break;
        case 'U': o.unit_dir = optarg; break;
        case 'v': o.log_delta++; break;
        case 'q': o.log_delta--; break;
        case 'V': version(); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lunasip: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return check ? server_check(&o) : server_run(&o);
}
