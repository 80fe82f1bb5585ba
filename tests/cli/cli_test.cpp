// The CLI as a user meets it: one-line errors with a non-zero exit and no partial output, and
// the outputs of a good run. Uses a tiny model trained by `pictor train` in the fixture.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "codecs/codecs.h"

namespace {

namespace fs = std::filesystem;

struct CommandRun {
  int exit_code = -1;
  std::string out, err;
};

CommandRun run(const std::string& args) {
  static const fs::path dir = fs::temp_directory_path() / ("pictor-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string err_path = (dir / "stderr.txt").string();
  const std::string cmd = std::string(PICTOR_BINARY) + " " + args + " 2>" + err_path;
  CommandRun r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("pictor-cli-model-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    CommandRun r = run("train --preset tiny --steps 4 --batch 4 --eval-every 0 --quiet --out " + dir_.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    model_ = (dir_ / "pictor-mini.safetensors").string();
  }
  static std::string out(const std::string& name) { return (dir_ / name).string(); }
  static fs::path dir_;
  static std::string model_;
};
fs::path Cli::dir_;
std::string Cli::model_;

void expect_one_line_error(const CommandRun& r, int code, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("pictor: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

TEST_F(Cli, GeneratesAPngAndReportsUnknownWordsAndUpsampling) {
  const std::string path = out("ok.png");
  CommandRun r = run("generate \"a red zebra circle\" --steps 2 --seed 4 --size 64x48 -o " + path + " --model " + model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("does not know (ignored): zebra"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resized to 64x48"), std::string::npos) << r.err;
  auto bytes = pictor::codecs::read_file(path);
  ASSERT_TRUE(bytes.is_ok());
  auto img = pictor::codecs::decode_image(*bytes);
  ASSERT_TRUE(img.is_ok());
  EXPECT_EQ(img->width, 64);
  EXPECT_EQ(img->height, 48);
}

TEST_F(Cli, NumbersOutputsWhenNIsAboveOneAndHonoursFormat) {
  CommandRun r = run("generate \"two blue stars\" -n 2 --steps 1 --format jpeg -o " + out("many.jpg") + " --model " + model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"many-1.jpg", "many-2.jpg"}) {
    auto bytes = pictor::codecs::read_file(out(name));
    ASSERT_TRUE(bytes.is_ok()) << name;
    EXPECT_EQ(pictor::codecs::sniff_format(*bytes).value(), pictor::codecs::ImageFormat::kJpeg);
  }
  EXPECT_FALSE(fs::exists(out("many.jpg")));
}

TEST_F(Cli, SameSeedGivesByteIdenticalPngWithOneAndTwoThreads) {
  for (int threads : {1, 2}) {
    CommandRun r = run("generate \"a green triangle above a black square\" --steps 3 --seed 9 --threads " +
                std::to_string(threads) + " -o " + out("t" + std::to_string(threads) + ".png") + " --model " + model_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(pictor::codecs::read_file(out("t1.png")).value(), pictor::codecs::read_file(out("t2.png")).value());
}

TEST_F(Cli, BadInputIsOneLineErrorWithoutOutput) {
  const std::string path = out("never.png");
  expect_one_line_error(run("generate \"\" -o " + path + " --model " + model_), 2, "prompt is empty");
  expect_one_line_error(run("generate \"   \" -o " + path + " --model " + model_), 2, "prompt is empty");
  expect_one_line_error(run("generate \"a star\" -n 11 -o " + path + " --model " + model_), 2, "n must be between 1 and 10");
  expect_one_line_error(run("generate \"a star\" -n 0 -o " + path + " --model " + model_), 2, "n must be between 1 and 10");
  expect_one_line_error(run("generate \"a star\" --format gif -o " + path + " --model " + model_), 2, "gif");
  expect_one_line_error(run("generate \"a star\" --quality ultra -o " + path + " --model " + model_), 2, "unknown quality");
  expect_one_line_error(run("generate \"a star\" --size 12by4 -o " + path + " --model " + model_), 2, "WxH");
  expect_one_line_error(run("generate \"a star\" --bogus-flag -o " + path), 2, "bogus-flag");
  expect_one_line_error(run("generate \"a star\" -o /nonexistent-dir/x.png --model " + model_), 1, "does not exist");
  expect_one_line_error(run("generate \"a star\" -o " + path + " --model no-such-model"), 2, "not found");
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(Cli, CorruptOrTruncatedWeightsAreOneLineErrors) {
  const std::string path = out("never2.png");
  const std::string garbage = out("garbage.safetensors");
  { std::ofstream(garbage) << "definitely not safetensors"; }
  expect_one_line_error(run("generate \"a star\" -o " + path + " --model " + garbage), 1, garbage);

  const std::string truncated = out("truncated.safetensors");
  fs::copy_file(model_, truncated, fs::copy_options::overwrite_existing);
  fs::resize_file(truncated, fs::file_size(truncated) / 2);
  expect_one_line_error(run("generate \"a star\" -o " + path + " --model " + truncated), 1, "truncated");
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(Cli, HelpExplainsItself) {
  CommandRun r = run("generate --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--seed", "--quality", "--steps", "--guidance", "--negative", "--size", "--format",
                           "--compression", "--threads", "--output"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  CommandRun top = run("--help");
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd : {"generate", "train", "eval", "bench", "models"})
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
}

}  // namespace
