# Helpers for the HTTP integration tests; source after common.sh:
#
#   . "$(dirname "$0")/lib/common.sh"
#   . "$(dirname "$0")/lib/http.sh"
#
# start_http SCRIPT [ARGS...]  picks a SIP port ($PORT) and an HTTP port ($HTTP_PORT), exports
#                              HTTP_LISTEN for the script's config.http.listen, starts the server
#                              and waits until the HTTP port answers /health.
# hcurl [CURL ARGS...] PATH    curl against the server (PATH starts with /); sets HTTP_STATUS
#                              (000: no answer) and HTTP_BODY. Not in $(...): the variables
#                              would stay in the subshell.
# expect_http CODE WHAT [CURL ARGS...] PATH   hcurl and require status CODE.

command -v curl >/dev/null || fail "curl not installed"

start_http() {
    free_port PORT
    free_port HTTP_PORT
    export HTTP_LISTEN="127.0.0.1:$HTTP_PORT"
    start_server "$@" -l "udp:127.0.0.1:$PORT"
    wait_bound tcp "$HTTP_PORT" 5 || fail "nothing listens on HTTP port $HTTP_PORT"
}

hcurl() {
    local path=${*: -1} out
    local args=("${@:1:$#-1}")
    out=$(curl -s -S --max-time "${CURL_TIMEOUT:-10}" -o "$T/body" -w '%{http_code}' "${args[@]}" \
        "http://127.0.0.1:$HTTP_PORT$path" 2>>"$T/curl_err.log")
    HTTP_STATUS=${out:-000}
    HTTP_BODY=$(cat "$T/body" 2>/dev/null)
}

expect_http() {
    local code=$1 what=$2
    shift 2
    hcurl "$@"
    [ "$HTTP_STATUS" = "$code" ] || fail "$what: expected HTTP $code, got $HTTP_STATUS: $HTTP_BODY"
}

# json_get JSON KEY: the value of a top-level key (python3), empty when absent.
json_get() {
    python3 -c 'import json,sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print("" if v is None else v)' "$1" "$2"
}

