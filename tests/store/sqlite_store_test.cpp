// The SQLite store: the conformance suite on a fresh file per test, plus what only a file can
// show: corrupt and foreign files, unwritable places, migrations recorded once, the pragmas.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "store/migrations.h"
#include "store/sqlite_store.h"
#include "store_conformance.h"

namespace pictor::store::testing {
namespace {

namespace fs = std::filesystem;

fs::path test_root() {
  static const fs::path root = [] {
    fs::path p = fs::temp_directory_path() / ("pictor-store-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return root;
}

std::string fresh_db_path() {
  static std::atomic<int> n{0};
  // A directory that does not exist yet: opening creates it.
  return (test_root() / ("db-" + std::to_string(n++)) / "pictor.db").string();
}

StoreBackend sqlite_backend() {
  return {"Sqlite", fresh_db_path, [](const std::string& path) { return open_sqlite_store(path); }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(sqlite_backend()),
                         [](const auto& info) { return info.param.name; });

void write_file(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// Runs one query on a separate connection and returns the first column of each row.
std::vector<std::string> query(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  } else {
    ADD_FAILURE() << sqlite3_errmsg(db);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(SqliteStore, NotAnSqliteFileIsCorruptData) {
  const std::string path = fresh_db_path();
  write_file(path, std::string(8192, 'x'));
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruptData) << s.status().message();
  EXPECT_NE(s.status().message().find(path), std::string::npos) << s.status().message();
}

TEST(SqliteStore, GarbageAfterAValidHeaderIsAnErrorNotACrash) {
  const std::string path = fresh_db_path();
  std::string bytes("SQLite format 3\0", 16);
  bytes += std::string(4096 - 16, '\x7f');
  write_file(path, bytes);
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruptData) << s.status().message();
}

TEST(SqliteStore, SomeoneElsesDatabaseIsRefused) {
  const std::string path = fresh_db_path();
  fs::create_directories(fs::path(path).parent_path());
  query(path, "CREATE TABLE photos (id INTEGER PRIMARY KEY)");
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(s.status().message().find("not pictor's"), std::string::npos) << s.status().message();
  EXPECT_EQ(query(path, "SELECT count(*) FROM sqlite_master"), std::vector<std::string>{"1"}) << "left untouched";
}

TEST(SqliteStore, UnwritablePlaceIsIoError) {
  // A regular file where the directory should be (works even as root, unlike permission bits).
  const fs::path blocker = test_root() / "blocker";
  write_file(blocker.string(), "not a directory");
  auto s = open_sqlite_store((blocker / "sub" / "pictor.db").string());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIoError) << s.status().message();

  const fs::path dir = test_root() / "a-directory";
  fs::create_directories(dir);
  s = open_sqlite_store(dir.string());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIoError) << s.status().message();

  if (::geteuid() != 0) {
    const fs::path ro = test_root() / "read-only";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    s = open_sqlite_store((ro / "pictor.db").string());
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.status().code(), StatusCode::kIoError) << s.status().message();
    fs::permissions(ro, fs::perms::owner_all);
  }
}

TEST(SqliteStore, MigrationsAreRecordedOnceAndReopeningIsANoOp) {
  const std::string path = fresh_db_path();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(open_sqlite_store(path).is_ok());
  std::vector<std::string> expected;
  for (const auto& m : sqlite_migrations()) expected.push_back(m.name);
  EXPECT_EQ(query(path, "SELECT name FROM schema_migrations ORDER BY version"), expected);
  for (size_t i = 1; i < sqlite_migrations().size(); ++i)
    EXPECT_GT(sqlite_migrations()[i].version, sqlite_migrations()[i - 1].version);
  EXPECT_EQ(sqlite_migrations().front().version, 1);
}

TEST(SqliteStore, ANewerSchemaIsRefused) {
  const std::string path = fresh_db_path();
  ASSERT_TRUE(open_sqlite_store(path).is_ok());
  query(path, "INSERT INTO schema_migrations VALUES (9999, '9999_future', 0)");
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported) << s.status().message();
}

TEST(SqliteStore, WalModeAndBlobsApartFromMetadata) {
  const std::string path = fresh_db_path();
  auto s = open_sqlite_store(path);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(query(path, "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(query(path, "SELECT name FROM pragma_table_info('media') WHERE type = 'BLOB'").size(), 0u);
  EXPECT_EQ(query(path, "SELECT name FROM pragma_table_info('media_data') WHERE type = 'BLOB'"),
            std::vector<std::string>{"data"});
  EXPECT_EQ(query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'jobs_idempotency'"),
            std::vector<std::string>{"1"});
}

TEST(SqliteStore, TwoStoresOnOneFileSeeEachOther) {
  // The server and `pictor keys` are separate processes on one file.
  const std::string path = fresh_db_path();
  auto a = open_sqlite_store(path), b = open_sqlite_store(path);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ApiKeyRecord k;
  k.id = new_id("key");
  k.name = "ci";
  k.prefix = "pk-12345";
  k.hash = "h";
  ASSERT_TRUE((*a)->insert_api_key(k).is_ok());
  EXPECT_EQ((*b)->find_api_key_by_hash("h")->name, "ci");
  ASSERT_TRUE((*b)->revoke_api_key("ci", 77).is_ok());
  EXPECT_EQ((*a)->find_api_key_by_hash("h")->revoked_at_ms, 77);
}

TEST(StoreIds, HaveThePrefixAndAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_id("media");
    ASSERT_EQ(id.size(), 6u + 24u);
    ASSERT_EQ(id.rfind("media_", 0), 0u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef", 6), std::string::npos);
    ASSERT_TRUE(seen.insert(id).second);
  }
}

}  // namespace
}  // namespace pictor::store::testing
