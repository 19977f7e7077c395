/* What the lunasip executable exports to units. The core is built with -fvisibility=hidden:
 * only what a public header (the headers in include/lunasip/) declares between LS_API_BEGIN and LS_API_END,
 * or marks LS_API, is visible to a unit; everything else stays inside the executable. Every
 * public header wraps its declarations in LS_API_BEGIN / LS_API_END. The unit ABI version
 * (LS_UNIT_ABI, lunasip/abi.h) is derived from the text of these headers. */
#ifndef LUNASIP_API_H
#define LUNASIP_API_H

#define LS_API __attribute__((visibility("default")))
#define LS_API_BEGIN _Pragma("GCC visibility push(default)")
#define LS_API_END _Pragma("GCC visibility pop")

#endif
