/* Where the running binary finds what it ships with, decided at run time from the executable's
 * own location (never from a path frozen at configure time). */
#ifndef CORE_PATHS_H
#define CORE_PATHS_H

/* The default unit folder: `<exe dir>/units` when the executable runs from its build tree (its
 * folder holds CMakeCache.txt), else `<exe dir>/<bindir-to-libdir>/lunasip` as installed, else
 * (no /proc) the configured install path. The string is static; -U overrides it. */
const char *paths_unit_dir(void);

#endif
