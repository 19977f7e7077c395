-- tests/integration/http_exposure.sh: HTTP_LISTEN and TOKEN ("none": absent, "false": false).
local tok = os.getenv("TOKEN")
if tok == "false" then tok = false elseif tok == "none" then tok = nil end
config = {
  http = { listen = os.getenv("HTTP_LISTEN"), token = tok },
}
function on_request(msg) msg:reply(200) end
