#pragma once
// Numbered schema migrations, embedded in the binary. The numbers are shared by every backend
// (PostgreSQL carries its own SQL, pg_migrations.cpp, under the same numbers and names). Applied versions are recorded
// in schema_migrations; applying is idempotent and each migration is one transaction.
#include <vector>

#include "core/status.h"

namespace pictor::store {

class SqliteDb;
class PgPool;

struct Migration {
  int version;       // 1, 2, … strictly increasing, never renumbered or edited once released
  const char* name;  // "0001_init"
  const char* sql;
};

const std::vector<Migration>& sqlite_migrations();

// Applies every migration not yet recorded. Refuses (unsupported) a database whose schema is newer
// than this binary knows, and (corrupt_data) an SQLite file that holds someone else's tables.
Status apply_sqlite_migrations(SqliteDb& db);

const std::vector<Migration>& pg_migrations();
// The same for PostgreSQL, in one transaction under an advisory lock: nodes that start at once
// migrate once (the others wait, then find everything applied). A database whose public schema
// has tables but no schema_migrations is refused (corrupt_data).
Status apply_pg_migrations(PgPool& pool);

}  // namespace pictor::store
