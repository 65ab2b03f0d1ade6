/* Included by main.c only. */
int twice(int x);
