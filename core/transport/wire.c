/* The wire validator (include/lunasip/wire.h). */
#include <lunasip/wire.h>
#include <string.h>

static int sip_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-.!%*_+`'~", c));
}

static int all(const char *s, size_t len, int (*ok)(unsigned char))
{
    if (!s || !len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!ok((unsigned char)s[i]))
            return 0;
    return 1;
}

static int tchar(unsigned char c) { return sip_token_char(c) || (c && strchr("#$&^|", c)); }
static int value_char(unsigned char c) { return c != '\r' && c != '\n' && c != '\0'; }
static int uri_char(unsigned char c) { return c > ' ' && c != 0x7f; }

int ls_wire_token(const char *s, size_t len) { return all(s, len, sip_token_char); }
int ls_wire_header_name(const char *s, size_t len) { return all(s, len, tchar); }
int ls_wire_header_value(const char *s, size_t len) { return !len || all(s, len, value_char); }
int ls_wire_uri(const char *s, size_t len) { return all(s, len, uri_char); }
