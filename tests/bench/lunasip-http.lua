-- lunasip route for the http benchmark case (tests/bench/http.sh): every HTTP request runs
-- on_http in its own coroutine and gets "ok". No units loaded.
-- Started by http.sh as: BENCH_HTTP_LISTEN=127.0.0.1:PORT lunasip -q -f lunasip-http.lua -l udp:127.0.0.1:SIPPORT

config = {
  http = { listen = os.getenv("BENCH_HTTP_LISTEN") or "127.0.0.1:8080" },
  log  = { level = "error" },
}

local headers = { ["Content-Type"] = "text/plain" }

function on_http(req)
  req:reply(200, "ok", headers)
end
