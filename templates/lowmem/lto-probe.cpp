int f(int x) { return x + 1; }
int main() { return f(-1); }
