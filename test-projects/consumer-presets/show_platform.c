/* Prints the platform the budget was validated for, its maximum and the total. */
#include "app_budget.h"

#include <stdio.h>

int main(void) {
    printf("%s %llu %llu\n", MEMORY_BUDGET_PLATFORM, (unsigned long long)PLATFORM_MAX_BUDGET,
           (unsigned long long)TOTAL_MEMORY_BUDGET);
    return 0;
}
