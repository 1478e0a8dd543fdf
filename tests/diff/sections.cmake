# Generates the section index of the encoding table for kvrm_difftest: every "// ---- TITLE ----"
# header of src/isa/a64.inc becomes KVRM_SECTION("TITLE"), every (uncommented) INST line
# KVRM_ENTRY(handler), in table order. Run as: cmake -DIN=a64.inc -DOUT=a64_sections.inc -P this
file(READ "${IN}" text)
string(REPLACE ";" "<semicolon>" text "${text}")
string(REPLACE "\n" ";" lines "${text}")
set(out "// Generated from ${IN} by tests/diff/sections.cmake. Do not edit.\n")
foreach(line IN LISTS lines)
  if(line MATCHES "^// ---- (.*[^ -]) -+ *$")
    string(REPLACE "\"" "\\\"" title "${CMAKE_MATCH_1}")
    string(REPLACE "<semicolon>" ";" title "${title}")
    string(APPEND out "KVRM_SECTION(\"${title}\")\n")
  elseif(line MATCHES "^INST\\(([A-Za-z0-9_]+),")
    string(APPEND out "KVRM_ENTRY(${CMAKE_MATCH_1})\n")
  endif()
endforeach()
# Rewrite only when it changed (no needless rebuilds).
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL out)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${out}")
