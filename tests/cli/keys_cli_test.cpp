// `pictor keys` as a user meets it: the key printed once on stdout, listings that never show it,
// one-line errors with non-zero exits, and a store the server can read (the hash matches).
#include <gtest/gtest.h>

#include "run_command.h"
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "store/api_keys.h"
#include "store/data_dir.h"
#include "store/store.h"

namespace {

using pictor::test::CommandRun;
using pictor::test::run_pictor_command;

namespace fs = std::filesystem;

fs::path root_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("pictor-keys-cli-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// `env` is prepended to the command line ("PICTOR_DATA_DIR=… ").
CommandRun run(const std::string& args, const std::string& env = "") { return run_pictor_command(root_dir(), args, env); }

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

void expect_one_line_error(const CommandRun& r, int code, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("pictor: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

class KeysCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = root_dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    flag_ = " --data-dir " + dir_.string();
  }
  fs::path dir_;
  std::string flag_;
};

TEST_F(KeysCli, CreatePrintsTheKeyOnceAndStoresOnlyItsHash) {
  CommandRun r = run("keys create --name alice --rate-limit 30" + flag_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(count_lines(r.out), 1) << r.out;
  const std::string key = r.out.substr(0, r.out.size() - 1);
  EXPECT_TRUE(std::regex_match(key, std::regex("pk-[A-Za-z0-9]{40}"))) << key;
  EXPECT_NE(r.err.find("cannot be shown again"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(key), std::string::npos) << "the key goes to stdout only";

  // The store holds the hash the server will look the key up by, never the key.
  const std::string db = pictor::store::sqlite_path(dir_.string());
  {
    auto st = pictor::store::open_sqlite_store(db);
    ASSERT_TRUE(st.is_ok()) << st.status().message();
    auto rec = (*st)->find_api_key_by_hash(pictor::store::hash_api_key(key));
    ASSERT_TRUE(rec.is_ok()) << rec.status().message();
    EXPECT_EQ(rec->name, "alice");
    EXPECT_EQ(rec->prefix, key.substr(0, 8));
    EXPECT_EQ(rec->rate_limit_per_minute, 30);
    EXPECT_EQ(rec->revoked_at_ms, 0);
  }
  std::ifstream in(db, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(bytes.find(key), std::string::npos);
  EXPECT_EQ(bytes.find(key.substr(3)), std::string::npos);

  // A second key is a different key.
  CommandRun r2 = run("keys create --name bob" + flag_);
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_NE(r2.out, r.out);
}

TEST_F(KeysCli, ListShowsPrefixesNeverKeysAndRevokeWorksByNameAndId) {
  CommandRun a = run("keys create --name alice" + flag_);
  CommandRun b = run("keys create --name ci-runner --rate-limit 5" + flag_);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string key_a = a.out.substr(0, a.out.size() - 1);

  CommandRun list = run("keys list" + flag_);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(count_lines(list.out), 3) << list.out;  // header + 2
  EXPECT_NE(list.out.find("alice"), std::string::npos);
  EXPECT_NE(list.out.find("ci-runner"), std::string::npos);
  EXPECT_NE(list.out.find(key_a.substr(0, 8)), std::string::npos);
  EXPECT_EQ(list.out.find(key_a), std::string::npos);

  CommandRun js = run("keys list --json" + flag_);
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto doc = nlohmann::json::parse(js.out);
  ASSERT_EQ(doc.size(), 2u);
  EXPECT_EQ(doc[0]["name"], "alice");
  EXPECT_EQ(doc[0]["status"], "active");
  EXPECT_TRUE(doc[0]["revoked_at"].is_null());
  EXPECT_EQ(doc[1]["rate_limit_per_minute"], 5);
  EXPECT_EQ(js.out.find(key_a), std::string::npos);
  const std::string id_b = doc[1]["id"];
  EXPECT_EQ(id_b.rfind("key_", 0), 0u);

  CommandRun rv = run("keys revoke alice" + flag_);
  ASSERT_EQ(rv.exit_code, 0) << rv.err;
  EXPECT_NE(rv.out.find("revoked"), std::string::npos) << rv.out;
  rv = run("keys revoke " + id_b + flag_);
  ASSERT_EQ(rv.exit_code, 0) << rv.err;
  EXPECT_NE(rv.out.find("ci-runner"), std::string::npos) << rv.out;
  rv = run("keys revoke alice" + flag_);
  ASSERT_EQ(rv.exit_code, 0) << rv.err;
  EXPECT_NE(rv.out.find("already revoked"), std::string::npos) << rv.out;

  doc = nlohmann::json::parse(run("keys list --json" + flag_).out);
  ASSERT_EQ(doc.size(), 2u);
  for (const auto& k : doc) {
    EXPECT_EQ(k["status"], "revoked");
    EXPECT_TRUE(k["revoked_at"].is_number());
  }
  EXPECT_NE(run("keys list" + flag_).out.find("revoked"), std::string::npos);
}

TEST_F(KeysCli, ErrorsAreOneLineWithNonZeroExit) {
  ASSERT_EQ(run("keys create --name alice" + flag_).exit_code, 0);
  expect_one_line_error(run("keys create --name alice" + flag_), 2, "already exists");
  expect_one_line_error(run("keys revoke nobody" + flag_), 2, "nobody");
  expect_one_line_error(run("keys create --name ''" + flag_), 2, "empty");
  expect_one_line_error(run("keys create --name key_123" + flag_), 2, "key_");
  expect_one_line_error(run("keys create --name x --rate-limit -3" + flag_), 2, "rate-limit");
  expect_one_line_error(run("keys create" + flag_), 2, "--name");
  expect_one_line_error(run("keys" + flag_), 2, "");

  // Nothing is created by reading commands.
  const fs::path empty = root_dir() / "never-created";
  CommandRun list = run("keys list --data-dir " + empty.string());
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.err.find("no API keys"), std::string::npos) << list.err;
  EXPECT_EQ(run("keys list --json --data-dir " + empty.string()).out, "[]\n");
  expect_one_line_error(run("keys revoke alice --data-dir " + empty.string()), 2, "no store");
  EXPECT_FALSE(fs::exists(empty));

  // A file that is not a database, and a data dir that cannot be made.
  const fs::path bad = root_dir() / "bad";
  fs::create_directories(bad);
  std::ofstream(bad / "pictor.db") << "this is not sqlite, just text that happens to be long enough" << std::string(4096, '.');
  expect_one_line_error(run("keys list --data-dir " + bad.string()), 1, "pictor.db");
  expect_one_line_error(run("keys create --name a --data-dir " + bad.string()), 1, "pictor.db");
  const fs::path blocker = root_dir() / "blocker";
  std::ofstream(blocker) << "a file";
  expect_one_line_error(run("keys create --name a --data-dir " + (blocker / "sub").string()), 1, "cannot create");
}

TEST_F(KeysCli, DataDirDefaultsToTheEnvironment) {
  const fs::path env_dir = dir_ / "from-env";
  const std::string env = "PICTOR_DATA_DIR=" + env_dir.string() + " ";
  ASSERT_EQ(run("keys create --name env", env).exit_code, 0);
  EXPECT_TRUE(fs::exists(env_dir / "pictor.db"));
  EXPECT_NE(run("keys list", env).out.find("env"), std::string::npos);

  const fs::path xdg = dir_ / "xdg";
  const std::string env2 = "env -u PICTOR_DATA_DIR XDG_DATA_HOME=" + xdg.string() + " ";
  ASSERT_EQ(run("keys create --name xdg", env2).exit_code, 0);
  EXPECT_TRUE(fs::exists(xdg / "pictor" / "pictor.db"));

  const fs::path home = dir_ / "home";
  const std::string env3 = "env -u PICTOR_DATA_DIR -u XDG_DATA_HOME HOME=" + home.string() + " ";
  ASSERT_EQ(run("keys create --name home", env3).exit_code, 0);
  EXPECT_TRUE(fs::exists(home / ".local" / "share" / "pictor" / "pictor.db"));
}

}  // namespace
