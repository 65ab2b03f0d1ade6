/* Prints the platform the budget was validated for, and its maximum. */
#include "plat_budget.h"

#include <stdio.h>

int main(void) {
    printf("%s %llu %llu\n", MEMORY_BUDGET_PLATFORM, (unsigned long long)PLATFORM_MAX_BUDGET,
           (unsigned long long)TOTAL_MEMORY_BUDGET);
    return 0;
}
