#include "store/pg_db.h"

#include <chrono>

namespace pictor::store {

std::string redact_pg_url(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

bool is_pg_url(std::string_view location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
}

Status pg_status(const std::exception& e, const std::string& what) {
  std::string msg = e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  msg = what + ": " + msg;
  if (dynamic_cast<const pqxx::broken_connection*>(&e) || dynamic_cast<const pqxx::in_doubt_error*>(&e))
    return unavailable(msg);
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) return invalid_argument(msg);
  if (dynamic_cast<const pqxx::integrity_constraint_violation*>(&e)) return invalid_argument(msg);
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e)) return Status(StatusCode::kBusy, msg);
  if (const auto* s = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = s->sqlstate();
    // Class 57: operator intervention (shutdown, admin_shutdown, cannot_connect_now);
    // class 08: connection exceptions; 53: insufficient resources.
    if (state.rfind("57", 0) == 0 || state.rfind("08", 0) == 0 || state.rfind("53", 0) == 0)
      return unavailable(msg);
    if (state.rfind("22", 0) == 0) return invalid_argument(msg);  // data exception
  }
  return internal_error(msg);
}

pqxx::binarystring to_bytea(std::string_view bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

std::string from_bytea(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

Status check_no_nul(std::string_view text, const char* what) {
  if (text.find('\0') != std::string_view::npos)
    return invalid_argument(std::string(what) + " contains a NUL character");
  return Status::ok();
}

Result<std::unique_ptr<PgPool>> PgPool::open(const std::string& url, int size) {
  std::string u = url;
  if (u.find("connect_timeout=") == std::string::npos)
    u += (u.find('?') == std::string::npos ? "?" : "&") + std::string("connect_timeout=5");
  std::unique_ptr<PgPool> pool(new PgPool(u, size < 1 ? 1 : size));
  auto c = pool->checkout();
  if (!c.is_ok()) return c.status();
  pool->give_back(std::move(*c));
  return pool;
}

PgPool::~PgPool() = default;

Result<std::unique_ptr<pqxx::connection>> PgPool::checkout() {
  {
    std::unique_lock lock(mu_);
    // Bounded wait: a pool exhausted for this long means a stuck caller; say so rather than hang.
    if (!idle_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !idle_.empty() || open_ < size_; }))
      return unavailable("all " + std::to_string(size_) + " PostgreSQL connections are busy");
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
  }
  try {
    auto c = std::make_unique<pqxx::connection>(url_);
    return c;
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    idle_cv_.notify_one();
    return unavailable("cannot connect to PostgreSQL at " + redacted_url() + ": " + pg_status(e, "connect").message());
  }
}

void PgPool::give_back(std::unique_ptr<pqxx::connection> c) {
  {
    std::lock_guard lock(mu_);
    if (c && c->is_open()) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
  }
  idle_cv_.notify_one();
}

Status PgPool::transact(const char* what, const std::function<Status(pqxx::work&)>& body) {
  auto c = checkout();
  if (!c.is_ok()) return c.status();
  std::unique_ptr<pqxx::connection> conn = std::move(*c);
  Status out;
  try {
    pqxx::work txn(*conn);
    out = body(txn);
    if (out.is_ok()) txn.commit();
    // Otherwise the work's destructor rolls back.
  } catch (const std::exception& e) {
    out = pg_status(e, what);
    if (out.code() == StatusCode::kUnavailable) conn.reset();  // reconnect next time
  }
  give_back(std::move(conn));
  return out;
}

Status PgPool::with_connection(const char* what, const std::function<Status(pqxx::connection&)>& body) {
  auto c = checkout();
  if (!c.is_ok()) return c.status();
  std::unique_ptr<pqxx::connection> conn = std::move(*c);
  Status out;
  try {
    out = body(*conn);
  } catch (const std::exception& e) {
    out = pg_status(e, what);
    if (out.code() == StatusCode::kUnavailable) conn.reset();
  }
  give_back(std::move(conn));
  return out;
}

}  // namespace pictor::store
