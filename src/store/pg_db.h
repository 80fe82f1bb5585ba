#pragma once
// A small pool of PostgreSQL connections (libpqxx) for PgStore: each store call checks one out,
// runs one transaction on it and hands it back. libpqxx's exceptions stop here and become Status:
// an unreachable or restarting server is `unavailable` (HTTP 503 + Retry-After), a broken
// connection is dropped and the next call reconnects, so the store heals by itself.
#include <pqxx/pqxx>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pictor::store {

// "postgresql://user:secret@host:5432/db" → "postgresql://user:***@host:5432/db" (for messages).
std::string redact_pg_url(const std::string& url);
// True for postgresql:// and postgres:// URLs (the store locations PgStore takes).
bool is_pg_url(std::string_view location);

// Maps a libpqxx / standard exception onto a Status with `what` as context.
Status pg_status(const std::exception& e, const std::string& what);

// bytea from / to std::string.
pqxx::binarystring to_bytea(std::string_view bytes);
std::string from_bytea(const pqxx::field& f);

class PgPool {
 public:
  // Connects once (so that a wrong URL fails at startup, with the reason) and keeps up to `size`
  // connections. The URL gets connect_timeout=5 unless it names one.
  static Result<std::unique_ptr<PgPool>> open(const std::string& url, int size);
  ~PgPool();

  // Runs `body` in one transaction (READ COMMITTED) and commits when it returns ok; any error or
  // exception rolls back. `what` names the operation in error messages.
  Status transact(const char* what, const std::function<Status(pqxx::work&)>& body);
  // Runs `body` outside a transaction block (LISTEN, advisory session locks).
  Status with_connection(const char* what, const std::function<Status(pqxx::connection&)>& body);

  const std::string& url() const { return url_; }
  std::string redacted_url() const { return redact_pg_url(url_); }

 private:
  PgPool(std::string url, int size) : url_(std::move(url)), size_(size) {}
  Result<std::unique_ptr<pqxx::connection>> checkout();
  void give_back(std::unique_ptr<pqxx::connection> c);  // null: the connection broke

  std::string url_;
  int size_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections checked out or idle
};

// Text parameters go to libpq as C strings: a NUL byte would silently cut them short.
Status check_no_nul(std::string_view text, const char* what);

}  // namespace pictor::store
