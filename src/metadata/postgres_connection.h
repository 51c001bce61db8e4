// PgConnection and PgPool: libpq connections for PostgresMetadataStore.
//
// PgConnection wraps one PGconn. Every statement goes through Exec, which
// sends the SQL and its parameters separately (PQexecParams, text format), so
// no value is ever spliced into SQL text. Server errors become Status values:
//   - the connection is gone (server restarted, backend terminated, network
//     down; SQLSTATE class 08, 57P01..57P03)  -> Unavailable (retriable)
//   - unique violation (23505)                 -> AlreadyExists
//   - foreign-key / check violation, bad data  -> InvalidArgument
//   - serialization failure, deadlock          -> Unavailable (retriable)
//   - anything else                            -> IOError
// each with "<operation>: <server message>".
//
// PgPool holds pool_size connection slots, connected lazily. Acquire() waits
// for a free slot; a slot whose connection broke is reconnected there (a
// failed reconnect is Unavailable, the slot stays broken for the next try).
// A connection returned in the middle of a transaction is rolled back, so
// an early return never leaks an open transaction into the next caller.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/status.h"

namespace sh {

// One statement parameter, sent as text. Integers are formatted in decimal.
class PgParam {
 public:
  PgParam(const std::string& s) : value_(s) {}  // NOLINT: implicit by design
  PgParam(const char* s) : value_(s) {}         // NOLINT
  template <typename T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
  PgParam(T v) : value_(std::to_string(v)) {}  // NOLINT
  const std::string& value() const { return value_; }

 private:
  std::string value_;
};

// An owned PGresult with typed accessors. Columns are read as text.
class PgResult {
 public:
  explicit PgResult(PGresult* res) : res_(res, &PQclear) {}
  int rows() const { return PQntuples(res_.get()); }
  // Rows changed by INSERT/UPDATE/DELETE (0 for other commands).
  int64_t affected() const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;  // 0 if NULL or not a number
  const PGresult* raw() const { return res_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> res_;
};

// Where and how to connect; shared by every connection of a pool.
struct PgConnectSpec {
  std::string url;  // URL or key=value conninfo
  int64_t connect_timeout_ms = 5'000;
  std::string schema = "public";  // set as search_path on every connection
};

class PgConnection {
 public:
  // Connects and sets the session's search_path. Unavailable if the server
  // cannot be reached or refuses the login.
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectSpec& spec);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one parameterised statement ($1, $2, ... in sql). what names the
  // operation for error messages ("create topic orders").
  Result<PgResult> Exec(const std::string& what, const char* sql,
                        const std::vector<PgParam>& params = {});
  // Runs a parameterless script that may hold several statements (migrations).
  Status ExecScript(const std::string& what, const char* sql);

  Status Begin(const std::string& what) { return ExecScript(what, "BEGIN"); }
  Status Commit(const std::string& what) { return ExecScript(what, "COMMIT"); }

  // True once the connection is known to be unusable. Also reads anything
  // the server sent while the connection sat idle (a termination notice), so
  // a backend killed while idle is noticed before the next statement.
  bool Broken();
  // Reconnects with the same parameters and restores the session settings.
  Status Reset();
  // Rolls back an open or failed transaction; marks the connection broken if
  // that is impossible.
  void RollbackIfInTransaction();

  // The server's process id for this session (tests and diagnostics).
  int backend_pid() const { return PQbackendPID(conn_); }

 private:
  PgConnection(PGconn* conn, PgConnectSpec spec) : conn_(conn), spec_(std::move(spec)) {}
  Status SetupSession();
  Status ErrorStatus(const std::string& what, const PGresult* res);

  PGconn* conn_;
  PgConnectSpec spec_;
  bool broken_ = false;
};

class PgPool {
 public:
  // A connection borrowed from the pool; returned when destroyed.
  class Handle {
   public:
    Handle(PgPool* pool, size_t slot) : pool_(pool), slot_(slot) {}
    Handle(Handle&& other) noexcept : pool_(other.pool_), slot_(other.slot_) {
      other.pool_ = nullptr;
    }
    Handle& operator=(Handle&&) = delete;
    ~Handle();
    PgConnection* operator->() const;
    PgConnection& operator*() const { return *operator->(); }

   private:
    PgPool* pool_;
    size_t slot_;
  };

  // REQUIRES: pool_size >= 1. first is an already connected connection that
  // fills slot 0 (Open connects it to check the server answers).
  PgPool(PgConnectSpec spec, int pool_size, std::unique_ptr<PgConnection> first);

  // Waits for a free slot; connects or reconnects it if needed.
  Result<Handle> Acquire(const std::string& what);

  const PgConnectSpec& spec() const { return spec_; }

 private:
  void Release(size_t slot);

  const PgConnectSpec spec_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> conns_;  // nullptr: not connected yet
  std::vector<size_t> free_;                          // slots not lent out
};

// Quotes name as an SQL identifier ("My Schema" -> "\"My Schema\""), for the
// few places (CREATE SCHEMA, search_path) where a parameter cannot be used.
std::string PgQuoteIdentifier(std::string_view name);

}  // namespace sh
