#!/usr/bin/env bash
# The executable exports the unit API and nothing else: every symbol it defines for units (its
# dynamic symbol table) is declared in a public header (include/lunasip/), and the core's
# internals (script_load, unit_load_all, http_start, ...) are not visible.
. "$(dirname "$0")/lib/common.sh"
command -v nm >/dev/null || fail "nm not installed (binutils)"

nm -D --defined-only "$LUNASIP_BIN" | awk '{ print $3 }' | sed 's/@.*//' |
    grep -Ev '^(_.*|main|data_start|optarg|optind|stderr|stdout|stdin)$' >"$T/exports"
[ -s "$T/exports" ] || fail "the executable exports nothing: units could not resolve the core"
while read -r sym; do
    grep -qw "$sym" "$LUNASIP_SRC"/include/lunasip/*.h || echo "$sym" >>"$T/private"
done <"$T/exports"
[ -s "$T/private" ] && fail "exported but not in include/lunasip/: $(tr '\n' ' ' <"$T/private")"
for sym in script_load unit_load_all http_start server_run sip_hook_set; do
    grep -qx "$sym" "$T/exports" && fail "internal function $sym is exported"
done
grep -qx ls_unit_api "$T/exports" || fail "ls_unit_api is not exported"
pass
