# BuildBudgetArguments: the argument parsing every public function of the
# package shares (private; BuildBudget.cmake includes it).
#
# _buildbudget_parse_arguments(<first> <ctx> <doc> <options> <one-value> <multi-value>)
#     cmake_parse_arguments() with the checks below, for a function's arguments.
# _buildbudget_check_arguments(<ctx> <doc> <options> <one-value> <multi-value> <unparsed> <arg>...)
#     the checks: a misspelt keyword anywhere, then any unparsed argument.
# _buildbudget_edit_distance(<out-var> <a> <b>)
#     the edit distance of two words.
include_guard(GLOBAL)

# _buildbudget_parse_arguments(<first> <ctx> <doc> <options> <one-value> <multi-value>)
# (a macro, for a function's own arguments) Sets arg_<KEYWORD>,
# arg_UNPARSED_ARGUMENTS and arg_KEYWORDS_MISSING_VALUES as
# cmake_parse_arguments(PARSE_ARGV <first> arg <options> <one-value> <multi-value>)
# does, then runs _buildbudget_check_arguments() on the calling function's
# arguments from <first> on.
macro(_buildbudget_parse_arguments first ctx doc options one_value multi_value)
  cmake_parse_arguments(PARSE_ARGV ${first} arg "${options}" "${one_value}" "${multi_value}")
  cmake_parse_arguments(PARSE_ARGV ${first} _buildbudget_all "" "" "")
  _buildbudget_check_arguments("${ctx}" "${doc}" "${options}" "${one_value}" "${multi_value}"
    "${arg_UNPARSED_ARGUMENTS}" ${_buildbudget_all_UNPARSED_ARGUMENTS})
  unset(_buildbudget_all_UNPARSED_ARGUMENTS)
endmacro()

# _buildbudget_check_arguments(<ctx> <doc> <options> <one-value> <multi-value> <unparsed> <arg>...)
#
# <ctx>       what messages start with, e.g. "wasm_build_target(imgproc)"
# <doc>       where the function's arguments are documented, e.g.
#             "README.md#webassembly-wasm_build_target-and-wasm_add_test"
# <options>, <one-value>, <multi-value>
#             the function's keywords (lists), as cmake_parse_arguments()
#             takes them
# <unparsed>  the arguments the parser did not take (cmake_parse_arguments'
#             <prefix>_UNPARSED_ARGUMENTS); empty when the caller rejects them
#             itself
# <arg>...    the call's arguments after the positional ones
#
# A misspelt keyword is an upper-case word (^[A-Z][A-Z0-9_]+$) that is not one
# of the keywords but lies close to one: an edit distance (see
# _buildbudget_edit_distance()) of at most 1 from a keyword of 4 to 7
# characters, at most 2 from a keyword of 8 or more. Keywords of 3 characters
# or fewer (MIN, MAX, LTO) are never suggested: too many real names lie one
# letter from them (MAC, MIX, LOG). The word fails the configure wherever it
# stands, unparsed or taken as the value of a keyword before it
# (`COMPILE_DEFINITIONS X OPTIMISE speed` would define OPTIMISE and speed):
#   <ctx>: OPTIMISE is not a keyword; did you mean OPTIMIZE? (it follows
#   COMPILE_DEFINITIONS, which takes it as a value; see <doc>)
# A value that really is such a word has to be written another way (in
# COMPILE_DEFINITIONS, OPTIMISE=1), as does a value equal to a keyword, which
# cmake_parse_arguments() takes for that keyword (REACTOR=1, not REACTOR).
# Then any <unparsed> argument fails it:
#   <ctx>: unexpected argument(s) "a;b"; expected one of <keywords> (see <doc>)
function(_buildbudget_check_arguments ctx doc options one_value multi_value unparsed)
  set(keywords ${options} ${one_value} ${multi_value})
  string(MD5 keywords_key "${keywords}")
  set(taker "")   # the keyword that takes the next argument as its value
  foreach(word IN LISTS ARGN)
    if(word IN_LIST keywords)
      set(taker "")
      if(NOT word IN_LIST options)
        set(taker "${word}")
      endif()
      continue()
    endif()
    if(word MATCHES "^[A-Z][A-Z0-9_]+$")
      # The answer for a word and a keyword set is kept for the rest of the configure.
      get_property(nearest GLOBAL PROPERTY _BUILDBUDGET_NEAREST_${keywords_key}_${word})
      if("${nearest}" STREQUAL "")
        _buildbudget_nearest_keyword(nearest "${word}" "${keywords}")
        if("${nearest}" STREQUAL "")
          set(nearest "-")
        endif()
        set_property(GLOBAL PROPERTY _BUILDBUDGET_NEAREST_${keywords_key}_${word} "${nearest}")
      endif()
      if(NOT "${nearest}" STREQUAL "-")
        if("${taker}" STREQUAL "")
          set(where "see ${doc}")
        else()
          set(where "it follows ${taker}, which takes it as a value; see ${doc}")
        endif()
        message(FATAL_ERROR "${ctx}: ${word} is not a keyword; did you mean ${nearest}? (${where})")
      endif()
    endif()
    if(taker IN_LIST one_value)
      set(taker "")
    endif()
  endforeach()
  if(NOT "${unparsed}" STREQUAL "")
    list(JOIN keywords ", " expected)
    message(FATAL_ERROR "${ctx}: unexpected argument(s) \"${unparsed}\"; expected one of ${expected} (see ${doc})")
  endif()
endfunction()

# _buildbudget_nearest_keyword(<out-var> <word> <keywords>)
# <out-var>: the keyword nearest to <word> within the limits of
# _buildbudget_check_arguments() (the first of equally near ones), or "".
function(_buildbudget_nearest_keyword out_var word keywords)
  string(LENGTH "${word}" word_length)
  set(best "")
  set(best_distance 3)
  foreach(keyword IN LISTS keywords)
    string(LENGTH "${keyword}" length)
    if(length LESS 4)
      continue()
    elseif(length LESS 8)
      set(limit 1)
    else()
      set(limit 2)
    endif()
    math(EXPR gap "${word_length} - ${length}")
    if(gap GREATER limit OR gap LESS -${limit})
      continue()   # the distance is at least the difference in length
    endif()
    _buildbudget_edit_distance(distance "${word}" "${keyword}")
    if(distance LESS_EQUAL limit AND distance LESS best_distance)
      set(best "${keyword}")
      set(best_distance ${distance})
    endif()
  endforeach()
  set(${out_var} "${best}" PARENT_SCOPE)
endfunction()

# _buildbudget_edit_distance(<out-var> <a> <b>)
# <out-var>: the optimal string alignment distance of <a> and <b>: the fewest
# insertions, deletions, substitutions and transpositions of two adjacent
# characters, each costing 1, that turn <a> into <b> (no substring edited
# twice; Damerau-Levenshtein as spelling checkers use it). <a> has at most 62
# characters (it becomes a bit mask); neither may hold `;`.
# Hyyro's bit-vector algorithm (H. Hyyro, "A bit-vector algorithm for
# computing Levenshtein and Damerau edit distances", Nordic Journal of
# Computing 10(1), 2003): one column of the distance table per character of
# <b>, as a few 64-bit math(EXPR) operations, where the textbook table would
# cost a dozen CMake commands per cell.
function(_buildbudget_edit_distance out_var a b)
  string(LENGTH "${a}" m)
  string(LENGTH "${b}" n)
  if(m EQUAL 0 OR n EQUAL 0)
    math(EXPR distance "${m} + ${n}")
    set(${out_var} ${distance} PARENT_SCOPE)
    return()
  endif()
  # peq_<c>: the positions of character <c> in <a>, as bits.
  math(EXPR last_bit "${m} - 1")
  foreach(i RANGE ${last_bit})
    string(SUBSTRING "${a}" ${i} 1 c)
    set(peq_${c} 0)
  endforeach()
  foreach(i RANGE ${last_bit})
    string(SUBSTRING "${a}" ${i} 1 c)
    math(EXPR peq_${c} "${peq_${c}} | (1 << ${i})")
  endforeach()
  math(EXPR mask "(1 << ${m}) - 1")
  set(vp ${mask})   # vertical deltas +1 ...
  set(vn 0)         # ... and -1 of the current column
  set(d0 0)         # the diagonal zero-deltas of the previous column
  set(pm_before 0)
  set(distance ${m})
  math(EXPR last "${n} - 1")
  foreach(j RANGE ${last})
    string(SUBSTRING "${b}" ${j} 1 c)
    string(FIND "${a}" "${c}" at)
    set(pm 0)
    if(at GREATER_EQUAL 0)
      set(pm ${peq_${c}})
    endif()
    # the diagonal zero-deltas, transpositions included
    math(EXPR d0 "((((${pm} & ${vp}) + ${vp}) ^ ${vp}) | ${pm} | ${vn} | ((((~${d0}) & ${pm}) << 1) & ${pm_before})) & ${mask}")
    # horizontal deltas +1 (hp) and -1 (hn), and the last row's value
    set(hp "(${vn} | ~(${d0} | ${vp}))")
    set(hn "(${d0} & ${vp})")
    math(EXPR distance "${distance} + ((${hp} >> ${last_bit}) & 1) - ((${hn} >> ${last_bit}) & 1)")
    math(EXPR vn_next "((${hp} << 1) | 1) & ${d0}")
    math(EXPR vp "((${hn} << 1) | ~(((${hp} << 1) | 1) | ${d0})) & ${mask}")
    set(vn ${vn_next})
    set(pm_before ${pm})
  endforeach()
  set(${out_var} ${distance} PARENT_SCOPE)
endfunction()
