#include "metadata/sqlite_connection.h"

namespace sh {

Status SqliteError(sqlite3* db, int rc, const std::string& context) {
  std::string msg = context + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::AlreadyExists(msg);
      }
      return Status::InvalidArgument(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(msg);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Status::IOError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_TOOBIG:
      return Status::TooLarge(msg);
    default:
      return Status::Internal(msg);
  }
}

SqliteStatement::~SqliteStatement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *borrowed_ = false;
}

SqliteStatement& SqliteStatement::Bind(int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, next_index_, value);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteError(db_, rc, "bind parameter " + std::to_string(next_index_));
  }
  ++next_index_;
  return *this;
}

SqliteStatement& SqliteStatement::Bind(const std::string& value) {
  int rc = sqlite3_bind_text64(stmt_, next_index_, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_status_.ok()) {
    bind_status_ = SqliteError(db_, rc, "bind parameter " + std::to_string(next_index_));
  }
  ++next_index_;
  return *this;
}

Result<bool> SqliteStatement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, "sqlite step");
}

Status SqliteStatement::Run() {
  while (true) {
    SH_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

std::string SqliteStatement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteError(db, rc, "open sqlite database " + path);
    sqlite3_close(db);  // a handle is returned even on most failures
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, cached] : statements_) sqlite3_finalize(cached.stmt);
  sqlite3_close(db_);
}

Status SqliteConnection::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::OK();
  return SqliteError(db_, rc, "sqlite exec (" + sql.substr(0, 60) + ")");
}

Result<std::unique_ptr<SqliteStatement>> SqliteConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare (" + sql.substr(0, 60) + ")");
    it = statements_.emplace(sql, Cached{stmt, false}).first;
  }
  SH_CHECK_MSG(!it->second.borrowed, "statement already in use: " + sql);
  it->second.borrowed = true;
  return std::make_unique<SqliteStatement>(db_, it->second.stmt, &it->second.borrowed);
}

Result<std::unique_ptr<SqliteTransaction>> SqliteTransaction::Begin(SqliteConnection& conn) {
  SH_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
  return std::unique_ptr<SqliteTransaction>(new SqliteTransaction(conn));
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) (void)conn_.Exec("ROLLBACK");
}

Status SqliteTransaction::Commit() {
  SH_RETURN_IF_ERROR(conn_.Exec("COMMIT"));
  done_ = true;
  return Status::OK();
}

}  // namespace sh
