#define UNIT_FUNCTION count2
#include "heavy.inc"
