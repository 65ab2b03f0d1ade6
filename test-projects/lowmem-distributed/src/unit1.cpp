#define UNIT_FUNCTION count1
#include "heavy.inc"
