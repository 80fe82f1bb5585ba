// The eval suite's scorer: a perfect generator (renders of the prompts' own scenes) must pass,
// and the same images scored against shuffled prompts must fail (the negative control).
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "eval/edit_eval.h"
#include "eval/geneval.h"
#include "eval/prompt_set.h"
#include "world/captions.h"

namespace pictor::eval {
namespace {

TEST(PromptSet, HasAtLeast400SeededPromptsOverEveryTask) {
  auto a = build_prompt_set(), b = build_prompt_set();
  ASSERT_GE(a.size(), 400u);
  ASSERT_EQ(a.size(), b.size());
  std::set<std::string> tasks;
  int held_out = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].prompt, b[i].prompt);
    tasks.insert(a[i].task);
    held_out += a[i].held_out;
    for (const auto& w : world::tokenize_words(a[i].prompt)) {
      const auto vocab = world::vocabulary();
      EXPECT_NE(std::find(vocab.begin(), vocab.end(), w), vocab.end()) << w;
    }
  }
  EXPECT_EQ(tasks.size(), kTasks.size());
  EXPECT_GE(held_out, 60);
}

TEST(GenEval, OracleScoresHighAndShuffledPromptsScoreLow) {
  EvalOptions opts;
  opts.images_per_prompt = 1;
  auto report = run_eval(oracle_generator(64), opts);
  ASSERT_TRUE(report.is_ok());
  std::printf("oracle overall %.3f held-out %.3f negative control %.3f\n", report->overall,
              report->held_out, report->negative_control);
  EXPECT_GE(report->overall, 0.99);
  EXPECT_GE(report->held_out, 0.99);
  for (const auto& [task, r] : report->tasks) EXPECT_GE(r.accuracy(), 0.97) << task;
  EXPECT_LE(report->negative_control, 0.15);
  EXPECT_EQ(report->tasks.size(), kTasks.size());
}

TEST(GenEval, BlankImagesScoreZero) {
  EvalOptions opts;
  opts.images_per_prompt = 1;
  opts.limit = 10;
  auto report = run_eval([](const EvalPrompt&, int) -> Result<Image> {
    Image img(64, 64, 3);
    std::fill(img.pixels.begin(), img.pixels.end(), 255);
    return img;
  }, opts);
  ASSERT_TRUE(report.is_ok());
  EXPECT_EQ(report->overall, 0.0);
}

TEST(EditEval, OracleSucceedsAndUnchangedInputFails) {
  EditEvalOptions opts;
  opts.per_kind = 20;
  auto oracle = run_edit_eval(oracle_edit_generator(), opts);
  ASSERT_TRUE(oracle.is_ok());
  std::printf("edit oracle: success %.3f preservation %.3f\n", oracle->success, oracle->preservation);
  EXPECT_GE(oracle->success, 0.99);
  EXPECT_GE(oracle->preservation, 0.99);
  EXPECT_EQ(oracle->kinds.size(), size_t(world::kNumEditKinds));
  // Handing back the input unchanged preserves everything and edits nothing.
  auto identity = run_edit_eval([](const world::EditExample&, const Image& input, const Image&, int) -> Result<Image> {
    return input;
  }, opts);
  ASSERT_TRUE(identity.is_ok());
  std::printf("edit identity: success %.3f preservation %.3f psnr %.1f\n", identity->success,
              identity->preservation, identity->psnr_outside);
  EXPECT_LE(identity->success, 0.05);
  EXPECT_GE(identity->preservation, 0.95);
  EXPECT_DOUBLE_EQ(identity->psnr_outside, 99.0);
  auto json = nlohmann::json::parse(identity->to_json());
  EXPECT_TRUE(json["success"].contains("overall"));
  EXPECT_TRUE(json["preservation"].contains("overall"));
}

}  // namespace
}  // namespace pictor::eval

namespace pictor::eval {
namespace {

world::Object obj(world::Shape s, world::Colour c, float cx, float cy) {
  world::Object o;
  o.shape = s;
  o.colour = c;
  o.cx = cx;
  o.cy = cy;
  return o;
}

// "two red circles above a blue square"
world::SceneSpec two_red_circles_above_a_blue_square() {
  world::SceneSpec spec;
  spec.scene.objects = {obj(world::Shape::kCircle, world::Colour::kRed, 0.3f, 0.2f),
                        obj(world::Shape::kCircle, world::Colour::kRed, 0.7f, 0.2f),
                        obj(world::Shape::kSquare, world::Colour::kBlue, 0.5f, 0.8f)};
  spec.mention = {{true, false, false}, {true, false, false}, {true, false, false}};
  spec.relations = {{0, 2, world::Relation::kAbove}, {1, 2, world::Relation::kAbove}};
  spec.mention_count = true;
  return spec;
}

TEST(FailureKinds, NameWhatWentWrong) {
  const auto spec = two_red_circles_above_a_blue_square();
  EXPECT_TRUE(failure_kinds(spec.scene, spec).empty());

  world::Scene one = spec.scene;  // one red circle only
  one.objects = {spec.scene.objects[0]};
  auto k = failure_kinds(one, spec);
  EXPECT_NE(std::find(k.begin(), k.end(), "count_fewer"), k.end());
  EXPECT_NE(std::find(k.begin(), k.end(), "shape_wrong"), k.end());  // no square at all

  world::Scene swapped = spec.scene;  // colours on the wrong objects
  for (auto& o : swapped.objects) o.colour = o.shape == world::Shape::kCircle ? world::Colour::kBlue : world::Colour::kRed;
  k = failure_kinds(swapped, spec);
  EXPECT_EQ(k, std::vector<std::string>{"colour_wrong"});

  world::Scene below = spec.scene;  // the circles under the square
  for (auto& o : below.objects) o.cy = 1.0f - o.cy;
  k = failure_kinds(below, spec);
  EXPECT_EQ(k, std::vector<std::string>{"relation_wrong"});

  world::Scene smudged = spec.scene;  // the square did not come out as any shape
  smudged.objects.pop_back();
  smudged.unrecognised = 1;
  k = failure_kinds(smudged, spec);
  EXPECT_EQ(k, std::vector<std::string>{"malformed"});

  world::Scene extra = spec.scene;
  extra.objects.push_back(obj(world::Shape::kStar, world::Colour::kGreen, 0.9f, 0.9f));
  k = failure_kinds(extra, spec);
  EXPECT_EQ(k, std::vector<std::string>{"count_more"});
}

}  // namespace
}  // namespace pictor::eval
