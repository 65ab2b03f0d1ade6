# run-test.cmake: the command of a wasm_add_test() test that has
# PASS_REGULAR_EXPRESSION. CTest ignores a test's exit code once a pass
# regular expression is set; this script makes both count.
#
# Usage:
#   cmake -P run-test.cmake -- <test> <module> <n> <regex-1> ... <regex-n> <command> [<arg>...]
#
# Runs <command> <arg>..., which runs <module> (in the current directory), its stdout and stderr
# copied to this script's stdout as they come, merged in the order written (as
# CTest merges a test's output), and fails (exit 1) with one line on stderr
#   wasm_add_test(<test>): <module> exited with <code>; ...
# when the command's exit code is not 0, or
#   wasm_add_test(<test>): the output matches none of PASS_REGULAR_EXPRESSION: ...
# when none of the regular expressions is found in the merged output (CTest's
# rule: any one of them passes). The expressions are matched by CMake's
# `if(MATCHES)`, the same regular expression engine and dialect as CTest's.
# An argument holding `;` cannot be passed (execute_process() takes a list).
cmake_minimum_required(VERSION 3.20)

# CMAKE_ARGV0..: cmake -P <this file> -- <test> <module> <n> ...
set(i 0)
while(i LESS CMAKE_ARGC AND NOT "${CMAKE_ARGV${i}}" STREQUAL "--")
  math(EXPR i "${i} + 1")
endwhile()
math(EXPR i "${i} + 1")
math(EXPR have "${CMAKE_ARGC} - ${i}")
if(have LESS 4)
  message(FATAL_ERROR "run-test.cmake: usage: cmake -P run-test.cmake -- <test> <module> <n> <regex>... <command> [<arg>...]")
endif()
set(test "${CMAKE_ARGV${i}}")
math(EXPR i "${i} + 1")
set(module "${CMAKE_ARGV${i}}")
math(EXPR i "${i} + 1")
set(count "${CMAKE_ARGV${i}}")
math(EXPR i "${i} + 1")
set(regexes "")
while(count GREATER 0 AND i LESS CMAKE_ARGC)
  list(APPEND regexes "${CMAKE_ARGV${i}}")
  math(EXPR i "${i} + 1")
  math(EXPR count "${count} - 1")
endwhile()
set(command "")
while(i LESS CMAKE_ARGC)
  list(APPEND command "${CMAKE_ARGV${i}}")
  math(EXPR i "${i} + 1")
endwhile()
if(command STREQUAL "")
  message(FATAL_ERROR "run-test.cmake: wasm_add_test(${test}): no command to run")
endif()

execute_process(COMMAND ${command} RESULT_VARIABLE code
  OUTPUT_VARIABLE output ERROR_VARIABLE output ECHO_OUTPUT_VARIABLE ECHO_ERROR_VARIABLE)

if(NOT "${code}" STREQUAL "0")
  message(FATAL_ERROR "wasm_add_test(${test}): ${module} exited with ${code}; a test fails when its "
    "module fails, whatever its output")
endif()
if(regexes STREQUAL "")
  return()
endif()
foreach(regex IN LISTS regexes)
  if(output MATCHES "${regex}")
    return()
  endif()
endforeach()
list(JOIN regexes "], [" shown)
message(FATAL_ERROR "wasm_add_test(${test}): the output matches none of PASS_REGULAR_EXPRESSION: [${shown}]")
