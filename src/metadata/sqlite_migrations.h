// Versioned schema migrations of the SQLite metadata store.
//
// Migrations are an ordered list of SQL scripts; version N is the N-th entry
// (1-based). Each is applied in its own transaction together with its row in
// schema_migrations(version, applied_at), so a crash leaves the schema at a
// whole version. Applying is idempotent: versions already recorded are
// skipped. Never edit a released migration; append a new one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "metadata/sqlite_connection.h"

namespace sh {

// The scripts, oldest first.
const std::vector<std::string>& SqliteMigrations();

// Applies every migration not yet recorded; now_ms is stored as applied_at.
// Unsupported if the database records a version newer than this binary knows
// (it was written by a newer StreamHouse; refuse rather than guess).
Status ApplySqliteMigrations(SqliteConnection& conn, int64_t now_ms);

// The highest applied version (0 for an empty database).
Result<int64_t> SqliteSchemaVersion(SqliteConnection& conn);

}  // namespace sh
