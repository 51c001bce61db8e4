// SqliteConnection: one sqlite3 handle with a cache of prepared statements,
// and the small helpers the SQLite metadata store is written with.
//
// Not thread-safe: the owner serialises all use (SqliteMetadataStore holds a
// mutex around every call). Statements are prepared once per SQL text and
// reused; a SqliteStatement borrowed from the cache resets itself when it
// goes out of scope, so the next user starts clean.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/status.h"

namespace sh {

// Maps a SQLite result code to a Status whose message starts with context.
// Unique/primary-key violations become AlreadyExists, other constraint
// failures InvalidArgument, BUSY/LOCKED Unavailable (retriable).
Status SqliteError(sqlite3* db, int rc, const std::string& context);

// A borrowed, cached prepared statement. Bind() calls number parameters from
// 1 in call order; the first bind failure is kept and returned by Step().
class SqliteStatement {
 public:
  // borrowed is the cache's in-use flag for stmt; cleared on destruction.
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, bool* borrowed)
      : db_(db), stmt_(stmt), borrowed_(borrowed) {}
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  SqliteStatement& Bind(int64_t value);
  SqliteStatement& Bind(const std::string& value);

  // Advances one row: true if a row is ready, false when done.
  Result<bool> Step();
  // Steps to completion, ignoring any rows.
  Status Run();

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) const;
  // Rows changed by the last Run() (INSERT/UPDATE/DELETE).
  int Changes() const { return sqlite3_changes(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* borrowed_;
  int next_index_ = 1;
  Status bind_status_;
};

class SqliteConnection {
 public:
  // Opens (creating if missing) the database at path; ":memory:" for a
  // private in-memory database.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path);
  ~SqliteConnection();

  // Runs one or more statements without parameters (pragmas, DDL).
  Status Exec(const std::string& sql);
  // A cached statement for sql; prepared on first use.
  // REQUIRES: no other SqliteStatement for the same sql is alive (they would
  // share one sqlite3_stmt); checked, as it is a programming error.
  Result<std::unique_ptr<SqliteStatement>> Prepare(const std::string& sql);

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool borrowed = false;
  };
  std::unordered_map<std::string, Cached> statements_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a
// read-then-write transaction cannot deadlock against another connection on
// the same file); ROLLBACK on destruction unless Commit() succeeded.
class SqliteTransaction {
 public:
  static Result<std::unique_ptr<SqliteTransaction>> Begin(SqliteConnection& conn);
  ~SqliteTransaction();
  Status Commit();

 private:
  explicit SqliteTransaction(SqliteConnection& conn) : conn_(conn) {}
  SqliteConnection& conn_;
  bool done_ = false;
};

}  // namespace sh
