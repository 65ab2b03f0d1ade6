// toml++'s implementation, compiled into the helper instead of linked from its shared library
// (tools/buildbudget/CMakeLists.txt: the helper loads no shared library but glibc). Every other
// file includes <toml++/toml.h> with TOML_HEADER_ONLY=0 and uses the definitions made here.
#define TOML_IMPLEMENTATION 1
#include <toml++/toml.h>
