// The PostgreSQL store: the conformance suite on a fresh database per test (in the throwaway
// cluster scripts/pg-cluster.sh starts; ctest's pg fixture), plus what only a server can show:
// concurrent first starts migrating once, someone else's database, an unreachable server, a
// connection killed under the store, NUL bytes that libpq would cut short.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "store/migrations.h"
#include "store/pg_store.h"
#include "store_conformance.h"

namespace pictor::store::testing {
namespace {

// postgresql://pictor@127.0.0.1:PORT/postgres, from the file the pg fixture wrote.
std::string admin_url() {
  static const std::string url = [] {
    const char* file = std::getenv("PICTOR_TEST_PG_URL_FILE");
    if (!file) return std::string();
    std::ifstream in(file);
    std::string u;
    std::getline(in, u);
    return u;
  }();
  return url;
}

std::string url_for(const std::string& db) {
  const std::string a = admin_url();
  return a.substr(0, a.rfind('/') + 1) + db;
}

std::string fresh_database() {
  static std::atomic<int> n{0};
  const std::string name = "pictor_t" + std::to_string(::getpid()) + "_" + std::to_string(n++);
  pqxx::connection c(admin_url());
  pqxx::nontransaction t(c);
  t.exec("CREATE DATABASE " + name);
  return url_for(name);
}

StoreBackend pg_backend() {
  return {"Postgres", fresh_database, [](const std::string& url) { return open_store(url); }};
}

class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_FALSE(admin_url().empty())
        << "PICTOR_TEST_PG_URL_FILE names no URL: run through ctest (its pg fixture starts the cluster)";
  }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new PgEnvironment);

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(pg_backend()),
                         [](const auto& info) { return info.param.name; });

int64_t count(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction t(c);
  return t.exec1(sql)[0].as<int64_t>();
}

TEST(PgStore, NodesStartingAtOnceMigrateOnce) {
  const std::string url = fresh_database();
  constexpr int kNodes = 6;
  std::vector<std::thread> nodes;
  std::atomic<int> ok{0};
  for (int i = 0; i < kNodes; ++i)
    nodes.emplace_back([&] {
      auto s = PgStore::open(url, 1);
      if (s.is_ok()) ++ok;
      else ADD_FAILURE() << s.status().message();
    });
  for (auto& t : nodes) t.join();
  EXPECT_EQ(ok.load(), kNodes);
  EXPECT_EQ(count(url, "SELECT count(*) FROM schema_migrations"), static_cast<int64_t>(pg_migrations().size()));
  EXPECT_EQ(count(url, "SELECT count(DISTINCT version) FROM schema_migrations"),
            static_cast<int64_t>(pg_migrations().size()));
}

TEST(PgStore, SomeoneElsesDatabaseIsRefused) {
  const std::string url = fresh_database();
  {
    pqxx::connection c(url);
    pqxx::nontransaction t(c);
    t.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
  }
  auto s = PgStore::open(url);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruptData) << s.status().message();
  EXPECT_NE(s.status().message().find("not pictor's"), std::string::npos) << s.status().message();
  EXPECT_EQ(count(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'jobs'"), 0);
}

TEST(PgStore, ANewerSchemaIsRefused) {
  const std::string url = fresh_database();
  ASSERT_TRUE(PgStore::open(url).is_ok());
  {
    pqxx::connection c(url);
    pqxx::nontransaction t(c);
    t.exec("INSERT INTO schema_migrations VALUES (999, '0999_future', 0)");
  }
  auto s = PgStore::open(url);
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported) << s.status().message();
}

TEST(PgStore, AnUnreachableServerIsUnavailableAndThePasswordIsNotShown) {
  // Port 1 on loopback: nothing listens there.
  auto s = PgStore::open("postgresql://pictor:s3cret-pw@127.0.0.1:1/pictor");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable) << s.status().message();
  EXPECT_EQ(s.status().message().find("s3cret-pw"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("127.0.0.1"), std::string::npos) << s.status().message();
}

TEST(PgStore, AKilledConnectionCostsOneCallAtMost) {
  const std::string url = fresh_database();
  auto s = PgStore::open(url, 2);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  JobRecord j;
  j.model = "pictor-mini";
  j.kind = "generation";
  auto inserted = (*s)->insert_job(j);
  ASSERT_TRUE(inserted.is_ok());
  const std::string db = url.substr(url.rfind('/') + 1);
  {
    pqxx::connection c(admin_url());
    pqxx::nontransaction t(c);
    t.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + t.quote(db));
  }
  int failures = 0;
  for (int i = 0; i < 4; ++i) {
    auto g = (*s)->get_job(inserted->id);
    if (!g.is_ok()) {
      ++failures;
      EXPECT_EQ(g.status().code(), StatusCode::kUnavailable) << g.status().message();
    }
  }
  // One failure per pooled connection that was killed, then the pool reconnects.
  EXPECT_LE(failures, 2);
  EXPECT_TRUE((*s)->get_job(inserted->id).is_ok());
}

TEST(PgStore, NulBytesAreRefusedNotCutShort) {
  auto s = PgStore::open(fresh_database());
  ASSERT_TRUE(s.is_ok());
  JobRecord j;
  j.model = "pictor-mini";
  j.kind = "generation";
  j.input_json = std::string("{\"prompt\":\"a\0b\"}", 16);
  auto r = (*s)->insert_job(j);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  auto none = (*s)->list_jobs(JobQuery{});
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
}

TEST(PgStore, BytesOfEveryValueRoundTrip) {
  auto s = PgStore::open(fresh_database());
  ASSERT_TRUE(s.is_ok());
  std::string bytes;
  for (int i = 0; i < 256 * 4; ++i) bytes.push_back(static_cast<char>(i & 255));
  MediaRecord m;
  m.id = new_id("media");
  m.content_type = "image/png";
  ASSERT_TRUE((*s)->put_media(m, bytes).is_ok());
  auto back = (*s)->get_media_data(m.id);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, bytes);
}

TEST(PgStore, NoticesReachAnotherConnectionAtCommit) {
  auto s = PgStore::open(fresh_database());
  ASSERT_TRUE(s.is_ok());
  auto notices = (*s)->listen_job_notices();
  ASSERT_TRUE(notices.is_ok()) << notices.status().message();
  JobRecord j;
  j.model = "pictor-mini";
  j.kind = "generation";
  auto inserted = (*s)->insert_job(j);
  ASSERT_TRUE(inserted.is_ok());
  auto collect = [&](const std::string& want) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> seen;
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
      auto got = (*notices)->wait(1000);
      if (!got.is_ok()) {
        ADD_FAILURE() << got.status().message();
        return false;
      }
      for (const auto& n : *got) {
        seen.push_back(n);
        if (n == want) return true;
      }
    }
    ADD_FAILURE() << "no notice " << want << " in 5 s; saw " << seen.size();
    return false;
  };
  EXPECT_TRUE(collect("queued:" + inserted->id));
  auto c = (*s)->claim_job("node_a", now_ms(), now_ms() + 10000);
  ASSERT_TRUE(c.is_ok() && c->has_value());
  EXPECT_TRUE(collect("changed:" + inserted->id));
  ASSERT_TRUE(*(*s)->request_job_cancel(inserted->id));
  EXPECT_TRUE(collect("cancel:" + inserted->id));
  JobRecord done = **c;
  done.status = JobStatus::kCanceled;
  ASSERT_TRUE((*s)->finish_job(done, std::nullopt).is_ok());
  EXPECT_TRUE(collect("finished:" + inserted->id));
  // Nothing more: the wait times out empty.
  auto quiet = (*notices)->wait(200);
  ASSERT_TRUE(quiet.is_ok());
  EXPECT_TRUE(quiet->empty());
}

TEST(PgStore, SqliteHasNoNotices) {
  auto s = open_sqlite_store((std::filesystem::temp_directory_path() / ("pictor-nonotice-" + std::to_string(::getpid())) / "p.db").string());
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ((*s)->listen_job_notices().status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace pictor::store::testing
