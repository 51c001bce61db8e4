#include "metadata/postgres_connection.h"

#include <algorithm>
#include <charconv>

namespace sh {
namespace {

// libpq's messages end in a newline and may span lines (DETAIL, HINT).
std::string OneLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

// Server notices ("schema ... already exists, skipping") and the FATAL notice
// of a terminated idle session are not errors of any call: keep them off stderr.
void IgnoreNotice(void*, const char*) {}

bool IsConnectionLoss(const std::string& sqlstate) {
  // Class 08: connection exception. 57P01..57P03: admin shutdown, crash
  // shutdown, cannot connect now (server starting or stopping).
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

}  // namespace

int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(res_.get());
  int64_t out = 0;
  if (n != nullptr) std::from_chars(n, n + std::char_traits<char>::length(n), out);
  return out;
}

std::string PgResult::Text(int row, int col) const {
  if (PQgetisnull(res_.get(), row, col)) return std::string();
  return std::string(PQgetvalue(res_.get(), row, col),
                     static_cast<size_t>(PQgetlength(res_.get(), row, col)));
}

int64_t PgResult::Int(int row, int col) const {
  if (PQgetisnull(res_.get(), row, col)) return 0;
  const char* v = PQgetvalue(res_.get(), row, col);
  int64_t out = 0;
  std::from_chars(v, v + PQgetlength(res_.get(), row, col), out);
  return out;
}

// ---- PgConnection ----

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectSpec& spec) {
  // libpq takes whole seconds (and treats 1 as 2); round up so a short
  // timeout never becomes "wait forever" (0).
  std::string timeout =
      std::to_string(std::max<int64_t>(1, (spec.connect_timeout_ms + 999) / 1000));
  // Defaults first, so the URL may override them; connect_timeout after the
  // expanded URL so the option wins. TCP keepalives make a server that
  // vanished without closing the socket (host down, network cut) show up as
  // a lost connection within about a minute instead of a call hanging.
  const char* keys[] = {"application_name", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "dbname",     "connect_timeout", nullptr};
  const char* values[] = {"streamhouse",   "1",    "30", "10", "3", spec.url.c_str(),
                          timeout.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Internal("connect to metadata database: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = OneLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::Unavailable("connect to metadata database: " + msg);
  }
  PQsetNoticeProcessor(conn, &IgnoreNotice, nullptr);
  std::unique_ptr<PgConnection> out(new PgConnection(conn, spec));
  SH_RETURN_IF_ERROR(out->SetupSession());
  return out;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::SetupSession() {
  // The schema is a value here (set_config's argument), quoted as an
  // identifier so any schema name is taken literally.
  auto res = Exec("set search_path", "SELECT set_config('search_path', $1, false)",
                  {PgQuoteIdentifier(spec_.schema)});
  return res.ok() ? Status::OK() : res.status();
}

Status PgConnection::ErrorStatus(const std::string& what, const PGresult* res) {
  std::string sqlstate;
  std::string msg;
  if (res != nullptr) {
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state != nullptr) sqlstate = state;
    const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    msg = primary != nullptr ? primary : OneLine(PQresultErrorMessage(res));
  }
  if (msg.empty()) msg = OneLine(PQerrorMessage(conn_));
  if (!sqlstate.empty()) msg += " (SQLSTATE " + sqlstate + ")";
  std::string text = what + ": " + msg;

  if (PQstatus(conn_) != CONNECTION_OK || IsConnectionLoss(sqlstate)) {
    broken_ = true;  // the pool reconnects it on its next use
    return Status::Unavailable(what + ": lost the metadata database connection: " + msg);
  }
  if (sqlstate == "23505") return Status::AlreadyExists(text);
  if (sqlstate.starts_with("23") || sqlstate.starts_with("22")) {
    return Status::InvalidArgument(text);
  }
  // Serialization failure, deadlock, too many connections, statement
  // cancelled: the server is fine, the same call may succeed again.
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "53300" || sqlstate == "57014") {
    return Status::Unavailable(text);
  }
  return Status::IOError(text);
}

Result<PgResult> PgConnection::Exec(const std::string& what, const char* sql,
                                    const std::vector<PgParam>& params) {
  if (broken_) return Status::Unavailable(what + ": metadata database connection is broken");
  std::vector<const char*> values;
  values.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    // Text parameters end at a NUL byte; refuse rather than truncate.
    if (params[i].value().find('\0') != std::string::npos) {
      return Status::InvalidArgument(what + ": parameter " + std::to_string(i + 1) +
                                     " contains a NUL byte");
    }
    values.push_back(params[i].value().c_str());
  }
  PgResult res(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                            nullptr, nullptr, /*resultFormat=*/0));
  ExecStatusType st = res.raw() != nullptr ? PQresultStatus(res.raw()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
  return ErrorStatus(what, res.raw());
}

Status PgConnection::ExecScript(const std::string& what, const char* sql) {
  if (broken_) return Status::Unavailable(what + ": metadata database connection is broken");
  PgResult res(PQexec(conn_, sql));
  ExecStatusType st = res.raw() != nullptr ? PQresultStatus(res.raw()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Status::OK();
  return ErrorStatus(what, res.raw());
}

bool PgConnection::Broken() {
  if (broken_) return true;
  // An idle session killed by the server has left a FATAL message and an
  // EOF in the socket. One PQconsumeInput reads the message, a second meets
  // the EOF and turns the status to CONNECTION_BAD. libpq's socket is
  // non-blocking, so on a healthy connection each is one empty read.
  for (int i = 0; i < 2 && !broken_; ++i) {
    if (PQstatus(conn_) != CONNECTION_OK || PQconsumeInput(conn_) == 0 ||
        PQstatus(conn_) != CONNECTION_OK) {
      broken_ = true;
    }
  }
  return broken_;
}

Status PgConnection::Reset() {
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    return Status::Unavailable("reconnect to metadata database: " + OneLine(PQerrorMessage(conn_)));
  }
  broken_ = false;
  Status st = SetupSession();
  if (!st.ok()) broken_ = true;
  return st;
}

void PgConnection::RollbackIfInTransaction() {
  switch (PQtransactionStatus(conn_)) {
    case PQTRANS_IDLE:
      return;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: {
      PgResult res(PQexec(conn_, "ROLLBACK"));
      if (res.raw() == nullptr || PQresultStatus(res.raw()) != PGRES_COMMAND_OK) broken_ = true;
      return;
    }
    default:  // a statement still running, or no usable connection
      broken_ = true;
  }
}

// ---- PgPool ----

PgPool::PgPool(PgConnectSpec spec, int pool_size, std::unique_ptr<PgConnection> first)
    : spec_(std::move(spec)), conns_(static_cast<size_t>(std::max(pool_size, 1))) {
  conns_[0] = std::move(first);
  // A stack with slot 0 on top: a lone caller keeps reusing the connected
  // slot, and the others connect only when calls overlap.
  for (size_t i = conns_.size(); i > 0; --i) free_.push_back(i - 1);
}

PgPool::Handle::~Handle() {
  if (pool_ != nullptr) pool_->Release(slot_);
}

PgConnection* PgPool::Handle::operator->() const { return pool_->conns_[slot_].get(); }

Result<PgPool::Handle> PgPool::Acquire(const std::string& what) {
  size_t slot;
  {
    std::unique_lock<std::mutex> lock(mu_);
    freed_.wait(lock, [this] { return !free_.empty(); });
    slot = free_.back();
    free_.pop_back();
  }
  Handle handle(this, slot);  // gives the slot back on every return below
  // The slot is ours alone until released, so its connection is used unlocked.
  std::unique_ptr<PgConnection>& conn = conns_[slot];
  if (conn == nullptr) {
    auto connected = PgConnection::Connect(spec_);
    if (!connected.ok()) return connected.status().WithContext(what);
    conn = std::move(connected).value();
  } else if (conn->Broken()) {
    Status st = conn->Reset();
    if (!st.ok()) return st.WithContext(what);
  }
  return handle;
}

void PgPool::Release(size_t slot) {
  if (conns_[slot] != nullptr) conns_[slot]->RollbackIfInTransaction();
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(slot);
  }
  freed_.notify_one();
}

std::string PgQuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';  // a quote inside an identifier is doubled
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace sh
