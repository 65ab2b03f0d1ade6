# BuildBudgetWasmPackage: WebAssembly modules as an npm package (doc/wasm-package.md).
#
# wasm_package(<name> MODULES <wasm-target>...
#     [NPM_NAME <name> | <@scope/name>] [VERSION <semver>] [UNIFIED]
#     [OUTPUT_DIRECTORY <dir>] [DESCRIPTION <text>] [LOADER <file>])
#
# Writes an npm package directory (default ${CMAKE_CURRENT_BINARY_DIR}/<name>.npm)
# from modules built by wasm_build_target() (or any target with a
# BUILDBUDGET_WASM_FILE property), kept up to date by the custom target
# <name> (in ALL):
#   package.json          name, version, "type": "module", "exports" (with
#                         "types"), "types", "files", "sideEffects": false
#   index.js              one loader function per module, named after the
#                         module in lowerCamelCase (img-proc -> imgProc):
#                         `await imgproc(imports?)` fetches and instantiates
#                         the module on first use (streaming in browsers,
#                         with an ArrayBuffer fallback; the file itself in
#                         Node.js) and resolves to its exports
#   index.d.ts            those functions' declarations
#   <module>.d.ts         `buildbudget wasm dts`: <Module>Exports and
#                         <Module>Imports of each module
#   <module>.wasm         the optimised modules (not with UNIFIED)
#   <module>.wasm.symbols each module's symbol map, when wasm_build_target()
#                         wrote one (its BUILDBUDGET_WASM_SYMBOLS_FILE), for
#                         `buildbudget wasm analyze` of the shipped module
#   buildbudget-loader.js the loader (templates/wasm-package/), with a small
#                         WASI preview 1 for wasm32-wasi C/C++ modules; or
#                         the LOADER file
# package.json, index.js and index.d.ts are rendered from
# templates/wasm-package/*.in (templates/README.md).
# UNIFIED links all the modules' code into one module, <name>.wasm: the
# objects of each C/C++ module (clang backend) and each Rust cdylib crate
# built as a static library, linked by clang/wasm-ld as a WASI reactor that
# exports every function the separate modules export, then optimised by
# `buildbudget wasm optimize` at the first module's OPTIMIZE level. The
# loader functions all resolve to that one instance (one download, one
# libc, one linear memory). Two modules exporting the same name, or defining
# the same external symbol, fail the build with the linker's message.
#
# NPM_NAME   default <name>; lower case, at most 214 characters, an optional
#            @scope/ (npm's package name rules).
# VERSION    default PROJECT_VERSION, else 0.0.0; semantic versioning 2.0.0.
# DESCRIPTION  package.json's description (default: none).
# LOADER     your own loader, copied as the package's buildbudget-loader.js
#            (relative to the current source directory; a change reconfigures).
#            index.js imports `createLoader` and `WasiExit` from it:
#            createLoader(url) returns the function `(imports?, options?) =>
#            Promise<exports>` that each module's export is, and WasiExit is
#            an Error class; index.d.ts declares them as for the package's
#            loader. Default: templates/wasm-package/buildbudget-loader.js.
# The package is ready for `npm pack <dir>` / `npm publish <dir>`; the target
# <name>_pack runs `npm pack` into ${CMAKE_CURRENT_BINARY_DIR} when npm is found.
#
# Errors (at configure time, naming the argument): unknown arguments, a
# misspelt keyword wherever it stands (_buildbudget_check_arguments()), no
# MODULES, a module that is not a target with BUILDBUDGET_WASM_FILE, the same module
# twice, two modules whose loader names clash, a module name that gives no
# JavaScript identifier or a reserved word (`class`), a module named index,
# package or buildbudget-loader (the package's own files), a bad NPM_NAME or
# VERSION, a LOADER that is not a file; with UNIFIED, a module
# built with BACKEND emscripten or a Rust crate that is not a cdylib.
#
# Example:
#   wasm_build_target(imgproc SOURCES src/imgproc.cpp EXPORTS blur malloc free REACTOR)
#   wasm_build_target(hasher CARGO_MANIFEST ${CMAKE_SOURCE_DIR}/hasher/Cargo.toml)
#   wasm_package(wasm_example MODULES imgproc hasher NPM_NAME @example/wasm VERSION 1.2.0)
#   # JavaScript: import { imgproc, hasher } from '@example/wasm';
#   #             const { fnv1a } = await hasher();
include_guard(GLOBAL)

function(wasm_package name)
  set(ctx "wasm_package(${name})")
  if(name STREQUAL "" OR name STREQUAL "MODULES")
    message(FATAL_ERROR "wasm_package: the first argument must be the package's name, got \"${name}\"")
  endif()
  if(TARGET "${name}")
    message(FATAL_ERROR "${ctx}: a target named ${name} already exists; the package needs its own target name")
  endif()
  _buildbudget_parse_arguments(1 "${ctx}" "README.md#npm-packages-wasm_package"
    "UNIFIED" "NPM_NAME;VERSION;OUTPUT_DIRECTORY;DESCRIPTION;LOADER" "MODULES")
  foreach(keyword IN LISTS arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "${ctx}: ${keyword} needs a value")
  endforeach()
  if(NOT arg_MODULES)
    message(FATAL_ERROR "${ctx}: MODULES needs at least one wasm_build_target() module")
  endif()

  # package.json's name and version (npm's rules: docs.npmjs.com, "package.json", name and version).
  if(NOT DEFINED arg_NPM_NAME)
    set(arg_NPM_NAME "${name}")
  endif()
  string(LENGTH "${arg_NPM_NAME}" length)
  if(length GREATER 214 OR NOT arg_NPM_NAME MATCHES "^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
    message(FATAL_ERROR "${ctx}: NPM_NAME \"${arg_NPM_NAME}\" is not an npm package name: lower-case letters, "
      "digits and - . _ ~, not starting with . or _, at most 214 characters, optionally after @scope/")
  endif()
  if(NOT DEFINED arg_VERSION)
    set(arg_VERSION "${PROJECT_VERSION}")
    if(arg_VERSION STREQUAL "")
      set(arg_VERSION 0.0.0)
    endif()
  endif()
  set(number "(0|[1-9][0-9]*)")
  set(ident "[0-9A-Za-z-]+")
  if(NOT arg_VERSION MATCHES "^${number}\\.${number}\\.${number}(-${ident}(\\.${ident})*)?(\\+${ident}(\\.${ident})*)?$")
    message(FATAL_ERROR "${ctx}: VERSION \"${arg_VERSION}\" is not a semantic version (MAJOR.MINOR.PATCH, e.g. "
      "1.2.0 or 1.2.0-beta.1; semver.org)")
  endif()
  # The loader: the user's own file, or the package's.
  if(DEFINED arg_LOADER)
    get_filename_component(loader "${arg_LOADER}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT EXISTS "${loader}" OR IS_DIRECTORY "${loader}")
      message(FATAL_ERROR "${ctx}: LOADER ${arg_LOADER} is not a file (${loader}); expected a JavaScript module "
        "exporting createLoader(url) and WasiExit, like the package's templates/wasm-package/buildbudget-loader.js")
    endif()
  else()
    set(loader "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../templates/wasm-package/buildbudget-loader.js")
  endif()
  if(DEFINED arg_OUTPUT_DIRECTORY)
    get_filename_component(dir "${arg_OUTPUT_DIRECTORY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(dir "${CMAKE_CURRENT_BINARY_DIR}/${name}.npm")
  endif()

  # The modules and their files.
  set(modules)
  set(functions)
  set(wasm_files)
  foreach(module IN LISTS arg_MODULES)
    if(NOT TARGET "${module}")
      message(FATAL_ERROR "${ctx}: MODULES ${module} is not a target; define it with wasm_build_target(${module} ...) "
        "before wasm_package()")
    endif()
    _buildbudget_wasm_property(file "${module}" WASM_FILE)
    if(NOT file)
      message(FATAL_ERROR "${ctx}: MODULES ${module} has no BUILDBUDGET_WASM_FILE property; expected a "
        "wasm_build_target() module")
    endif()
    _buildbudget_wasm_property(glue "${module}" WASM_JS_FILE)
    if(glue)
      message(FATAL_ERROR "${ctx}: MODULES ${module} needs Emscripten's JavaScript glue (${glue}: C++ exceptions with "
        "BACKEND emscripten), which the package's WASI loader does not provide; ship ${module}.js with its .wasm as "
        "they are, or build ${module} without exceptions (doc/wasm-build.md, \"Backends\")")
    endif()
    if(module IN_LIST modules)
      message(FATAL_ERROR "${ctx}: MODULES names ${module} twice")
    endif()
    if(module MATCHES "^(index|package|buildbudget-loader)$")
      message(FATAL_ERROR "${ctx}: a module named ${module} would overwrite the package's own ${module} file; "
        "rename the module")
    endif()
    list(APPEND modules "${module}")
    list(APPEND wasm_files "${file}")
  endforeach()

  # The loader functions' names (img-proc -> imgProc), from the helper, which
  # holds JavaScript's rules (reserved words, identifiers) and refuses a name
  # that breaks them or that two modules share, with a message passed on here.
  _buildbudget_helper(helper)
  execute_process(COMMAND "${helper}" wasm loader-names -- ${modules}
    RESULT_VARIABLE rc OUTPUT_VARIABLE functions ERROR_VARIABLE error)
  if(NOT rc EQUAL 0)
    string(REGEX REPLACE "^buildbudget: error: " "" error "${error}")
    string(STRIP "${error}" error)
    if(error STREQUAL "")
      set(error "buildbudget wasm loader-names failed (${rc})")
    endif()
    message(FATAL_ERROR "${ctx}: ${error}")
  endif()
  string(STRIP "${functions}" functions)
  string(REPLACE "\n" ";" functions "${functions}")
  set(outputs)
  set(files package.json index.js index.d.ts buildbudget-loader.js)
  set(loader_lines)
  set(dts_imports)
  set(dts_functions)

  # The module files: each one's own, or the unified one.
  if(arg_UNIFIED)
    _buildbudget_wasm_unified("${name}" "${ctx}" "${dir}/${name}.wasm")
    list(APPEND outputs "${dir}/${name}.wasm")
    list(APPEND files "${name}.wasm")
    string(APPEND loader_lines "const unified = createLoader(new URL('./${name}.wasm', import.meta.url));\n")
  endif()
  foreach(module function file IN ZIP_LISTS modules functions wasm_files)
    string(SUBSTRING "${function}" 0 1 first)
    string(SUBSTRING "${function}" 1 -1 rest)
    string(TOUPPER "${first}" first)
    set(interface "${first}${rest}")
    # The declarations come from the module's own build, UNIFIED or not.
    add_custom_command(OUTPUT "${dir}/${module}.d.ts"
      COMMAND "${helper}" wasm dts "${file}" --name "${interface}" --output "${dir}/${module}.d.ts"
      DEPENDS "${file}" ${module}
      COMMENT "Writing TypeScript declarations of ${module} for npm package ${arg_NPM_NAME}"
      VERBATIM)
    list(APPEND outputs "${dir}/${module}.d.ts")
    list(APPEND files "${module}.d.ts")
    string(APPEND dts_imports "import type { ${interface}Exports } from './${module}.js';\n")
    string(APPEND dts_functions
      "/**\n"
      " * Fetches and instantiates ${module}.wasm on the first call (the imports and options of that\n"
      " * call, over WASI preview 1 defaults) and resolves to its exports; later calls resolve to the same.\n"
      " */\n"
      "export declare function ${function}(imports?: WebAssembly.Imports, options?: LoaderOptions): "
      "Promise<${interface}Exports>;\n"
      "export type { ${interface}Exports };\n")
    if(arg_UNIFIED)
      string(APPEND loader_lines "/** ${module}: the unified module ${name}.wasm. */\nexport const ${function} = unified;\n")
    else()
      add_custom_command(OUTPUT "${dir}/${module}.wasm"
        COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${file}" "${dir}/${module}.wasm"
        DEPENDS "${file}" ${module}
        COMMENT "Copying ${module}.wasm into npm package ${arg_NPM_NAME}"
        VERBATIM)
      list(APPEND outputs "${dir}/${module}.wasm")
      list(APPEND files "${module}.wasm")
      # Its symbol map beside it (wasm_build_target(), <module>.wasm.symbols), for `wasm analyze`.
      _buildbudget_wasm_property(symbols "${module}" WASM_SYMBOLS_FILE)
      if(symbols)
        add_custom_command(OUTPUT "${dir}/${module}.wasm.symbols"
          COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${symbols}" "${dir}/${module}.wasm.symbols"
          DEPENDS "${file}" ${module}
          COMMENT "Copying ${module}.wasm.symbols into npm package ${arg_NPM_NAME}"
          VERBATIM)
        list(APPEND outputs "${dir}/${module}.wasm.symbols")
        list(APPEND files "${module}.wasm.symbols")
      endif()
      string(APPEND loader_lines
        "/** ${module}.wasm, loaded on first use. */\n"
        "export const ${function} = createLoader(new URL('./${module}.wasm', import.meta.url));\n")
    endif()
  endforeach()

  # The files known at configure time, from templates/wasm-package/ (configure_file() rewrites
  # a file only when it changes; templates/README.md lists the placeholders).
  set(templates "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../templates/wasm-package")
  set(PACKAGE "${name}")
  string(REGEX REPLACE "\n$" "" LOADER_FUNCTIONS "${loader_lines}")
  configure_file("${templates}/index.js.in" "${dir}/index.js" @ONLY NO_SOURCE_PERMISSIONS)
  string(REGEX REPLACE "\n$" "" TYPE_IMPORTS "${dts_imports}")
  string(REGEX REPLACE "\n$" "" FUNCTION_DECLARATIONS "${dts_functions}")
  configure_file("${templates}/index.d.ts.in" "${dir}/index.d.ts" @ONLY NO_SOURCE_PERMISSIONS)
  configure_file("${loader}" "${dir}/buildbudget-loader.js" COPYONLY NO_SOURCE_PERMISSIONS)

  # package.json, keys in npm's usual order.
  _buildbudget_json_string(NPM_NAME_JSON "${arg_NPM_NAME}")
  set(VERSION "${arg_VERSION}")
  set(DESCRIPTION_LINE "")
  if(DEFINED arg_DESCRIPTION)
    _buildbudget_json_string(description "${arg_DESCRIPTION}")
    set(DESCRIPTION_LINE "  \"description\": ${description},\n")
  endif()
  set(WASM_EXPORTS "")
  set(FILES "")
  foreach(f IN LISTS files)
    _buildbudget_json_string(path "${f}")
    if(f MATCHES "\\.wasm$")
      _buildbudget_json_string(export "./${f}")
      string(APPEND WASM_EXPORTS "    ${export}: ${export},\n")
    endif()
    if(NOT FILES STREQUAL "")
      string(APPEND FILES ",\n")
    endif()
    string(APPEND FILES "    ${path}")
  endforeach()
  configure_file("${templates}/package.json.in" "${dir}/package.json" @ONLY NO_SOURCE_PERMISSIONS)

  add_custom_target(${name} ALL DEPENDS ${outputs})
  _buildbudget_set_wasm_property(${name} WASM_PACKAGE_DIR "${dir}")
  _buildbudget_set_wasm_property(${name} WASM_PACKAGE_NAME "${arg_NPM_NAME}")
  _buildbudget_set_wasm_property(${name} WASM_PACKAGE_VERSION "${arg_VERSION}")

  find_program(BUILDBUDGET_NPM npm)
  if(BUILDBUDGET_NPM)
    add_custom_target(${name}_pack
      COMMAND "${BUILDBUDGET_NPM}" pack "${dir}" --pack-destination "${CMAKE_CURRENT_BINARY_DIR}"
      DEPENDS ${name}
      WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
      COMMENT "npm pack of ${arg_NPM_NAME} ${arg_VERSION}"
      VERBATIM)
  endif()
endfunction()

# _buildbudget_wasm_unified(<name> <ctx> <output>)
# (reads the caller's modules and wasm_files) The custom commands that link
# every module's code into <output>: the export list from the separate
# modules (`buildbudget wasm exports --link-options`), each Rust crate as a
# static library (_buildbudget_wasm_cargo STATICLIB), the link with clang++
# for wasm32-wasi as a reactor, then `buildbudget wasm optimize`.
function(_buildbudget_wasm_unified name ctx output)
  _buildbudget_helper(helper)
  set(work "${CMAKE_CURRENT_BINARY_DIR}/${name}.unified")
  set(archives)
  set(archive_targets)
  set(libraries)
  set(level)
  set(max_memory)
  foreach(module IN LISTS modules)
    get_target_property(archive "${module}" _BUILDBUDGET_WASM_ARCHIVE)
    get_target_property(archive_target "${module}" _BUILDBUDGET_WASM_ARCHIVE_TARGET)
    get_target_property(cargo_args "${module}" _BUILDBUDGET_WASM_CARGO_ARGS)
    _buildbudget_wasm_property(optimize "${module}" WASM_OPTIMIZE)
    get_target_property(memory "${module}" _BUILDBUDGET_WASM_MAX_MEMORY)
    get_target_property(module_libraries "${module}" _BUILDBUDGET_WASM_LINK_LIBRARIES)
    if(NOT level)
      set(level "${optimize}")
    endif()
    if(memory AND (NOT max_memory OR memory GREATER max_memory))
      set(max_memory "${memory}")
    endif()
    if(archive)
      list(APPEND archives "${archive}")
      list(APPEND archive_targets ${archive_target})
      if(module_libraries)
        list(APPEND libraries ${module_libraries})
      endif()
    elseif(cargo_args)
      # One static library per crate, however many packages link it.
      get_target_property(archive "${module}" _BUILDBUDGET_WASM_STATICLIB)
      if(NOT archive)
        _buildbudget_wasm_cargo("${module}" ${cargo_args} VARIANT unified STATICLIB OUTPUT_VARIABLE archive
          CONTEXT "${ctx}: ${module}")
        set_target_properties("${module}" PROPERTIES _BUILDBUDGET_WASM_STATICLIB "${archive}")
      endif()
      list(APPEND archives "${archive}")
    else()
      message(FATAL_ERROR "${ctx}: UNIFIED links the code of wasm_build_target() modules built with clang "
        "(SOURCES, BACKEND clang) or cargo (CARGO_MANIFEST); ${module} is neither (an Emscripten module or "
        "another target with a BUILDBUDGET_WASM_FILE)")
    endif()
  endforeach()

  find_program(BUILDBUDGET_WASM_CLANGXX NAMES clang++-14 clang++)
  if(NOT BUILDBUDGET_WASM_CLANGXX)
    message(FATAL_ERROR "${ctx}: UNIFIED links with clang++ for wasm32-wasi (apt-get install clang lld wasi-libc "
      "libc++-14-dev-wasm32 libc++abi-14-dev-wasm32 libclang-rt-14-dev-wasm32)")
  endif()
  _buildbudget_wasm_optimize_options(${level} compile_options link_options)
  if(max_memory)
    list(APPEND link_options "-Wl,--max-memory=${max_memory}")
  endif()
  set(library_options)
  foreach(library IN LISTS libraries)
    if(library MATCHES "^-")
      list(APPEND library_options "${library}")
    else()
      list(APPEND library_options "-l${library}")
    endif()
  endforeach()

  list(JOIN modules ", " module_list)
  set(exports_file "${work}/exports.rsp")
  add_custom_command(OUTPUT "${exports_file}"
    COMMAND "${helper}" wasm exports ${wasm_files} --link-options "${exports_file}"
    DEPENDS ${wasm_files} ${modules}
    COMMENT "Collecting the exports of ${module_list} for the unified module ${name}"
    VERBATIM)
  set(raw "${work}/${name}.raw.wasm")
  add_custom_command(OUTPUT "${raw}"
    COMMAND "${BUILDBUDGET_WASM_CLANGXX}" --target=wasm32-wasi -mexec-model=reactor -fno-exceptions ${link_options}
            "@${exports_file}" ${archives} ${library_options} -o "${raw}"
    DEPENDS "${exports_file}" ${archives} ${archive_targets} ${modules}
    COMMENT "Linking ${module_list} into one WebAssembly module ${name}"
    VERBATIM)
  _buildbudget_wasm_optimize_step("${raw}" "${output}" ${level} "${name}" "${work}/${name}.size.json")
endfunction()
