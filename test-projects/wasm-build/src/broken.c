/* Does not compile: the error must reach the console as clang prints it. */
int main(void) {
    return undeclared_variable;
}
