// `pictor check IMAGE "PROMPT"`: the real binary on pictures rendered from known scenes. A scene's
// own caption passes (exit 0), a contradicting prompt fails (exit 1, with the reason), a prompt
// outside the world says so (exit 1), bad input is a one-line error (exit 2).
#include <gtest/gtest.h>

#include "run_command.h"
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "codecs/codecs.h"
#include "world/captions.h"
#include "world/renderer.h"
#include "world/scene_sampler.h"

namespace {

using pictor::test::CommandRun;
using pictor::test::run_pictor_command;

namespace fs = std::filesystem;
using namespace pictor;

const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("pictor-check-cli-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Single quotes keep the prompt one argument; prompts here never contain a single quote.
std::string quote(const std::string& s) { return "'" + s + "'"; }

CommandRun run(const std::string& args) { return run_pictor_command(work_dir(), args); }

std::string write_png(const world::Scene& scene, const std::string& name) {
  const std::string path = (work_dir() / name).string();
  auto png = codecs::encode_image(world::render(scene, 64, 64), codecs::ImageFormat::kPng);
  EXPECT_TRUE(png.is_ok());
  EXPECT_TRUE(codecs::write_file_atomic(path, *png).is_ok());
  return path;
}

world::Scene circles_and_square(bool circles_above) {
  using world::Colour, world::Shape, world::Size;
  world::Scene s;
  if (circles_above) {
    s.objects = {{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.2f, 0.25f},
                 {Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.8f, 0.25f},
                 {Shape::kSquare, 0, Colour::kBlue, Size::kMedium, 0.5f, 0.75f}};
  } else {  // the circles left of the square, level with it
    s.objects = {{Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.15f, 0.25f},
                 {Shape::kCircle, 0, Colour::kRed, Size::kMedium, 0.15f, 0.75f},
                 {Shape::kSquare, 0, Colour::kBlue, Size::kMedium, 0.75f, 0.5f}};
  }
  return s;
}

void expect_one_line_error(const CommandRun& r, const std::string& fragment) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.err.rfind("pictor: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(CheckCli, ReadmePromptHoldsOnAMatchingPicture) {
  const std::string img = write_png(circles_and_square(true), "above.png");
  CommandRun r = run("check " + img + " " + quote("two red circles above a blue square"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("background: white"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("medium red circle at (0.2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("), top left\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\xe2\x9c\x93 2 red circles"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\xe2\x9c\x93 the red circles above the blue square"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3/3 facts hold"), std::string::npos) << r.out;
}

TEST(CheckCli, SampledScenesPassTheirOwnCaptions) {
  Rng rng(4242);
  for (int i = 0; i < 8; ++i) {
    const world::Scene scene = world::sample_scene(rng);
    const std::string text = world::caption(world::make_spec(scene, rng), rng);
    const std::string img = write_png(scene, "own-" + std::to_string(i) + ".png");
    CommandRun r = run("check " + img + " " + quote(text));
    EXPECT_EQ(r.exit_code, 0) << text << "\n" << r.out << r.err;
    EXPECT_EQ(r.out.find("\xe2\x9c\x97"), std::string::npos) << text << "\n" << r.out;
  }
}

TEST(CheckCli, ContradictingPromptFailsWithTheReason) {
  const std::string img = write_png(circles_and_square(false), "left.png");
  CommandRun r = run("check " + img + " " + quote("two red circles above a blue square"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\xe2\x9c\x93 2 red circles"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\xe2\x9c\x97 the red circles above the blue square: the circles are left of it"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2/3 facts hold"), std::string::npos) << r.out;

  CommandRun other = run("check " + img + " " + quote("a green star on a lavender background"));
  EXPECT_EQ(other.exit_code, 1) << other.out;
  EXPECT_NE(other.out.find("\xe2\x9c\x97 1 green star: found none"), std::string::npos) << other.out;
  EXPECT_NE(other.out.find("the background is white"), std::string::npos) << other.out;
}

TEST(CheckCli, PromptOutsideTheWorldSaysSo) {
  const std::string img = write_png(circles_and_square(true), "zebra.png");
  CommandRun r = run("check " + img + " " + quote("two red zebra circles"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("outside the scenes world; unknown words: zebra"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\xe2\x9c\x93 2 red circles"), std::string::npos) << r.out;  // still checked
}

TEST(CheckCli, JsonOutput) {
  const std::string img = write_png(circles_and_square(false), "json.png");
  CommandRun r = run("check " + img + " " + quote("two red circles above a blue square, and a cat") + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["background"]["gradient"], "none");
  EXPECT_EQ(j["background"]["from"], "white");
  ASSERT_EQ(j["objects"].size(), 3u);
  int squares = 0;
  for (const auto& o : j["objects"]) {
    if (o["shape"] != "square") continue;
    ++squares;
    EXPECT_EQ(o["colour"], "blue");
    EXPECT_EQ(o["size"], "medium");
    EXPECT_EQ(o["region"], "right");
    EXPECT_TRUE(o["glyph"].is_null());
  }
  EXPECT_EQ(squares, 1);
  ASSERT_EQ(j["facts"].size(), 3u);
  EXPECT_EQ(j["facts"][2]["text"], "the red circles above the blue square");
  EXPECT_EQ(j["facts"][2]["holds"], false);
  EXPECT_EQ(j["facts"][2]["why"], "the circles are left of it");
  EXPECT_EQ(j["facts_held"], 2);
  EXPECT_EQ(j["facts_total"], 3);
  EXPECT_NEAR(j["score"].get<double>(), 2.0 / 3, 1e-9);
  EXPECT_EQ(j["all_hold"], false);
  EXPECT_EQ(j["in_world"], false);
  EXPECT_EQ(j["unknown_words"], nlohmann::json::array({"cat"}));
}

TEST(CheckCli, BadInputIsExit2) {
  const std::string img = write_png(circles_and_square(true), "ok.png");
  expect_one_line_error(run("check " + (work_dir() / "missing.png").string() + " 'a red circle'"), "missing.png");
  const std::string text_file = (work_dir() / "not-an-image.png").string();
  std::ofstream(text_file) << "hello, not a picture\n";
  expect_one_line_error(run("check " + text_file + " 'a red circle'"), "not-an-image.png");
  expect_one_line_error(run("check " + img + " ''"), "prompt is empty");
  expect_one_line_error(run("check " + img + " '   '"), "prompt is empty");
  expect_one_line_error(run("check " + img + " " + quote(std::string(1001, 'x'))), "too long");
  expect_one_line_error(run("check " + img), "prompt");
  expect_one_line_error(run("check " + img + " 'a red circle' --bogus"), "bogus");
}

TEST(CheckCli, HelpExplainsExitCodes) {
  CommandRun r = run("check --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Exit 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
}

}  // namespace
