# Turns the file IN into a C source OUT defining `const char NAME[]` (NUL-terminated; NAME
# defaults to lunasip_default_script).
if(NOT NAME)
  set(NAME lunasip_default_script)
endif()
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(base ${IN} NAME)
file(WRITE ${OUT} "/* generated from ${base} */\nconst char ${NAME}[] = {${bytes}0x00};\n")
