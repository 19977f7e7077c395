/* The wire validator (include/lunasip/wire.h): tokens, header names and values, URIs. */
#include "check.h"
#include <lunasip/wire.h>

#define OK(fn, lit) CHECK(fn(lit, sizeof lit - 1))
#define BAD(fn, lit) CHECK(!fn(lit, sizeof lit - 1))

int main(void)
{
    OK(ls_wire_token, "INVITE");
    OK(ls_wire_token, "X-My.method!%*_+`'~");
    BAD(ls_wire_token, "");
    BAD(ls_wire_token, "IN VITE");
    BAD(ls_wire_token, "INVITE\r\n");
    BAD(ls_wire_token, "INV\0ITE");
    BAD(ls_wire_token, "A:B");
    BAD(ls_wire_token, "A#B"); /* not a SIP token character */
    CHECK(!ls_wire_token(NULL, 0));

    OK(ls_wire_header_name, "X-Custom");
    OK(ls_wire_header_name, "X#Hash"); /* RFC 7230 tchar */
    BAD(ls_wire_header_name, "");
    BAD(ls_wire_header_name, "X Custom");
    BAD(ls_wire_header_name, "X-Custom:");
    BAD(ls_wire_header_name, "X\r\nVia");
    BAD(ls_wire_header_name, "X\0Y");
    BAD(ls_wire_header_name, "X\tY");

    OK(ls_wire_header_value, "");
    OK(ls_wire_header_value, "a value, with; params=1 \t and tabs");
    OK(ls_wire_header_value, "caf\xc3\xa9");
    BAD(ls_wire_header_value, "a\r\nVia: SIP/2.0/UDP evil");
    BAD(ls_wire_header_value, "a\nb");
    BAD(ls_wire_header_value, "a\rb");
    BAD(ls_wire_header_value, "a\0b");
    CHECK(ls_wire_header_value(NULL, 0));

    OK(ls_wire_uri, "sip:alice@example.com;transport=tcp");
    OK(ls_wire_uri, "sip:[::1]:5060");
    BAD(ls_wire_uri, "");
    BAD(ls_wire_uri, "sip:a@b SIP/2.0");
    BAD(ls_wire_uri, "sip:a@b\r\n");
    BAD(ls_wire_uri, "sip:a@b\0x");
    BAD(ls_wire_uri, "sip:a@b\x7f");
    BAD(ls_wire_uri, "sip:a@b\t");
    return check_report("test_wire");
}
