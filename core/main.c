/* lunasip: command line. */
#include "log.h"
#include "server.h"
#include <ares.h>
#include <event2/event.h>
#include <jansson.h>
#include <lua.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One -V line: the version the library reports at run time (run), with the one we were built
 * against beside it when they differ; "(build)" when the library has no run-time call. */
static void lib_version(const char *name, const char *run, const char *build)
{
    if (!run)
        printf("%s %s (build)\n", name, build);
    else if (strcmp(run, build) != 0)
        printf("%s %s (built with %s)\n", name, run, build);
    else
        printf("%s %s\n", name, run);
}

/* -V: ours, then the libraries. libosip2 has no run-time version call; Lua's lua_version()
 * says only major and minor (504), shown beside the release built against. */
static void version(void)
{
    char lua[64];
    int lv = (int)lua_version(NULL);
    printf("lunasip %s\n", LUNASIP_VERSION);
    snprintf(lua, sizeof lua, "%s.%s.%s (build; run time %d.%d)", LUA_VERSION_MAJOR, LUA_VERSION_MINOR,
             LUA_VERSION_RELEASE, lv / 100, lv % 100);
    printf("Lua %s\n", lua);
    lib_version("libevent", event_get_version(), LIBEVENT_VERSION);
    lib_version("libosip2", NULL, LUNASIP_OSIP_VERSION);
    lib_version("OpenSSL", OpenSSL_version(OPENSSL_VERSION) + 8, OPENSSL_VERSION_TEXT + 8); /* after "OpenSSL " */
    lib_version("c-ares", ares_version(NULL), ARES_VERSION_STR);
    lib_version("jansson", jansson_version_str(), JANSSON_VERSION);
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
            "  -V         print the versions of lunasip and its libraries\n"
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
