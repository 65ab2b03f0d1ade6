#define UNIT_FUNCTION count3
#include "heavy.inc"
