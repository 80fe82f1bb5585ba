// The CLI as a user meets it: one-line errors with a non-zero exit and no partial output, and
// the outputs of a good run. Uses a tiny model trained by `pictor train` in the fixture.
#include <gtest/gtest.h>

#include "run_command.h"
#include <sys/wait.h>

#include <array>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "codecs/codecs.h"

namespace {

using pictor::test::CommandRun;
using pictor::test::run_pictor_command;

namespace fs = std::filesystem;

CommandRun run(const std::string& args) {
  static const fs::path dir = fs::temp_directory_path() / ("pictor-cli-" + std::to_string(::getpid()));
  return run_pictor_command(dir, args);
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

// --show-plan prints a layout-grounded model's plan per image on stdout; a text-design model
// draws without one, and says so.
TEST_F(Cli, ShowPlanPrintsEachImagesLayout) {
  const fs::path map_dir = dir_ / "map";
  CommandRun t = run("train --preset tiny --design map --steps 2 --batch 4 --planner-steps 20 --planner-batch 8 "
                     "--eval-every 0 --quiet --out " + map_dir.string());
  ASSERT_EQ(t.exit_code, 0) << t.err;
  CommandRun r = run("generate \"a red circle\" --steps 2 --seed 1 -n 2 --show-plan -o " + out("plan.png") +
                     " --model " + (map_dir / "pictor-mini.safetensors").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("plan 1: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\nplan 2: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  1. "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" at (0."), std::string::npos) << r.out;
  CommandRun text = run("generate \"a red circle\" --steps 2 --seed 1 --show-plan -o " + out("noplan.png") +
                        " --model " + model_);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(text.out.empty()) << text.out;
  EXPECT_NE(text.err.find("draws without a layout plan"), std::string::npos) << text.err;
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

// A w×h RGB gradient, and an RGBA mask that is transparent inside [x0, x1) × [y0, y1).
void write_png(const std::string& path, const pictor::Image& img) {
  auto bytes = pictor::codecs::encode_image(img, pictor::codecs::ImageFormat::kPng, 50);
  ASSERT_TRUE(bytes.is_ok());
  ASSERT_TRUE(pictor::codecs::write_file_atomic(path, *bytes).is_ok());
}
pictor::Image gradient(int w, int h) {
  pictor::Image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.at(x, y)[0] = uint8_t(x * 255 / w);
      img.at(x, y)[1] = uint8_t(y * 255 / h);
      img.at(x, y)[2] = 128;
    }
  return img;
}
pictor::Image hole_mask(int w, int h, int x0, int y0, int x1, int y1) {
  pictor::Image m(w, h, 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at(x, y)[3] = (x >= x0 && x < x1 && y >= y0 && y < y1) ? 0 : 255;
  return m;
}

TEST_F(Cli, InpaintingKeepsEveryPixelOutsideTheMask) {
  write_png(out("src.png"), gradient(80, 60));
  write_png(out("mask.png"), hole_mask(80, 60, 20, 10, 50, 40));
  CommandRun r = run("edit --image " + out("src.png") + " --mask " + out("mask.png") +
                     " \"a yellow star\" --steps 3 --seed 2 -o " + out("inpainted.png") + " --model " + model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto result = pictor::codecs::decode_image(pictor::codecs::read_file(out("inpainted.png")).value());
  ASSERT_TRUE(result.is_ok());
  ASSERT_EQ(result->width, 80);
  ASSERT_EQ(result->height, 60);
  const pictor::Image src = gradient(80, 60);
  int outside_changed = 0, inside_changed = 0;
  for (int y = 0; y < 60; ++y)
    for (int x = 0; x < 80; ++x) {
      const bool hole = x >= 20 && x < 50 && y >= 10 && y < 40;
      const bool same = std::memcmp(result->at(x, y), src.at(x, y), 3) == 0;
      (hole ? inside_changed : outside_changed) += !same;
    }
  EXPECT_EQ(outside_changed, 0);
  EXPECT_GT(inside_changed, 100);  // the hole was redrawn
}

TEST_F(Cli, ImageToImageKeepsTheInputSize) {
  write_png(out("src2.png"), gradient(48, 32));
  CommandRun r = run("edit --image " + out("src2.png") + " --strength 0.6 \"a blue circle\" --steps 4 -o " +
                     out("i2i.webp") + " --model " + model_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto result = pictor::codecs::decode_image(pictor::codecs::read_file(out("i2i.webp")).value());
  ASSERT_TRUE(result.is_ok());
  EXPECT_EQ(result->width, 48);
  EXPECT_EQ(result->height, 32);
}

TEST_F(Cli, EditBadInputIsOneLineErrorWithoutOutput) {
  const std::string never = out("never-edit.png");
  write_png(out("e-src.png"), gradient(40, 30));
  write_png(out("e-mask-small.png"), hole_mask(20, 30, 0, 0, 5, 5));
  write_png(out("e-mask-rgb.png"), gradient(40, 30));
  { std::ofstream(out("text.png")) << "hello, I am not an image"; }
  { std::ofstream(out("anim.gif")) << "GIF89a\x01\x00\x01\x00"; }
  const std::string m = " --model " + model_ + " -o " + never;
  expect_one_line_error(run("edit --image " + out("text.png") + " \"a star\"" + m), 2, "not a PNG, JPEG or WebP");
  expect_one_line_error(run("edit --image " + out("anim.gif") + " \"a star\"" + m), 2, "GIF");
  expect_one_line_error(run("edit --image " + out("e-src.png") + " --max-pixels 100 --strength 0.5 \"a star\"" + m), 2,
                        "pixels");
  expect_one_line_error(run("edit --image " + out("e-src.png") + " --mask " + out("e-mask-small.png") + " \"a star\"" + m),
                        2, "must be the same size");
  expect_one_line_error(run("edit --image " + out("e-src.png") + " --mask " + out("e-mask-rgb.png") + " \"a star\"" + m),
                        2, "alpha");
  expect_one_line_error(run("edit --image " + out("e-src.png") + " --strength 1.5 \"a star\"" + m), 2, "strength");
  expect_one_line_error(run("edit --image " + out("e-src.png") + " \"make the circle red\"" + m), 2,
                        "instruction edits");
  std::string many;
  for (int i = 0; i < 17; ++i) many += " --image " + out("e-src.png");
  expect_one_line_error(run("edit" + many + " --strength 0.5 \"a star\"" + m), 2, "at most 16");
  expect_one_line_error(run("edit --image " + out("missing.png") + " --strength 0.5 \"a star\"" + m), 2, "missing.png");
  EXPECT_FALSE(fs::exists(never));
}

TEST_F(Cli, HelpExplainsItself) {
  CommandRun r = run("generate --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--seed", "--quality", "--steps", "--guidance", "--negative", "--size", "--format",
                           "--compression", "--threads", "--output"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  CommandRun top = run("--help");
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd : {"generate", "edit", "train", "eval", "bench", "models"})
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
}

}  // namespace
