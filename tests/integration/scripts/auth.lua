-- Digest authentication (the auth unit) for tests/integration/auth_digest.sh: every request is
-- checked against realm "lab"; what auth.check returned goes to the log ("auth: ...") and to an
-- X-Auth header of the answer. The secret depends on the user: alice's comes from a function
-- that waits (sip.sleep), bob's is an HA1, carol's a plain password, dave's a table.
config = {
  log   = { level = "info" },
  units = { tm = {}, auth = { nonce_expires = tonumber(os.getenv("AUTH_NONCE_EXPIRES") or "300"),
                              algorithms = { "MD5", "SHA-256" } } },
}

local passwords = { alice = "wonderland" }
-- HA1 of bob:lab:builder, MD5 (python3 -c 'import hashlib; print(hashlib.md5(b"bob:lab:builder").hexdigest())')
local BOB_HA1 = "25201917d4846cb19be3aec23d183326"

local function secret_for(msg)
  local f = msg:header("X-Secret")
  if f == "function" then
    return function(user, realm)
      sip.sleep(30) -- a password store that takes time
      return passwords[user]
    end
  elseif f == "ha1" then
    return BOB_HA1
  elseif f == "table" then
    return { password = "table-pw" }
  end
  return "plain-pw"
end

function on_request(msg)
  if msg.method == "ACK" then return end
  local user, why = auth.check(msg, "lab", secret_for(msg))
  if not user then
    sip.log("info", "auth: refused ", msg.method, ": ", why)
    return auth.challenge(msg, "lab")
  end
  local hname = msg.method == "REGISTER" and "Authorization" or "Proxy-Authorization"
  local consumed = auth.consume(msg)
  sip.log("info", "auth: accepted ", user, " consumed=", tostring(consumed),
          " left=", tostring(msg:header(hname)), " other=", tostring(msg:header("X-Other-Auth")))
  msg:reply(200, nil, { ["X-Auth"] = user })
end
