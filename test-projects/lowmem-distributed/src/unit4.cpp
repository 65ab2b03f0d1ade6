#include <string>
int count1(const std::string&, const std::string&);
int count2(const std::string&, const std::string&);
int count3(const std::string&, const std::string&);
#define UNIT_FUNCTION count4
#include "heavy.inc"

int main(int argc, char** argv) {
    const std::string text = argc > 1 ? argv[1] : "a aa aaa";
    return (count1(text, "a+") + count2(text, "a") + count3(text, "aa") + count4(text, "a*")) > 0 ? 0 : 1;
}
