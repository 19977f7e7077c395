/* The tm branch decoder: any Via branch of a reply is decoded; what decodes encodes back to
 * the same numbers. */
#include "units/tm/tm_util.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *b = malloc(size + 1);
    memcpy(b, data, size);
    b[size] = '\0';
    unsigned idx, bno, idx2, bno2;
    unsigned long long id, id2;
    if (tm_branch_decode(b, &idx, &id, &bno) == 0) {
        char out[128];
        tm_branch_encode(out, sizeof out, idx, id, bno);
        if (tm_branch_decode(out, &idx2, &id2, &bno2) != 0 || idx2 != idx || id2 != id || bno2 != bno)
            abort();
    }
    free(b);
    return 0;
}
