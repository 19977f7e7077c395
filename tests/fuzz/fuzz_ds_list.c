/* The dispatcher list parser: the input is a list file. */
#include "units/dispatcher/ds.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* What ds_list.c uses from the rest of the unit. */
struct ds_config ds_cfg;
const struct tm_api *ds_tm;
void ds_resolve_all(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    char err[512];
    if (fd < 0) {
        fd = memfd_create("ds_list", 0);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    json_t *bad = json_array();
    struct ds_list *l = ds_list_load(path, size && data[0] & 1, bad, err, sizeof err);
    json_decref(bad);
    if (l) {
        ds_list_strip_probing(l);
        for (int i = 0; i < l->nsets; i++)
            for (int j = 0; j < l->sets[i].n; j++)
                if (ds_dest_find(ds_set_find(l, l->sets[i].id), l->sets[i].d[j].uri) == NULL)
                    abort();
        ds_list_free(l);
    }
    return 0;
}
