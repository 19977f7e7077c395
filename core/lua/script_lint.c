/* Warnings for `lunasip -c` about a script that calls Kamailio's KSR.* (KEMI) functions, which
 * lunasip does not have. Main loop only. */
#include "lua/script.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MIGRATION_GUIDE "docs/kamailio-migration.md (installed as " LUNASIP_DOC_DIR "/kamailio-migration.md)"

/* Where a line's code ends: at a "--" comment outside a string (long strings and comments
 * spanning lines are not followed: this is a hint, not a parser). */
static size_t code_len(const char *line)
{
    char quote = 0;
    for (size_t i = 0; line[i]; i++) {
        if (quote) {
            if (line[i] == '\\' && line[i + 1])
                i++;
            else if (line[i] == quote)
                quote = 0;
        } else if (line[i] == '"' || line[i] == '\'') {
            quote = line[i];
        } else if (line[i] == '-' && line[i + 1] == '-') {
            return i;
        }
    }
    return strlen(line);
}

/* Report the lines of path that use KSR.x / KSR:x / KSR[...]; returns how many. */
static int lint_ksr(const char *path, FILE *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[4096];
    int lineno = 0, found = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = code_len(line);
        for (size_t i = 0; i + 3 < n; i++) {
            if (strncmp(line + i, "KSR", 3) != 0 || (i > 0 && (isalnum((unsigned char)line[i - 1]) || line[i - 1] == '_')))
                continue;
            size_t j = i + 3;
            while (j < n && (line[j] == ' ' || line[j] == '\t'))
                j++;
            if (j >= n || (line[j] != '.' && line[j] != ':' && line[j] != '['))
                continue;
            size_t k = j + 1, e;
            while (k < n && (line[k] == ' ' || line[k] == '\t'))
                k++;
            for (e = k; e < n && (isalnum((unsigned char)line[e]) || line[e] == '_' || line[e] == '.'); e++)
                ;
            if (found++ < 10)
                fprintf(out, "warning: %s:%d: KSR.%.*s is Kamailio's KEMI, which lunasip does not have\n", path, lineno,
                        (int)(e - k), line + k);
            i = e;
        }
    }
    fclose(f);
    if (found > 10)
        fprintf(out, "warning: %s: %d more KSR.* calls\n", path, found - 10);
    if (found)
        fprintf(out, "warning: %s calls KSR.* %d times: see %s for the lunasip equivalent of each\n", path, found,
                MIGRATION_GUIDE);
    return found;
}

int script_lint(struct script *s, FILE *out)
{
    return s->path ? lint_ksr(s->path, out) : 0;
}
