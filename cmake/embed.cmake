# Turns the file IN into a C source OUT defining `const char lunasip_default_script[]`.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* generated from scripts/default.lua */\nconst char lunasip_default_script[] = {${bytes}0x00};\n")
