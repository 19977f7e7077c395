---@meta
-- Definitions of lunasip's script API for the Lua language server (LuaLS): completion, hover
-- and type checks in editors. Add the folder holding this file (installed as
-- <datadir>/lunasip/lunasip.d.lua) to "workspace.library" in .luarc.json:
--   { "runtime.version": "Lua 5.4", "workspace.library": ["/usr/local/share/lunasip"] }
-- It describes what the server provides; it is never loaded by the server.

---------------------------------------------------------------------------------------------
-- The script: settings and routes
---------------------------------------------------------------------------------------------

---@class lunasip.HttpConfig
---@field listen? string|integer "host:port", "[::1]:port", or a port (then 127.0.0.1)
---@field token? string|false Bearer token for /api and /metrics; false opts out explicitly
---@field max_body? integer bytes (default 1 MiB)
---@field tls? table HTTPS: { cert = path, key = path, ca = path, verify_client = false }

---@class lunasip.LogConfig
---@field level? "error"|"warn"|"info"|"debug"
---@field timestamps? boolean ISO 8601 UTC time at the start of stderr lines
---@field target? "stderr"|"syslog"
---@field facility? string syslog facility: "daemon" (default), "user", "local0" ... "local7"
---@field socket? string syslog socket (default "/dev/log")

---@class lunasip.DnsConfig
---@field servers? string[]|string name servers "addr:port" (default: /etc/resolv.conf's)
---@field timeout? integer ms of the first try (default 2000)
---@field tries? integer attempts per server (default 2)

---@class lunasip.Config
---@field listen? string[] "udp:ADDR:PORT", "tcp:...", "tls:...", "ws:...", "wss:..."
---@field http? lunasip.HttpConfig
---@field log? lunasip.LogConfig
---@field dns? lunasip.DnsConfig
---@field tcp? { idle_timeout?: number }
---@field tls? table { cert =, key =, ca =, verify = true, verify_client = false (true: require a client certificate signed by ca), min_version = "1.2" }
---@field websocket? { max_frame?: integer, origins?: string[] } WebSocket listeners (see README)
---@field units? table<string, table> each key a unit to load (tm, dispatcher, registrar, auth), its value the unit's parameters

---@type lunasip.Config
config = {}

---Every new SIP request (retransmissions are absorbed by tm).
---@type fun(msg: lunasip.Msg)?
on_request = nil

---Every SIP reply received; relayed afterwards unless msg:drop().
---@type fun(msg: lunasip.Msg)?
on_reply = nil

---Every HTTP request the built-in API does not serve.
---@type fun(req: lunasip.Req)?
on_http = nil

---Once after start and after each reload.
---@type fun()?
on_start = nil

---------------------------------------------------------------------------------------------
-- The message
---------------------------------------------------------------------------------------------

---A SIP request or reply. Reading a field that does not exist raises an error.
---@class lunasip.Msg
---@field method string request method ("INVITE"); for a reply, the method of its CSeq
---@field ruri string Request-URI (read/write)
---@field du string? next hop URI (read/write; nil: the R-URI)
---@field socket string? listener requests leave from, "udp:10.0.0.1:5060" (read/write, requests; nil: by destination)
---@field status integer? reply code (replies)
---@field reason string? reply phrase (replies)
---@field call_id string
---@field cseq integer
---@field cseq_method string
---@field from string From URI
---@field to string To URI
---@field from_tag string?
---@field to_tag string?
---@field src_ip string
---@field src_port integer
---@field proto "udp"|"tcp"|"tls"|"ws"|"wss"
---@field body string
local Msg = {}

---First value of a header (case and compact forms folded), or nil.
---@param name string
---@return string?
function Msg:header(name) end

---All values of a header.
---@param name string
---@return string[]
function Msg:headers(name) end

---@param name string
---@param value string
function Msg:append_header(name, value) end

---Replace every header of that name by one with this value.
---@param name string
---@param value string
function Msg:set_header(name, value) end

---@param name string
---@return integer removed how many were removed
function Msg:remove_header(name) end

---Reply statefully when a transaction exists (tm), else statelessly.
---@param code integer
---@param reason? string default: the RFC 3261 phrase
---@param headers? table<string,string>|string { ["X-Name"] = "value" } or "X-Name: value\r\n"
---@param body? string
---@return true|nil ok
---@return string? err
function Msg:reply(code, reason, headers, body) end

---Stateless forward to uri, else msg.du, else the R-URI.
---@param uri? string
---@return true|nil ok
---@return string? err
function Msg:forward(uri) end

---Add a Record-Route for our listener(s) when the request is sent.
function Msg:record_route() end

---True when Route headers decided the next hop.
---@return boolean
function Msg:loose_route() end

---False when the request came with Max-Forwards: 0 (answer 483); else the new value.
---@return integer|false
function Msg:max_forwards() end

---Send nothing.
function Msg:drop() end

---True when the request has a To tag.
---@return boolean
function Msg:in_dialog() end

---An extra destination for tm.relay (parallel forking).
---@param uri string
---@param q? number
function Msg:append_branch(uri, q) end

---An HTTP request; also a complete SIP-shaped message (every msg field and header method).
---@class lunasip.Req: lunasip.Msg
---@field method string HTTP method
---@field path string
---@field query table<string,string>
---@field body string
---@field src_ip string
---@field src_port integer
---@field elapsed_ms number
local Req = {}

---Answer the request.
---@param status integer
---@param body? string
---@param headers? table<string,string>
---@return true|nil ok
---@return string? err "the client went away"
function Req:reply(status, body, headers) end

---------------------------------------------------------------------------------------------
-- Core
---------------------------------------------------------------------------------------------

---@class lunasip.Timer
local Timer = {}
---Stop the timer; true when it was still pending.
---@return boolean
function Timer:cancel() end

---@class lunasip.Stats
---@field rx_messages integer
---@field rx_bad integer
---@field rx_oversize integer
---@field tx_messages integer
---@field tx_errors integer
---@field fwd_requests integer
---@field fwd_replies integer
---@field relay_requests integer requests relayed by tm (each branch)
---@field relay_replies integer replies relayed upstream by tm
---@field local_replies integer
---@field dropped integer
---@field route_errors integer
---@field tcp_connections integer
---@field requests table<string, integer> by method
---@field replies integer[] by class, [1] .. [6]
---@field coroutines integer

sip = {}

---Suspend this route for ms (in a SIP request route this needs tm).
---@param ms number
function sip.sleep(ms) end

---Run fn(...) now in a detached coroutine.
---@param fn function
---@param ... any
function sip.spawn(fn, ...) end

---Run fn once after ms, in its own coroutine.
---@param ms number
---@param fn function
---@return lunasip.Timer
function sip.after(ms, fn) end

---Run fn every ms, each run in its own coroutine.
---@param ms number
---@param fn function
---@return lunasip.Timer
function sip.every(ms, fn) end

---@param level "error"|"warn"|"info"|"debug"
---@param ... any converted with tostring and concatenated
function sip.log(level, ...) end

---Names of the loaded units.
---@return string[]
function sip.units() end

---@return lunasip.Stats
function sip.stats() end

---True when the URI's host:port is one of our listeners.
---@param uri string
---@return boolean
function sip.is_myself(uri) end

---------------------------------------------------------------------------------------------
-- tm (transactions); without the unit every function raises "the tm unit is not loaded"
---------------------------------------------------------------------------------------------

---@class lunasip.Reply
---@field status integer
---@field reason string
---@field headers table<string, string> lower-case full names
---@field body string

---@class lunasip.RelayOpts
---@field on_failure? fun(msg: lunasip.Msg, reply: lunasip.Msg) a final negative reply or a timeout (reply.status 408)
---@field on_reply? fun(msg: lunasip.Msg, reply: lunasip.Msg) each reply
---@field timeout? integer ms, overrides the final-response timer

---@class lunasip.RequestOpts
---@field method string
---@field uri string
---@field from? string
---@field to? string
---@field headers? table<string,string>
---@field body? string
---@field content_type? string
---@field dst? string next hop URI
---@field socket? string listener to send from, "udp:10.0.0.1:5060"
---@field timeout? integer ms

tm = {}

---Stateful forward to msg.du or the R-URI (and the branches of msg:append_branch).
---@param msg lunasip.Msg
---@param opts? lunasip.RelayOpts
---@return true|nil ok
---@return string? err
function tm.relay(msg, opts) end

---@param msg lunasip.Msg
---@param code integer
---@param reason? string
---@param headers? table<string,string>|string
---@param body? string
---@return true|nil ok
---@return string? err
function tm.reply(msg, code, reason, headers, body) end

---Send a request as a UAC and wait for its final reply (a timeout gives status 408).
---@param opts lunasip.RequestOpts
---@return lunasip.Reply|nil reply
---@return string? err
function tm.request(opts) end

---@return { active: integer, created: integer }
function tm.stats() end

---------------------------------------------------------------------------------------------
-- dispatcher
---------------------------------------------------------------------------------------------

---@alias lunasip.DsAlg 0|1|2|3|4|8|9|"hash-callid"|"hash-from"|"hash-to"|"hash-ruri"|"round-robin"|"priority"|"weight"

---@class lunasip.DsDestination
---@field uri string
---@field flags string letters: "A", "AP", "IP", "D", ...
---@field priority integer
---@field attrs table<string,string>
---@field latency_ms number? round trip of the last answered probe

---@class lunasip.DsSet
---@field id integer
---@field destinations lunasip.DsDestination[]

dispatcher = {}

---Set msg.du to a destination of set and keep the others for failover; false when none.
---@param msg lunasip.Msg
---@param set integer
---@param alg lunasip.DsAlg
---@param limit? integer
---@return boolean
function dispatcher.select(msg, set, alg, limit) end

---The next kept destination into msg.du; false when exhausted.
---@param msg lunasip.Msg
---@return boolean
function dispatcher.next(msg) end

---Set the state of the destination msg went to ("ip", "a", a Kamailio number).
---@param msg lunasip.Msg
---@param state string|integer
---@return boolean
function dispatcher.mark(msg, state) end

---The set id when msg came from a destination's address and port, else false.
---@param msg lunasip.Msg
---@param set? integer
---@return integer|false
function dispatcher.is_from(msg, set) end

---@return lunasip.DsSet[]
function dispatcher.list() end

---@param set integer
---@param uri string
---@param state string|integer
---@return true|nil ok
---@return string? err
function dispatcher.set_state(set, uri, state) end

---Read the list again. The bad lines come as "file:line: reason" strings.
---@return true|nil ok
---@return string[]|string bad_lines_or_err bad lines on success, else the reason
---@return string[]? bad_lines on failure
function dispatcher.reload() end

---------------------------------------------------------------------------------------------
-- registrar
---------------------------------------------------------------------------------------------

---@class lunasip.Binding
---@field contact string
---@field expires integer seconds left
---@field q number?
---@field received string?
---@field natted boolean
---@field path string?
---@field instance string?
---@field reg_id integer?
---@field call_id string
---@field cseq integer
---@field user_agent string?

registrar = {}

---Process a REGISTER and answer it.
---@param msg lunasip.Msg
---@param opts? { aor?: string }
---@return true|nil ok
---@return string? err "<code> <reason>"
function registrar.save(msg, opts) end

---R-URI to the best binding, the others as branches; false when none.
---@param msg lunasip.Msg
---@param aor? string
---@return boolean
function registrar.lookup(msg, aor) end

---@param aor string
---@return lunasip.Binding[]
function registrar.bindings(aor) end

---@param aor string
---@param contact? string
---@return integer removed
function registrar.remove(aor, contact) end

---------------------------------------------------------------------------------------------
-- auth
---------------------------------------------------------------------------------------------

auth = {}

---Answer 401 (REGISTER) or 407 with a digest challenge.
---@param msg lunasip.Msg
---@param realm string
---@param opts? { code?: integer, stale?: boolean, algorithms?: string[] }
---@return true|nil ok
---@return string? err
function auth.challenge(msg, realm, opts) end

---The user name when the credentials match, else nil and a reason ("no credentials", "stale", ...).
---@param msg lunasip.Msg
---@param realm string
---@param secret string|{ password?: string, ha1?: string }|fun(user: string, realm: string): (string|table|nil)
---@return string|nil user
---@return string? reason
function auth.check(msg, realm, secret) end

---Remove the credentials auth.check accepted; true when something was removed.
---@param msg lunasip.Msg
---@return boolean
function auth.consume(msg) end

---@return { challenges: integer, accepted: integer, refused: integer }
function auth.stats() end

---------------------------------------------------------------------------------------------
-- http (client) and json
---------------------------------------------------------------------------------------------

---@class lunasip.HttpResponse
---@field status integer
---@field headers table<string,string> lower-case names
---@field body string

http = {}

---Wait for an HTTP response.
---@param opts { method?: string, url: string, headers?: table<string,string>, body?: string, timeout?: integer, verify?: boolean }
---@return lunasip.HttpResponse|nil response
---@return string? err
function http.request(opts) end

---lua-cjson's cjson.safe.
json = {}

---@param value any
---@return string|nil
---@return string? err
function json.encode(value) end

---@param text string
---@return any|nil
---@return string? err
function json.decode(text) end

---The JSON null value.
json.null = nil

---"cjson.safe"
json._NAME = ""
---lua-cjson's version
json._VERSION = ""

---A separate json module with its own settings.
---@return table
function json.new() end

---Sparse arrays: convert excessively sparse ones to objects (settings are returned).
---@param convert? boolean
---@param ratio? integer
---@param safe? integer
---@return boolean, integer, integer
function json.encode_sparse_array(convert, ratio, safe) end

---@param depth? integer
---@return integer
function json.encode_max_depth(depth) end

---@param depth? integer
---@return integer
function json.decode_max_depth(depth) end

---@param precision? integer significant digits of numbers (1-16)
---@return integer
function json.encode_number_precision(precision) end

---@param keep? boolean
---@return boolean
function json.encode_keep_buffer(keep) end

---@param setting? boolean|"null"
---@return boolean|string
function json.encode_invalid_numbers(setting) end

---@param setting? boolean
---@return boolean
function json.decode_invalid_numbers(setting) end
