// A translation unit heavy enough for the compiler to need well over 100 MiB.
#include <map>
#include <regex>
#include <string>
#include <tuple>
#include <variant>

template <int N> struct Step {
    static long run(const std::string& text) {
        std::regex pattern("[a-z]{" + std::to_string(N % 7 + 1) + "}");
        std::map<std::string, std::variant<int, long, double, std::string>> seen;
        seen[text] = N;
        return std::regex_search(text, pattern) + static_cast<long>(seen.size()) + Step<N - 1>::run(text);
    }
};
template <> struct Step<0> {
    static long run(const std::string&) { return 0; }
};

long heavy(const std::string& text) { return Step<60>::run(text); }
