// Helpers of metadata_postgres_test: the server from SH_TEST_POSTGRES_URL
// (set by tests/support/servers.py run --postgres), fresh schemas, stores,
// a raw libpq session to look at and disturb the server, and a thread latch.
// Without the variable every helper that needs it records a test failure.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "metadata/metadata_test_data.h"
#include "metadata/postgres_metadata_store.h"

namespace sh::pgtest {

inline constexpr int64_t kTtl = 10'000;

inline std::string ServerUrl() {
  const char* url = std::getenv("SH_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "SH_TEST_POSTGRES_URL is not set; run this binary as "
                     "tests/support/servers.py run --postgres -- metadata_postgres_test";
    return "";
  }
  return url;
}

// Schema names of [a-z0-9_] only, so tests may splice them into their own SQL.
inline std::string FreshSchema(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "sh_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

inline PostgresOptions Options(const std::string& schema, int pool_size = 4) {
  PostgresOptions o;
  o.url = ServerUrl();
  o.pool_size = pool_size;
  o.connect_timeout_ms = 5'000;
  o.schema = schema;
  return o;
}

inline std::unique_ptr<MetadataStore> OpenOrNull(const PostgresOptions& options) {
  if (options.url.empty()) return nullptr;  // ServerUrl() has reported why
  auto store = OpenPostgresMetadataStore(options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

// A libpq session of the test's own, to look at and disturb the server.
class RawSession {
 public:
  // dbname, if given, replaces the URL's database.
  explicit RawSession(const char* dbname = nullptr) {
    std::string url = ServerUrl();
    const char* keys[] = {"dbname", dbname != nullptr ? "dbname" : nullptr, nullptr};
    const char* values[] = {url.c_str(), dbname, nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  }
  ~RawSession() { PQfinish(conn_); }
  bool ok() const { return PQstatus(conn_) == CONNECTION_OK; }

  // Runs sql; returns the first column of every row (a failure is a test failure).
  std::vector<std::string> Query(const std::string& sql,
                                 const std::vector<std::string>& params = {}) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    std::vector<std::string> out;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQerrorMessage(conn_);
    } else if (st == PGRES_TUPLES_OK) {
      for (int i = 0; i < PQntuples(res); ++i) out.push_back(PQgetvalue(res, i, 0));
    }
    PQclear(res);
    return out;
  }
  std::string One(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto rows = Query(sql, params);
    return rows.empty() ? "<no row>" : rows[0];
  }

 private:
  PGconn* conn_;
};

using metadata_test::Segment;
using metadata_test::Topic;

// Two stores on one schema, as two agents of one cluster have.
inline std::pair<std::unique_ptr<MetadataStore>, std::unique_ptr<MetadataStore>> TwoAgents(
    const std::string& schema) {
  return {OpenOrNull(Options(schema, 2)), OpenOrNull(Options(schema, 2))};
}

// Runs fn on n threads released together; joins them.
inline void RunTogether(int n, const std::function<void(int)>& fn) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready++;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (ready.load() < n && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace sh::pgtest
