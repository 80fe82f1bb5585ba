#include "store/sqlite_db.h"

#include <sqlite3.h>

namespace pictor::store {

Status sqlite_status(int rc, const std::string& what) {
  const char* name = sqlite3_errstr(rc);
  const std::string msg = what.find(name) == std::string::npos ? what + " (" + name + ")" : what;
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return Status::ok();
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT: return corrupt_data(msg);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_AUTH: return io_error(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status(StatusCode::kBusy, msg);
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return invalid_argument(msg);
    default: return internal_error(msg);
  }
}

// --- Stmt

Stmt::~Stmt() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

void Stmt::note(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Stmt& Stmt::bind(int i, std::string_view text) {
  note(sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}
Stmt& Stmt::bind(int i, int64_t v) {
  note(sqlite3_bind_int64(s_, i, v));
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  note(sqlite3_bind_double(s_, i, v));
  return *this;
}
Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
  // A zero-length blob, not NULL, for empty data.
  note(bytes.empty() ? sqlite3_bind_zeroblob(s_, i, 0)
                     : sqlite3_bind_blob64(s_, i, bytes.data(), bytes.size(), SQLITE_STATIC));
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  note(sqlite3_bind_null(s_, i));
  return *this;
}

Result<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) return sqlite_status(bind_rc_, "binding a parameter");
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_status(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r.is_ok()) return r.status();
    if (!*r) return Status::ok();
  }
}

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}
int64_t Stmt::i64(int col) const { return sqlite3_column_int64(s_, col); }
double Stmt::f64(int col) const { return sqlite3_column_double(s_, col); }
std::string Stmt::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

// --- SqliteDb

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  sqlite3* raw = nullptr;
  // NOMUTEX: SqliteStore serialises every use of the connection with its own mutex.
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));  // closes `raw` even when open failed
  if (rc != SQLITE_OK) return sqlite_status(rc, "cannot open " + path);
  sqlite3_extended_result_codes(raw, 1);
  // Wait up to 5 s for another process (e.g. `pictor keys` next to a running server) to finish
  // its write, instead of failing at once with SQLITE_BUSY.
  sqlite3_busy_timeout(raw, 5000);
  // The first statement reads the header: a file that is not SQLite fails here with NOTADB.
  // WAL: readers never block the writer nor each other, and a commit is one sequential append.
  // synchronous=NORMAL: in WAL mode a commit is still atomic and survives a crash of pictor (the
  // WAL is in the OS's page cache); only a power loss or OS crash may roll back the last few
  // commits, never corrupt the file. Jobs and usage are cheap to redo next to what FULL costs:
  // an fsync per commit, which would dominate every job update.
  if (Status s = db->exec("PRAGMA journal_mode=WAL"); !s.is_ok())
    return Status(s.code(), path + " is not a usable pictor database (" + s.message() + ")");
  PICTOR_RETURN_IF_ERROR(db->exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Stmt>> SqliteDb::prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return sqlite_status(sqlite3_extended_errcode(db_), sqlite3_errmsg(db_));
    it = cache_.emplace(sql, s).first;
  }
  return std::make_unique<Stmt>(db_, it->second);
}

Status SqliteDb::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return sqlite_status(sqlite3_extended_errcode(db_), msg);
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

// --- Transaction

Transaction::~Transaction() {
  if (open_) (void)db_.exec("ROLLBACK");
}

Status Transaction::begin() {
  PICTOR_RETURN_IF_ERROR(db_.exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Status::ok();
}

Status Transaction::commit() {
  PICTOR_RETURN_IF_ERROR(db_.exec("COMMIT"));
  open_ = false;
  return Status::ok();
}

}  // namespace pictor::store
