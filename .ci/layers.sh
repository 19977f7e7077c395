#!/usr/bin/env bash
# The layer check: reads the #include lines of the core and the units and fails when
#   - a lower layer includes an upper one:
#       base (core/log.h, core/stats.h, lunasip/{api,abi,fmt,log,loop,wire}.h)
#       < transport < sip < lua < http < process (core/*.c|h)
#     a file may include its own layer and any lower one; public headers count in the layer
#     that implements them (lunasip/msg.h is sip, lunasip/coro.h is lua, ...);
#   - a unit (core/units/<name>/, examples/units/<name>/) includes anything but
#     include/lunasip/, its own folder and system or library headers (<...> not from the core).
# Usage: .ci/layers.sh [ROOT]   (default: the tree this script is in)
#        .ci/layers.sh --self-test   plants bad includes in a copy and expects failures.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)

# The layer of an include target (a path under core/ or lunasip/NAME.h) into L, "" when unknown.
layer_of() {
    case $1 in
        log.h|stats.h|loop.h|lunasip/api.h|lunasip/abi.h|lunasip/fmt.h|lunasip/log.h|lunasip/loop.h|lunasip/wire.h) L=0 ;;
        transport/*|lunasip/transport.h) L=1 ;;
        sip/*|lunasip/msg.h|lunasip/stats.h|lunasip/hook.h|lunasip/proxy.h|lunasip/via.h|lunasip/branch.h) L=2 ;;
        lua/*|lunasip/coro.h|lunasip/lua.h|lunasip/sip.h) L=3 ;;
        http/*|lunasip/http.h) L=4 ;;
        lunasip/*) L=5 ;; # unit.h and the units' APIs
        */*) L="" ;;
        *) L=5 ;; # core/*.h: the process
    esac
}
# The target of an #include line into T.
target_of() {
    T=""
    [[ $1 =~ ^#[[:space:]]*include[[:space:]]*[\<\"]([^\>\"]+) ]] && T=${BASH_REMATCH[1]}
}
names=(base transport sip lua http process)

check() {
    local root=$1 bad=0 f rel own inc target l L T
    cd "$root" || return 2
    # the core, by folder
    while IFS= read -r f; do
        rel=${f#core/}
        case $rel in
            transport/*) own=1 ;; sip/*) own=2 ;; lua/*) own=3 ;; http/*) own=4 ;; units/*) continue ;;
            */*) continue ;;
            *) layer_of "$rel"; own=$L ;;
        esac
        while IFS= read -r inc; do
            target_of "$inc"; target=$T
            [[ $inc == *'<'* && $target != lunasip/* ]] && continue # system or library header
            layer_of "$target"; l=$L
            [ -z "$l" ] && continue
            if [ "$l" -gt "$own" ]; then
                echo "layers: $f (${names[$own]}) includes $target (${names[$l]}), an upper layer"
                bad=1
            fi
        done < <(grep -E '^#[[:space:]]*include' "$f")
    done < <(find core -name '*.[ch]' | sort)
    # units: include/lunasip, their own folder, <system/library> headers
    while IFS= read -r f; do
        local dir
        dir=$(dirname "$f")
        while IFS= read -r inc; do
            target_of "$inc"; target=$T
            if [[ $inc == *'"'* ]]; then
                [[ $target != */* && -e $dir/$target ]] && continue
                echo "layers: unit file $f includes \"$target\": units include only <lunasip/...>, their own folder and system headers"
                bad=1
            elif [[ $target == lunasip/* ]]; then
                [ -e "include/$target" ] || [ "$target" = lunasip/abi.h ] && continue
                echo "layers: unit file $f includes <$target>, which is not a public header"
                bad=1
            elif [ -e "core/$target" ]; then
                echo "layers: unit file $f includes <$target>, a core header"
                bad=1
            fi
        done < <(grep -E '^#[[:space:]]*include' "$f")
    done < <(find core/units examples/units -name '*.[ch]' 2>/dev/null | sort)
    return $bad
}

self_test() {
    local rc=0
    tmp=$(mktemp -d) || exit 2
    trap 'rm -rf "$tmp"' EXIT
    cp -r "$here/core" "$here/include" "$tmp/"
    mkdir -p "$tmp/examples" && cp -r "$here/examples/units" "$tmp/examples/" 2>/dev/null
    check "$tmp" >/dev/null || { echo "layers self-test: the clean tree already fails"; return 1; }
    local plant
    for plant in 'core/transport/udp.c:#include "sip/hook.h"' 'core/sip/via.c:#include <lunasip/coro.h>' \
                 'core/lua/coro.c:#include "http/http.h"' 'core/http/metrics.c:#include "server.h"' \
                 'core/units/tm/tm.c:#include "lua/script.h"' 'core/units/tm/tm.c:#include "../dispatcher/ds.h"'; do
        local file=${plant%%:*} line=${plant#*:}
        cp "$here/$file" "$tmp/$file"
        printf '%s\n' "$line" >>"$tmp/$file"
        if check "$tmp" >"$tmp/out"; then
            echo "layers self-test: '$line' in $file was not caught"
            rc=1
        else
            grep -q "$file" "$tmp/out" || { echo "layers self-test: the report does not name $file"; rc=1; }
        fi
        cp "$here/$file" "$tmp/$file"
    done
    [ $rc -eq 0 ] && echo "layers self-test: OK (6 planted bad includes caught)"
    return $rc
}

if [ "${1:-}" = --self-test ]; then
    self_test
    exit $?
fi
check "${1:-$here}" && echo "layers: OK"
