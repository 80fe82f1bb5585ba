#pragma once
// Numbered schema migrations, embedded in the binary. The numbers are shared by every backend
// (a PostgreSQL store will carry its own SQL under the same numbers). Applied versions are recorded
// in schema_migrations; applying is idempotent and each migration is one transaction.
#include <vector>

#include "core/status.h"

namespace pictor::store {

class SqliteDb;

struct Migration {
  int version;       // 1, 2, … strictly increasing, never renumbered or edited once released
  const char* name;  // "0001_init"
  const char* sql;
};

const std::vector<Migration>& sqlite_migrations();

// Applies every migration not yet recorded. Refuses (unsupported) a database whose schema is newer
// than this binary knows, and (corrupt_data) an SQLite file that holds someone else's tables.
Status apply_sqlite_migrations(SqliteDb& db);

}  // namespace pictor::store
