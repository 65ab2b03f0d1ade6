/* The small source beside the SQLite amalgamation that bench/wasm_rebuild.py
 * edits between builds: an in-memory database, a table, a query. */
#include <stdio.h>

#include "sqlite3.h"

static int print_row(void* unused, int columns, char** values, char** names) {
    (void)unused;
    for (int i = 0; i < columns; i++) printf("%s%s=%s", i ? " " : "", names[i], values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

int main(void) {
    sqlite3* db;
    char* error = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "open: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    const char* sql =
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL);"
        "INSERT INTO t(name, score) VALUES ('a', 1.5), ('b', 2.5), ('c', 4.0);"
        "SELECT count(*) AS n, sum(score) AS total, group_concat(name) AS names FROM t;";
    if (sqlite3_exec(db, sql, print_row, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "exec: %s\n", error);
        sqlite3_free(error);
        sqlite3_close(db);
        return 1;
    }
    printf("sqlite %s ok\n", sqlite3_libversion());
    sqlite3_close(db);
    return 0;
}
