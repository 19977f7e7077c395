/* The location table: AORs in a hash table, each with its bindings in preference order.
 * Lives in the unit, so a script reload keeps it. Main loop only. */
#include "reg.h"
#include <lunasip/log.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REG_HASH_SIZE 4096

static struct reg_aor *table[REG_HASH_SIZE];
unsigned long reg_naors, reg_nbindings;

uint64_t reg_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % REG_HASH_SIZE;
}

struct reg_aor *reg_aor_find(const char *aor)
{
    struct reg_aor *a = table[hash(aor)];
    while (a && strcmp(a->aor, aor) != 0)
        a = a->hnext;
    return a;
}

struct reg_aor *reg_aor_get(const char *aor)
{
    struct reg_aor *a = reg_aor_find(aor);
    if (a)
        return a;
    if ((long)reg_naors >= reg_cfg.max_aors) {
        static int warned;
        if (!warned++)
            ls_log(LS_LOG_WARN, REG_UNIT, "max_aors (%ld) reached: new AORs are refused with 503", reg_cfg.max_aors);
        return NULL;
    }
    if (!(a = calloc(1, sizeof *a)) || !(a->aor = strdup(aor))) {
        free(a);
        return NULL;
    }
    unsigned h = hash(aor);
    a->hnext = table[h];
    table[h] = a;
    reg_naors++;
    return a;
}

void reg_aor_drop_if_empty(struct reg_aor *a)
{
    if (a->bindings)
        return;
    struct reg_aor **p = &table[hash(a->aor)];
    while (*p != a)
        p = &(*p)->hnext;
    *p = a->hnext;
    reg_naors--;
    free(a->aor);
    free(a);
}

void reg_unlink(struct reg_aor *a, struct reg_binding *b)
{
    struct reg_binding **p = &a->bindings;
    while (*p && *p != b)
        p = &(*p)->next;
    if (*p) {
        *p = b->next;
        a->n--;
        reg_nbindings--;
    }
    b->next = NULL;
}

/* A binding without q ranks as q=1.0. */
static int effective_q(const struct reg_binding *b)
{
    return b->q < 0 ? 1000 : b->q;
}

void reg_insert(struct reg_aor *a, struct reg_binding *b)
{
    struct reg_binding **p = &a->bindings;
    int q = effective_q(b);
    while (*p && (effective_q(*p) > q || (effective_q(*p) == q && (*p)->updated_ms >= b->updated_ms)))
        p = &(*p)->next;
    b->next = *p;
    *p = b;
    a->n++;
    reg_nbindings++;
}

void reg_binding_free(struct reg_binding *b)
{
    if (!b)
        return;
    free(b->contact);
    free(b->instance);
    free(b->call_id);
    free(b->path);
    free(b->user_agent);
    free(b);
}

int reg_remove(const char *aor, const char *contact)
{
    struct reg_aor *a = reg_aor_find(aor);
    int n = 0;
    if (!a)
        return 0;
    for (struct reg_binding *b = a->bindings, *next; b; b = next) {
        next = b->next;
        if (!contact || reg_uri_equal(b->contact, contact)) {
            reg_unlink(a, b);
            reg_binding_free(b);
            n++;
        }
    }
    reg_aor_drop_if_empty(a);
    return n;
}

int reg_expire(void)
{
    uint64_t now = reg_now_ms();
    int n = 0;
    for (int i = 0; i < REG_HASH_SIZE; i++)
        for (struct reg_aor *a = table[i], *anext; a; a = anext) {
            anext = a->hnext;
            for (struct reg_binding *b = a->bindings, *next; b; b = next) {
                next = b->next;
                if (b->expires_ms <= now) {
                    ls_log(LS_LOG_INFO, REG_UNIT, "%s: binding %s expired", a->aor, b->contact);
                    reg_unlink(a, b);
                    reg_binding_free(b);
                    n++;
                }
            }
            reg_aor_drop_if_empty(a);
        }
    return n;
}

void reg_foreach(void (*fn)(struct reg_aor *a, void *arg), void *arg)
{
    for (int i = 0; i < REG_HASH_SIZE; i++)
        for (struct reg_aor *a = table[i]; a; a = a->hnext)
            fn(a, arg);
}

void reg_store_clear(void)
{
    for (int i = 0; i < REG_HASH_SIZE; i++)
        while (table[i]) {
            struct reg_aor *a = table[i];
            while (a->bindings) {
                struct reg_binding *b = a->bindings;
                reg_unlink(a, b);
                reg_binding_free(b);
            }
            reg_aor_drop_if_empty(a);
        }
}
