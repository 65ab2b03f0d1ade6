#include "fw_budget.h"

#include <cstdio>

int main() {
    std::printf("%s %llu %llu\n", fw_budget::platform, fw_budget::total_memory_budget,
                static_cast<unsigned long long>(BUDGET_APP));
}
