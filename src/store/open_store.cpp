// open_store(): one place that turns a --store location into a backend.
#include "store/pg_db.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace pictor::store {

bool is_postgresql_location(std::string_view location) { return is_pg_url(location); }

std::string redact_store_location(const std::string& location) { return redact_pg_url(location); }

Result<std::unique_ptr<Store>> open_store(const std::string& location) {
  if (!is_pg_url(location)) return open_sqlite_store(location);
  auto s = PgStore::open(location);
  if (!s.is_ok()) return s.status();
  return std::unique_ptr<Store>(std::move(*s));
}

}  // namespace pictor::store
