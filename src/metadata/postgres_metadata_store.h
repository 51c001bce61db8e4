// PostgresMetadataStore: the MetadataStore of a cluster, in PostgreSQL.
//
// Several agents share one database. Schema changes are versioned migrations
// applied at Open under a transaction-scoped advisory lock, so agents that
// start together apply each migration exactly once. Connections come from a
// fixed pool (PostgresOptions::pool_size); a caller waits for a free one. A
// connection that breaks (the server restarted) is reset and the call that
// saw the break fails with Unavailable (retriable); the next call reconnects.
// Every statement is parameterised; changes that span rows run in one
// transaction; leader writes carry the leader-epoch condition of
// metadata_store.h in their WHERE clause.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "metadata/metadata_store.h"

namespace sh {

struct PostgresOptions {
  // postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?param=value...], or any
  // libpq connection string.
  std::string url;
  int pool_size = 8;
  int64_t connect_timeout_ms = 5'000;
  // Tables live in this schema (created if missing); tests use a fresh one each.
  std::string schema = "public";
};

// Opens the pool, checks the server answers, applies pending migrations.
// Unavailable if the server cannot be reached; InvalidArgument for a bad URL.
Result<std::unique_ptr<MetadataStore>> OpenPostgresMetadataStore(const PostgresOptions& options);

}  // namespace sh
