// `pictor arena replay|seed`: the real binary. A vote log's bad lines are named by number and fail
// the run unless --skip-bad; both line forms rate; seed fills a fresh data directory's auto-judge
// board, and a second seed adds to it.
#include <gtest/gtest.h>

#include "run_command.h"
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using pictor::test::CommandRun;
using pictor::test::run_pictor_command;

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("pictor-arena-cli-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

CommandRun run(const std::string& args) { return run_pictor_command(work_dir(), args); }

std::string write_log(const std::string& name, const std::string& text) {
  const std::string path = (work_dir() / name).string();
  std::ofstream(path) << text;
  return path;
}

const json* find_model(const json& board, const std::string& model) {
  for (const auto& m : board["models"])
    if (m["model"] == model) return &m;
  return nullptr;
}

TEST(ArenaCli, ReplayNamesBadLinesAndFailsUnlessSkipBad) {
  const std::string log = write_log("mixed.jsonl",
                                    "{\"left\":\"a\",\"right\":\"b\",\"outcome\":\"left\",\"ts\":1}\n"
                                    "{\"left\":\"a\",\"right\":\"b\",\"outcome\":\"sideways\",\"ts\":2}\n"
                                    "not json\n"
                                    "\n"
                                    "{\"models\":[\"a\",\"b\",\"c\"],\"ranks\":[0,1,1],\"ts\":3}\n"
                                    "{\"left\":\"b\",\"right\":\"c\",\"outcome\":\"tie\",\"ts\":4}\n");
  auto strict = run("arena replay --bootstrap 0 " + log);
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_TRUE(strict.out.empty()) << strict.out;
  EXPECT_NE(strict.err.find("mixed.jsonl:2: 'outcome'"), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("mixed.jsonl:3: "), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("2 bad lines"), std::string::npos) << strict.err;

  auto lenient = run("arena replay --bootstrap 0 --skip-bad " + log);
  ASSERT_EQ(lenient.exit_code, 0) << lenient.err;
  json out = json::parse(lenient.out);
  EXPECT_EQ(out["votes"], 3);
  EXPECT_EQ(out["skipped_bad"], 2);
  ASSERT_EQ(out["boards"].size(), 1u);
  const json& board = out["boards"][0];
  const json* a = find_model(board, "a");
  const json* b = find_model(board, "b");
  ASSERT_TRUE(a && b);
  // a beat b, then won the three-way: a leads, and every row has its score as mu - 3 sigma.
  EXPECT_GT((*a)["mu"].get<double>(), (*b)["mu"].get<double>());
  for (const auto& m : board["models"])
    EXPECT_NEAR(m["score"].get<double>(), m["mu"].get<double>() - 3 * m["sigma"].get<double>(), 1e-9);
}

TEST(ArenaCli, ReplayOfAMissingFileOrAnEmptyLogIsClear) {
  auto missing = run("arena replay " + (work_dir() / "nope.jsonl").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
  auto empty = run("arena replay " + write_log("empty.jsonl", ""));
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(json::parse(empty.out)["votes"], 0);
}

TEST(ArenaCli, SeedFillsTheAutoJudgeBoard) {
  const std::string dir = (work_dir() / "data").string();
  auto first = run("arena seed --battles 3 --threads 1 --quiet --data-dir " + dir);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(first.err.empty()) << "no log lines without --verbose: " << first.err;
  json a = json::parse(first.out);
  EXPECT_EQ(a["judged"].get<int>() + a["abstained"].get<int>(), 3) << a.dump();
  EXPECT_EQ(a["failed"], 0);
  EXPECT_EQ(a["leaderboard"]["judge"], "auto");
  auto second = run("arena seed --battles 2 --threads 1 --quiet --data-dir " + dir);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  json b = json::parse(second.out);
  EXPECT_EQ(b["leaderboard"]["votes"].get<int>(), a["leaderboard"]["votes"].get<int>() + b["judged"].get<int>())
      << b.dump();
  auto bad = run("arena seed --battles 0 --data-dir " + dir);
  EXPECT_NE(bad.exit_code, 0);
}

}  // namespace
