# BuildBudgetWasmC: the C/C++ half of wasm_build_target() (doc/wasm.md):
# each source compiled by clang for wasm32-wasi (or emcc) and the module
# linked, as custom commands of the consumer's own build (doc/wasm-build.md,
# "Design: compiles inside your build graph"), with the flags each OPTIMIZE
# level and BUILDBUDGET_WASM_LTO give them (doc/wasm-build.md, "What each
# OPTIMIZE level passes"). Included by BuildBudgetWasm.cmake.
include_guard(GLOBAL)

set(BUILDBUDGET_WASM_LTO thin CACHE STRING
  "LTO of C/C++ wasm modules: thin (ThinLTO with a cache), full or none (doc/wasm-build.md)")
set_property(CACHE BUILDBUDGET_WASM_LTO PROPERTY STRINGS thin full none)

# _buildbudget_wasm_optimize_options(<level> <compile-var> <link-var>)
# What OPTIMIZE <level> means for clang's compile and link lines:
#   size -Oz, speed -O3, balanced -O2 at the compile, with BUILDBUDGET_WASM_LTO's
#   LTO (none: no LTO, the code generated at the compile);
#   --gc-sections and --strip-debug at the link; none -O0 and nothing at the
#   link. The link line has no -O flag: clang's wasm driver runs wasm-opt
#   itself when it sees one (and wasm-opt is on PATH), and the one wasm-opt
#   pass is `buildbudget wasm optimize`'s (doc/wasm-build.md, "One wasm-opt
#   pass"). The LTO back end's level goes to wasm-ld directly (--lto-O2, its
#   default, which is what clang 14 used with -Oz; --lto-O3 for speed);
#   functions keep the size attributes -Oz gave them at the compile.
#   size also gets the code generation flags emcc 3.1.6 gives clang at -Oz
#   (emcc.py: -fno-inline-functions; tools/building.py llvm_backend_args():
#   -disable-lsr, -combiner-global-alias-analysis=false), the back-end ones
#   on the link line too, where LTO generates the code (doc/wasm-build.md,
#   "What each OPTIMIZE level passes"). The emscripten backend removes them:
#   emcc adds its own.
function(_buildbudget_wasm_optimize_options level compile_var link_var)
  if(NOT BUILDBUDGET_WASM_LTO MATCHES "^(thin|full|none)$")
    message(FATAL_ERROR "BUILDBUDGET_WASM_LTO is \"${BUILDBUDGET_WASM_LTO}\"; expected thin, full or none "
      "(doc/wasm-build.md, \"Edit-rebuild: ThinLTO with a cache\")")
  endif()
  set(lto)
  if(BUILDBUDGET_WASM_LTO STREQUAL "thin")
    set(lto -flto=thin)
  elseif(BUILDBUDGET_WASM_LTO STREQUAL "full")
    set(lto -flto)
  endif()
  set(flag_size -Oz)
  set(flag_speed -O3)
  set(flag_balanced -O2)
  set(lto_size 2)
  set(lto_speed 3)
  set(lto_balanced 2)
  if(level STREQUAL "none")
    set(${compile_var} -O0 PARENT_SCOPE)
    set(${link_var} "" PARENT_SCOPE)
  else()
    set(codegen)
    set(link_codegen)
    set(link_lto)
    if(lto)
      set(link_lto ${lto} -Wl,--lto-O${lto_${level}})
    endif()
    if(level STREQUAL "size")
      set(codegen -fno-inline-functions -mllvm -disable-lsr -mllvm -combiner-global-alias-analysis=false)
      if(lto)
        set(link_codegen -Wl,-mllvm,-disable-lsr -Wl,-mllvm,-combiner-global-alias-analysis=false)
      endif()
    endif()
    set(${compile_var} ${flag_${level}} ${lto} ${codegen} PARENT_SCOPE)
    set(${link_var} ${link_lto} -Wl,--gc-sections -Wl,--strip-debug ${link_codegen} PARENT_SCOPE)
  endif()
endfunction()

# _buildbudget_wasm_c(<name> <ctx> <raw-files-var>)
# (reads the caller's arg_*, variants and max_memory) The C/C++ module as
# custom commands of the consumer's own build (doc/wasm-build.md, "Design"):
# per variant, one compile per source (clang --target=wasm32-wasi, or emcc)
# with its depfile, in CMAKE_JOB_POOL_COMPILE's pool, and one link in
# CMAKE_JOB_POOL_LINK's pool; with clang also the archive
# <name>.wasm-build/lib<name>_objects.a of the baseline's objects (built by
# the target <name>_wasm_objects, for wasm_package(UNIFIED)). Sets
# <raw-files-var> to the linked module of each variant, and
# <raw-files-var>_ARCHIVE, _ARCHIVE_TARGET and _OPTIMIZED_BY (the link step
# that already ran binaryen: emcc at -O2 and above), and _SYMBOL_MAPS: the
# symbol map emcc wrote beside each linked module (<module>.symbols, emcc
# --emit-symbol-map), when it optimised a module without JavaScript glue.
function(_buildbudget_wasm_c name ctx raw_var)
  set(root "${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm-build")
  if(NOT DEFINED arg_BACKEND)
    set(arg_BACKEND clang)
  endif()
  if(NOT DEFINED arg_TARGET)
    set(arg_TARGET wasm32-wasi)
  endif()
  _buildbudget_wasm_optimize_options(${arg_OPTIMIZE} compile_options link_options)
  set(optimized_by)
  set(cxx_flags)
  set(link_prefix)
  # C++ exceptions: only Emscripten has them, with its JavaScript glue
  # (doc/wasm-build.md, "Backends").
  set(exceptions OFF)
  foreach(option IN ITEMS -fexceptions -fwasm-exceptions -fcxx-exceptions)
    if(option IN_LIST arg_COMPILE_OPTIONS)
      set(exceptions ON)
    endif()
  endforeach()
  set(glue OFF)
  if(arg_BACKEND STREQUAL "clang")
    if(NOT arg_TARGET MATCHES "^wasm32-wasi(p1)?$")
      message(FATAL_ERROR "${ctx}: C and C++ modules are built for wasm32-wasi (wasm32-wasip1); TARGET "
        "\"${arg_TARGET}\" is not supported with BACKEND clang")
    endif()
    if(exceptions)
      message(FATAL_ERROR "${ctx}: C++ exceptions (-fexceptions in COMPILE_OPTIONS) need BACKEND emscripten: "
        "clang 14 has no exception handling for wasm32-wasi and its wasm32 libc++ is built without it; with "
        "BACKEND emscripten the module is built with Emscripten's JavaScript glue (see doc/wasm-build.md, "
        "\"Backends\")")
    endif()
    _buildbudget_wasm_clang("${ctx}")
    set(cc "${BUILDBUDGET_WASM_CLANG}" --target=wasm32-wasi)
    set(cxx "${BUILDBUDGET_WASM_CLANGXX}" --target=wasm32-wasi)
    set(cxx_flags -fno-exceptions)  # as the wasm32 libc++ is built
  elseif(arg_BACKEND STREQUAL "emscripten")
    find_program(BUILDBUDGET_EMCC emcc)
    find_program(BUILDBUDGET_EMXX em++)
    if(NOT BUILDBUDGET_EMCC OR NOT BUILDBUDGET_EMXX)
      message(FATAL_ERROR "${ctx}: BACKEND emscripten needs Emscripten's emcc and em++ (apt-get install emscripten)")
    endif()
    set(cc "${BUILDBUDGET_EMCC}")
    set(cxx "${BUILDBUDGET_EMXX}")
    # emcc gives clang its own code generation flags (an LLVM option given
    # twice is an error), and links with its own full LTO (doc/wasm-build.md).
    list(REMOVE_ITEM compile_options -fno-inline-functions -mllvm -disable-lsr
      -combiner-global-alias-analysis=false)
    list(FILTER link_options EXCLUDE REGEX "^-Wl,-mllvm,")
    list(TRANSFORM compile_options REPLACE "^-flto=thin$" -flto)
    list(TRANSFORM link_options REPLACE "^-flto=thin$" -flto)
    if(exceptions)
      # The module needs Emscripten's glue (its invoke_* imports): emcc
      # writes <module>.js beside the .wasm. emcc's JavaScript optimiser needs
      # Node.js's acorn, which Debian installs outside Node.js's own path.
      set(glue ON)
      list(APPEND link_options -fexceptions)
      find_path(BUILDBUDGET_EMSCRIPTEN_NODE_PATH acorn/package.json PATHS /usr/share/nodejs /usr/lib/nodejs
        NO_DEFAULT_PATH)
      if(BUILDBUDGET_EMSCRIPTEN_NODE_PATH)
        set(link_prefix "${CMAKE_COMMAND}" -E env "NODE_PATH=${BUILDBUDGET_EMSCRIPTEN_NODE_PATH}")
      endif()
    endif()
    # emcc runs binaryen's wasm-opt itself when it links at -O2 and above,
    # with Emscripten's own passes and no flag to leave it out: that is the
    # module's one optimisation pass, and `wasm optimize` only measures.
    list(GET compile_options 0 level_flag)
    if(NOT arg_OPTIMIZE STREQUAL "none")
      list(PREPEND link_options ${level_flag})
      set(optimized_by "emcc ${level_flag}")
      if(NOT glue)
        # emcc's binaryen run strips the names: its map names the module's functions.
        list(APPEND link_options --emit-symbol-map)
      endif()
    endif()
  else()
    message(FATAL_ERROR "${ctx}: BACKEND \"${arg_BACKEND}\" is not one of clang, emscripten")
  endif()
  if(CMAKE_COLOR_DIAGNOSTICS)
    list(APPEND compile_options -fcolor-diagnostics)
  endif()

  # Sources: absolute paths, their language, and their object's path under
  # <name>.wasm-build/<variant>/ (the path relative to the source directory,
  # else a hash of the directory and the file name).
  set(sources)
  set(languages)
  set(objects_rel)
  set(linker "${cc}")
  foreach(source IN LISTS arg_SOURCES)
    get_filename_component(path "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${path}")
      message(FATAL_ERROR "${ctx}: source file ${path} does not exist")
    endif()
    if(path MATCHES "\\.c$")
      set(language C)
    elseif(path MATCHES "\\.(cc|cpp|cxx|c\\+\\+|C)$")
      set(language CXX)
      set(linker "${cxx}")
    elseif(path MATCHES "\\.(h|hh|hpp|hxx|inc|inl)$")
      continue()  # headers: their includers' depfiles track them
    else()
      message(FATAL_ERROR "${ctx}: source file ${path} is neither C (.c) nor C++ (.cc, .cpp, .cxx, .c++, .C) "
        "nor a header")
    endif()
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${path}")
    if(rel MATCHES "^\\.\\./" OR IS_ABSOLUTE "${rel}")
      get_filename_component(dir "${path}" DIRECTORY)
      get_filename_component(file_name "${path}" NAME)
      string(MD5 hash "${dir}")
      string(SUBSTRING "${hash}" 0 8 hash)
      set(rel "${hash}/${file_name}")
    endif()
    list(APPEND sources "${path}")
    list(APPEND languages ${language})
    list(APPEND objects_rel "${rel}.o")
  endforeach()
  if(NOT sources)
    message(FATAL_ERROR "${ctx}: SOURCES names no C or C++ file")
  endif()

  # Compile options: the level's, then the include directories, definitions
  # and options given (relative include directories from the source
  # directory); libraries: -l<name>, or a file when the entry has a path.
  list(APPEND compile_options -DNDEBUG)
  foreach(dir IN LISTS arg_INCLUDE_DIRECTORIES)
    get_filename_component(path "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND compile_options "-I${path}")
  endforeach()
  foreach(definition IN LISTS arg_COMPILE_DEFINITIONS)
    string(REGEX REPLACE "^-D" "" definition "${definition}")
    list(APPEND compile_options "-D${definition}")
  endforeach()
  set(libraries)
  set(library_files)
  foreach(library IN LISTS arg_LINK_LIBRARIES)
    if(library MATCHES "^-")
      list(APPEND libraries "${library}")
    elseif(library MATCHES "/|\\.(a|o)$")
      get_filename_component(path "${library}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
      list(APPEND libraries "${path}")
      list(APPEND library_files "${path}")
    else()
      list(APPEND libraries "-l${library}")
    endif()
  endforeach()

  # What the link adds: exports, reactor, memory.
  foreach(symbol IN LISTS arg_EXPORTS)
    if(arg_BACKEND STREQUAL "emscripten")
      list(APPEND emscripten_exports "_${symbol}")
    else()
      list(APPEND link_options "-Wl,--export=${symbol}")
    endif()
  endforeach()
  if(arg_BACKEND STREQUAL "emscripten")
    if(NOT glue)
      list(APPEND link_options -sSTANDALONE_WASM=1)
    endif()
    if(emscripten_exports)
      list(JOIN emscripten_exports "," joined)
      list(APPEND link_options "-sEXPORTED_FUNCTIONS=${joined}")
    endif()
  endif()
  if(arg_REACTOR)
    list(APPEND link_options -mexec-model=reactor)
  endif()
  if(max_memory)
    if(arg_BACKEND STREQUAL "emscripten")
      # Emscripten starts with 16 MiB of memory and a 5 MiB stack: within a
      # budget, memory starts at the budget and the stack is wasm-ld's 64 KiB.
      list(APPEND link_options -sALLOW_MEMORY_GROWTH=1 "-sINITIAL_MEMORY=${max_memory}"
        "-sMAXIMUM_MEMORY=${max_memory}" -sTOTAL_STACK=65536)
    else()
      list(APPEND link_options "-Wl,--max-memory=${max_memory}")
    endif()
  endif()

  # Job pools: lowmem_profile()'s (or the project's own), as host targets get them.
  set(compile_pool)
  set(link_pool)
  if(CMAKE_GENERATOR MATCHES "Ninja")
    if(CMAKE_JOB_POOL_COMPILE)
      set(compile_pool JOB_POOL "${CMAKE_JOB_POOL_COMPILE}")
    endif()
    if(CMAKE_JOB_POOL_LINK)
      set(link_pool JOB_POOL "${CMAKE_JOB_POOL_LINK}")
    endif()
  endif()

  # CMP0116 NEW: the Ninja generator rewrites the compilers' depfiles (absolute
  # paths, escaped spaces) into the paths it uses.
  cmake_policy(PUSH)
  cmake_policy(SET CMP0116 NEW)
  file(RELATIVE_PATH root_rel "${CMAKE_BINARY_DIR}" "${root}")
  set(raw_files)
  set(glue_files)
  set(symbol_maps)
  set(base_objects)
  foreach(variant IN LISTS variants)
    set(extra)
    set(suffix .wasm)
    if(variant STREQUAL "simd")
      set(extra -msimd128)
      set(suffix .simd.wasm)
    endif()
    set(objects)
    foreach(path language rel IN ZIP_LISTS sources languages objects_rel)
      set(object "${root}/${variant}/${rel}")
      get_filename_component(object_dir "${object}" DIRECTORY)
      file(MAKE_DIRECTORY "${object_dir}")
      if(language STREQUAL "C")
        set(compiler ${cc})
        set(language_flags)
      else()
        set(compiler ${cxx})
        set(language_flags ${cxx_flags})
      endif()
      add_custom_command(OUTPUT "${object}"
        COMMAND ${compiler} ${compile_options} ${language_flags} ${extra} ${arg_COMPILE_OPTIONS}
                -MD -MF "${object}.d" -c "${path}" -o "${object}"
        DEPENDS "${path}"
        DEPFILE "${object}.d"
        ${compile_pool}
        COMMENT "Building wasm32 ${language} object ${root_rel}/${variant}/${rel}"
        VERBATIM)
      list(APPEND objects "${object}")
    endforeach()
    set(raw "${root}/${variant}/${name}${suffix}")
    set(link_output "${raw}")
    set(cache_option)
    if("-flto=thin" IN_LIST link_options)
      # Code generated for unchanged modules is reused from the cache: an
      # edit relinks in a fraction of a clean build (doc/wasm-build.md).
      set(cache_option "-Wl,--thinlto-cache-dir=${root}/${variant}/thinlto-cache")
    endif()
    set(glue_file)
    if(glue)
      # emcc -o <module>.js writes the glue and <module>.wasm, which the glue
      # loads from its own directory.
      string(REGEX REPLACE "\\.wasm$" ".js" glue_file "${raw}")
      set(link_output "${glue_file}")
      list(APPEND glue_files "${glue_file}")
    endif()
    set(symbol_map)
    if("--emit-symbol-map" IN_LIST link_options)
      set(symbol_map "${raw}.symbols")
      list(APPEND symbol_maps "${symbol_map}")
    endif()
    add_custom_command(OUTPUT "${raw}" ${glue_file} ${symbol_map}
      COMMAND ${link_prefix} ${linker} ${link_options} ${cache_option} ${extra} ${arg_LINK_OPTIONS} ${objects} ${libraries} -o "${link_output}"
      DEPENDS ${objects} ${library_files}
      ${link_pool}
      COMMENT "Linking wasm32 module ${root_rel}/${variant}/${name}${suffix}"
      VERBATIM)
    list(APPEND raw_files "${raw}")
    if(variant STREQUAL "base")
      set(base_objects ${objects})
    endif()
  endforeach()
  cmake_policy(POP)
  set(${raw_var} "${raw_files}" PARENT_SCOPE)
  set(${raw_var}_OPTIMIZED_BY "${optimized_by}" PARENT_SCOPE)
  set(${raw_var}_GLUE "${glue_files}" PARENT_SCOPE)
  set(${raw_var}_SYMBOL_MAPS "${symbol_maps}" PARENT_SCOPE)

  # With clang, the baseline's objects also make the archive
  # lib<name>_objects.a, which wasm_package(UNIFIED) links with other modules
  # into one (built only when a package asks for it).
  if(arg_BACKEND STREQUAL "clang")
    set(archive "${root}/lib${name}_objects.a")
    add_custom_command(OUTPUT "${archive}"
      COMMAND "${CMAKE_COMMAND}" -E rm -f "${archive}"
      COMMAND "${BUILDBUDGET_WASM_AR}" qcs "${archive}" ${base_objects}
      DEPENDS ${base_objects}
      COMMENT "Archiving the wasm32 objects of ${name} for wasm_package(UNIFIED)"
      VERBATIM)
    add_custom_target(${name}_wasm_objects DEPENDS "${archive}")
    set(${raw_var}_ARCHIVE "${archive}" PARENT_SCOPE)
    set(${raw_var}_ARCHIVE_TARGET ${name}_wasm_objects PARENT_SCOPE)
  endif()
endfunction()

# _buildbudget_wasm_clang(<ctx>)
# Finds clang and clang++ for wasm32-wasi and LLVM's llvm-ar (the cache
# variables BUILDBUDGET_WASM_CLANG, BUILDBUDGET_WASM_CLANGXX and
# BUILDBUDGET_WASM_AR of toolchains/wasm32-wasi.cmake) and checks that clang
# finds wasi-libc; fails naming the packages otherwise.
function(_buildbudget_wasm_clang ctx)
  set(packages "apt-get install clang lld llvm wasi-libc libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32")
  find_program(BUILDBUDGET_WASM_CLANG NAMES clang-14 clang)
  find_program(BUILDBUDGET_WASM_CLANGXX NAMES clang++-14 clang++)
  find_program(BUILDBUDGET_WASM_AR NAMES llvm-ar-14 llvm-ar)
  if(NOT BUILDBUDGET_WASM_CLANG OR NOT BUILDBUDGET_WASM_CLANGXX OR NOT BUILDBUDGET_WASM_AR)
    message(FATAL_ERROR "${ctx}: C and C++ modules need clang, clang++ and llvm-ar for wasm32-wasi (${packages})")
  endif()
  if(NOT BUILDBUDGET_WASM_CLANG STREQUAL _BUILDBUDGET_WASM_CLANG_CHECKED)
    execute_process(COMMAND "${BUILDBUDGET_WASM_CLANG}" --target=wasm32-wasi -print-file-name=crt1-command.o
      OUTPUT_VARIABLE crt1 OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0 OR NOT IS_ABSOLUTE "${crt1}")
      message(FATAL_ERROR "${ctx}: ${BUILDBUDGET_WASM_CLANG} finds no wasi-libc for wasm32-wasi (no crt1-command.o; "
        "${packages})")
    endif()
    set(_BUILDBUDGET_WASM_CLANG_CHECKED "${BUILDBUDGET_WASM_CLANG}" CACHE INTERNAL "")
  endif()
endfunction()
