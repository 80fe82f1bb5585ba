#pragma once
// A thin layer over one SQLite connection: cached prepared statements with bound parameters,
// transactions, and SQLite result codes mapped onto Status. Not thread-safe by itself: SqliteStore
// holds its mutex around every use.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pictor::store {

// Maps a SQLite result code (primary or extended) onto a Status with `what` as context.
Status sqlite_status(int rc, const std::string& what);

// One use of a cached prepared statement: bind, step, read columns. The destructor resets the
// statement and clears its bindings so that the next use starts clean.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Parameters are 1-based, as in SQLite. Text is copied; blob bytes must outlive step().
  Stmt& bind(int i, std::string_view text);
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
  Stmt& bind(int i, double v);
  Stmt& bind_blob(int i, std::string_view bytes);
  Stmt& bind_null(int i);

  // One step: true = a row is ready, false = done.
  Result<bool> step();
  // Steps to completion (for statements without rows).
  Status run();

  std::string text(int col) const;  // 0-based, as in SQLite
  int64_t i64(int col) const;
  double f64(int col) const;
  std::string blob(int col) const;

 private:
  void note(int rc);
  sqlite3* db_;
  sqlite3_stmt* s_;
  int bind_rc_ = 0;  // first failed bind, reported by step()
};

class SqliteDb {
 public:
  // Opens or creates `path` (its directory must exist) and sets the connection's pragmas.
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // A statement from the cache (prepared on first use). `sql` is program text, never user input.
  Result<std::unique_ptr<Stmt>> prepare(const std::string& sql);
  // Runs one or more statements without parameters (schema, pragmas, BEGIN/COMMIT).
  Status exec(const char* sql);
  int64_t changes() const;
  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back in the destructor unless commit() succeeded. IMMEDIATE
// takes the write lock up front, so two processes (the server and `pictor keys`) never deadlock
// on a read-then-write upgrade; busy_timeout makes the second one wait instead of failing.
class Transaction {
 public:
  explicit Transaction(SqliteDb& db) : db_(db) {}
  ~Transaction();
  Status begin();
  Status commit();

 private:
  SqliteDb& db_;
  bool open_ = false;
};

}  // namespace pictor::store

// Declares `Stmt& var` for a cached statement, or returns its error. SQL is program text only:
// every value travels as a bound parameter.
#define PREPARE(var, sql)                            \
  auto var##_result = db_->prepare(sql);             \
  if (!var##_result.is_ok()) return var##_result.status(); \
  Stmt& var = **var##_result
