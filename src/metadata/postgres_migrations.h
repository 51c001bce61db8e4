// Versioned schema migrations of the PostgreSQL metadata store.
//
// The same scheme as the SQLite store (sqlite_migrations.h): an ordered list
// of SQL scripts, version N being the N-th, recorded in
// schema_migrations(version, applied_at). Here the whole check-and-apply runs
// in one transaction that first takes pg_advisory_xact_lock on a key derived
// from the schema name, so agents starting together queue on the lock and
// each migration is applied exactly once; a crash mid-way rolls back to a
// whole version. Never edit a released migration; append a new one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "metadata/postgres_connection.h"

namespace sh {

// The scripts, oldest first.
const std::vector<std::string>& PostgresMigrations();

// Creates schema if missing and applies every migration not yet recorded in
// it; now_ms is stored as applied_at. Unsupported if the schema records a
// version newer than this binary knows.
// REQUIRES: conn's search_path is schema (PgConnection::Connect sets it).
Status ApplyPostgresMigrations(PgConnection& conn, const std::string& schema, int64_t now_ms);

// The highest applied version (0 if none).
Result<int64_t> PostgresSchemaVersion(PgConnection& conn);

}  // namespace sh
