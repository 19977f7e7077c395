/* The one validator for text that reaches the wire (SIP or HTTP): everything a route, a unit
 * parameter or an API caller puts into a message goes through one of these before it is
 * written, so that no value can end a line, a header or the message early. Pure functions,
 * any thread. Each takes the length (Lua strings may hold NUL bytes) and returns 1 when s is
 * acceptable, 0 when not. */
#ifndef LUNASIP_WIRE_H
#define LUNASIP_WIRE_H
#include <stddef.h>
#include <lunasip/api.h>

LS_API_BEGIN
/* RFC 3261 token (a SIP method, a parameter name): one or more of alphanum - . ! % * _ + ` ' ~ */
int ls_wire_token(const char *s, size_t len);

/* A header name, SIP or HTTP: one or more RFC 7230 tchar (the RFC 3261 token characters plus
 * # $ & ^ |); no space, colon, CR, LF or NUL. */
int ls_wire_header_name(const char *s, size_t len);

/* A header value: no CR, LF or NUL (so no folding and no injected header); may be empty. */
int ls_wire_header_value(const char *s, size_t len);

/* A URI for a request line or a header: non-empty, no space, no control character (CR, LF,
 * NUL, TAB, DEL). Says nothing about the URI's syntax. */
int ls_wire_uri(const char *s, size_t len);

LS_API_END
#endif
