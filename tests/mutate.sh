#!/usr/bin/env bash
# Mutation check: does the test suite notice when the server breaks?
#
#   tests/mutate.sh [-a] [-k] [NAME...]
#
# Copies the tree (its files as they are in the work tree, untracked ones too) to a scratch folder, builds it,
# runs the tests the mutations name once unchanged (they must pass), then applies each mutation
# of tests/mutations.list alone, rebuilds, runs its tests (-a: the whole suite) and restores the
# file. NAME... limits the run to those mutations; -k keeps the scratch folder.
#
# A mutation is "caught" when a test fails, "NOT CAUGHT" when every test passes, "did not apply"
# when its sed pattern no longer changes the file (the code moved: update the list), "no build"
# when the mutated tree does not compile (a bad mutation). Exit status 0 only when every
# mutation run was caught. No Debian or npm package offers a C mutation tool (mull is not
# packaged), so the mutations are a hand-written list: each one a real fault some test once
# missed, or one the README promises against.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
LIST=$SRC/tests/mutations.list
all=0 keep=0
while getopts ak opt; do
    case $opt in
        a) all=1 ;;
        k) keep=1 ;;
        *) sed -n '2,4p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
want=("$@")

# The list: blocks of "name", "file", "sed" (one sed -E expression), "test" (ctest names,
# space separated, without the integration/ prefix) lines; "#" comments; a blank line ends a block.
names=() files=() seds=() tests=()
parse() {
    local key val name="" file="" sexp="" test=""
    while IFS= read -r line || [ -n "$line" ]; do
        [[ $line == \#* ]] && continue
        if [ -z "$line" ]; then
            [ -n "$name" ] && names+=("$name") files+=("$file") seds+=("$sexp") tests+=("$test")
            name="" file="" sexp="" test=""
            continue
        fi
        key=${line%%:*} val=${line#*:} val=${val# }
        case $key in
            name) name=$val ;;
            file) file=$val ;;
            sed) sexp=$val ;;
            test) test=$val ;;
            *) echo "mutate.sh: $LIST: unknown key '$key'" >&2; exit 2 ;;
        esac
    done <"$LIST"
    [ -n "$name" ] && names+=("$name") files+=("$file") seds+=("$sexp") tests+=("$test")
}
parse

selected() {   # selected NAME: in the NAME... arguments (all when none)
    [ ${#want[@]} -eq 0 ] && return 0
    local w
    for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done
    return 1
}
regex() {   # regex "t1 t2": a ctest -R expression for exactly those tests
    local r
    r=$(tr ' ' '\n' <<<"$1" | sed '/^$/d' | paste -sd'|')
    printf '^(integration|unit)/(%s)$' "$r"
}

S=$(mktemp -d "${TMPDIR:-/tmp}/lunasip-mutate.XXXXXX")
cleanup() { [ "$keep" = 1 ] && echo "mutate.sh: scratch tree kept in $S" || rm -rf "$S"; }
trap cleanup EXIT
(cd "$SRC" && git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -t "$S" 2>/dev/null)
echo "mutate.sh: building a copy in $S"
{ cmake -S "$S" -B "$S/build" -DLUNASIP_WERROR=OFF && cmake --build "$S/build" -j2; } >"$S/build.log" 2>&1 ||
    { tail -20 "$S/build.log"; echo "mutate.sh: the unchanged tree does not build"; exit 2; }

run_tests() {   # run_tests "t1 t2" LOG: 0 when they all pass
    if [ "$all" = 1 ]; then
        ctest --test-dir "$S/build" -j2 --output-on-failure >"$2" 2>&1
    else
        ctest --test-dir "$S/build" -j2 --output-on-failure -R "$(regex "$1")" >"$2" 2>&1 &&
            ! grep -q 'No tests were found' "$2"
    fi
}

alltests=""
for i in "${!names[@]}"; do selected "${names[$i]}" && alltests+=" ${tests[$i]}"; done
alltests=$(tr ' ' '\n' <<<"$alltests" | sed '/^$/d' | sort -u | paste -sd' ')
echo "mutate.sh: baseline: $alltests"
if ! run_tests "$alltests" "$S/baseline.log"; then
    grep -E 'Failed|Timeout|Not Run|No tests' "$S/baseline.log"
    echo "mutate.sh: the tests fail without any mutation: fix that first"
    exit 2
fi

declare -A result=()
bad=0
for i in "${!names[@]}"; do
    name=${names[$i]} f=$S/${files[$i]}
    selected "$name" || continue
    if [ ! -f "$f" ]; then
        result[$name]="did not apply (no file ${files[$i]})"
        bad=1
        continue
    fi
    cp "$f" "$S/orig"
    sed -E -i "${seds[$i]}" "$f" 2>"$S/sed.err"
    if cmp -s "$f" "$S/orig"; then
        result[$name]="did not apply$([ -s "$S/sed.err" ] && printf ' (sed: %s)' "$(head -1 "$S/sed.err")")"
        bad=1
    elif ! cmake --build "$S/build" -j2 >"$S/build-$name.log" 2>&1; then
        result[$name]="no build (see the mutation)"
        bad=1
    elif run_tests "${tests[$i]}" "$S/test-$name.log"; then
        result[$name]="NOT CAUGHT"
        bad=1
    else
        result[$name]="caught by $(sed -n 's/.*- \(integration\|unit\)\/\([^ ]*\) (\(Failed\|Timeout\)).*/\2/p' "$S/test-$name.log" | paste -sd' ')"
    fi
    cp "$S/orig" "$f"
    touch "$f"
    printf '%-28s %s\n' "$name" "${result[$name]}"
done
cmake --build "$S/build" -j2 >/dev/null 2>&1

echo
echo "| mutation | file | tests run | result |"
echo "| --- | --- | --- | --- |"
for i in "${!names[@]}"; do
    selected "${names[$i]}" || continue
    printf '| %s | %s | %s | %s |\n' "${names[$i]}" "${files[$i]}" \
        "$([ "$all" = 1 ] && echo all || echo "${tests[$i]}")" "${result[${names[$i]}]}"
done
exit "$bad"
