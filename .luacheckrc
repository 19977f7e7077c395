-- luacheck settings for lunasip route scripts (Debian package lua-check); CI runs
--   luacheck scripts/ examples/
-- The server's globals: the script sets config and the route functions, and reads the API
-- tables (their fields are listed, so a misspelt call such as tm.relya is reported).
-- types/lunasip.d.lua describes the same API for the Lua language server.
std = "lua54"
max_line_length = 120
globals = { "config", "on_request", "on_reply", "on_http", "on_start" }
read_globals = {
  sip = { fields = { "sleep", "spawn", "after", "every", "log", "units", "stats", "is_myself" } },
  tm = { fields = { "relay", "reply", "request", "stats" } },
  dispatcher = { fields = { "select", "next", "mark", "is_from", "list", "set_state", "reload" } },
  registrar = { fields = { "save", "lookup", "bindings", "remove" } },
  auth = { fields = { "challenge", "check", "consume", "stats" } },
  http = { fields = { "request" } },
  json = { fields = { "encode", "decode", "null", "new", "_NAME", "_VERSION", "encode_sparse_array",
                      "encode_max_depth", "decode_max_depth", "encode_number_precision", "encode_keep_buffer",
                      "encode_invalid_numbers", "decode_invalid_numbers" } },
}
