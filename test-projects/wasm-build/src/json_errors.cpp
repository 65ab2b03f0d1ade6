// C++ that throws: nlohmann/json (a real header-only library, Debian's
// nlohmann-json3-dev) reports parse errors by throwing json::parse_error.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
    int caught = 0;
    for (int i = 1; i < argc; i++) {
        try {
            const auto value = nlohmann::json::parse(argv[i]);
            std::printf("parsed %s\n", value.dump().c_str());
        } catch (const nlohmann::json::parse_error& e) {
            std::printf("caught parse error %d at byte %zu\n", e.id, e.byte);
            caught++;
        }
    }
    std::printf("json ok, %d caught\n", caught);
    return 0;
}
