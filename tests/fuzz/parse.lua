-- fuzz_sip_parse: no routes, so the input goes through the parser, the checks and the
-- automatic replies (400 for a broken request) only.
config = {}
