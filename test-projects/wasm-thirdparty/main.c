/* Runs SQL through the SQLite amalgamation (a real third-party library,
 * from npm better-sqlite3) for tests/test_wasm_thirdparty.py: an in-memory
 * database, each argument one SQL statement, each result row printed as its
 * columns' text joined by "|" (NULL as "NULL"). A statement that fails
 * prints "error: <SQLite's message>" to stderr and the next one runs; the
 * exit status is the number of statements that failed. */
#include <stdio.h>

#include "sqlite3.h"

static int run(sqlite3 *db, const char *sql) {
  sqlite3_stmt *statement = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &statement, NULL);
  if (rc == SQLITE_OK) {
    int columns = sqlite3_column_count(statement);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      for (int i = 0; i < columns; i++) {
        const unsigned char *text = sqlite3_column_text(statement, i);
        printf("%s%s", i ? "|" : "", text ? (const char *)text : "NULL");
      }
      printf("\n");
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) fprintf(stderr, "error: %s\n", sqlite3_errmsg(db));
  sqlite3_finalize(statement);
  return rc == SQLITE_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    fprintf(stderr, "error: cannot open an in-memory database: %s\n", sqlite3_errmsg(db));
    return 100;
  }
  int failed = 0;
  for (int i = 1; i < argc; i++) failed += run(db, argv[i]);
  sqlite3_close(db);
  return failed;
}
