-- script_syntax_error.sh: deliberately broken (unclosed call on line 5).
-- lunasip -c must refuse it, and so must start-up.

function on_request(msg)
  msg:reply(200
end
