// A short training run whose loss falls, resume from a checkpoint, and determinism of the
// resulting model across thread counts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "engine/engine.h"
#include "engine/training/scene_batch.h"
#include "engine/training/trainer.h"
#include "world/captions.h"
#include "world/detector.h"

namespace pictor::engine {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("pictor-train-" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir.string();
}

TrainOptions tiny(const std::string& dir, int64_t steps) {
  TrainOptions o;
  o.out_dir = dir;
  o.preset = "tiny";
  o.steps = steps;
  o.batch_size = 8;
  o.learning_rate = 2e-3;
  o.warmup_steps = 5;
  o.log_every = 10;
  o.checkpoint_every = 1000;
  o.eval_every = 0;
  o.quiet = true;
  return o;
}

TEST(Training, LossFallsAndTheRunResumes) {
  const std::string dir = fresh_dir("resume");
  auto first = train_pictor_mini(tiny(dir, 150));
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->steps_done, 150);
  EXPECT_LT(first->last_loss, 0.8 * first->first_loss)
      << "loss " << first->first_loss << " -> " << first->last_loss;
  ASSERT_TRUE(fs::exists(dir + "/checkpoint.safetensors"));
  ASSERT_TRUE(fs::exists(dir + "/pictor-mini.safetensors"));

  auto resumed = train_pictor_mini(tiny(dir, 160));
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().message();
  EXPECT_EQ(resumed->steps_done, 10);  // continued from step 150, not from scratch
  // Resumed loss stays in the trained regime rather than jumping back to the untrained one.
  EXPECT_LT(resumed->last_loss, 0.85 * first->first_loss);
}

TEST(Training, ShippedModelIsDeterministicAcrossThreadCounts) {
  const std::string dir = fresh_dir("determinism");
  ASSERT_TRUE(train_pictor_mini(tiny(dir, 20)).is_ok());
  GenerateRequest req;
  req.prompt = "two red circles above a blue square";
  req.seed = 11;
  req.steps = 4;
  std::vector<std::vector<uint8_t>> pixels;
  for (int threads : {1, 2}) {
    LoadOptions load;
    load.threads = threads;
    auto engine = Engine::load(dir + "/pictor-mini.safetensors", load);
    ASSERT_TRUE(engine.is_ok()) << engine.status().message();
    auto out = (*engine)->generate(req);
    ASSERT_TRUE(out.is_ok()) << out.status().message();
    pixels.push_back(out->images[0].pixels);
  }
  EXPECT_EQ(pixels[0], pixels[1]);
  torch::set_num_threads(2);
}

TEST(Training, StartsFromShippedWeightsWithAFreshOptimizer) {
  const std::string first_dir = fresh_dir("shipped"), second_dir = fresh_dir("continued");
  auto first = train_pictor_mini(tiny(first_dir, 100));
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  auto opts = tiny(second_dir, 110);
  opts.init_from = first_dir + "/pictor-mini.safetensors";
  auto second = train_pictor_mini(opts);
  ASSERT_TRUE(second.is_ok()) << second.status().message();
  EXPECT_EQ(second->steps_done, 10);  // the step count continues from the shipped file's
  EXPECT_LT(second->first_loss, 0.85 * first->first_loss)
      << "continued run starts at " << second->first_loss << ", fresh run started at " << first->first_loss;
  opts.init_from = first_dir + "/missing.safetensors";
  auto bad = opts;
  bad.out_dir = fresh_dir("bad-init");
  EXPECT_FALSE(train_pictor_mini(bad).is_ok());
}

TEST(Training, EditBatchesCarrySourcesAndMasks) {
  WordTokenizer tokenizer(world::vocabulary(), 40);
  SceneBatchOptions opts;
  opts.batch_size = 64;
  opts.edit_fraction = 0.5;
  auto batch = make_scene_batch(3, 0, opts, tokenizer);
  const double edits = batch.has_source.sum().item<double>();
  EXPECT_GT(edits, 16);
  EXPECT_LT(edits, 48);
  // Text-to-image examples see a zero source and an all-ones mask; some edits are inpaintings
  // whose mask leaves part of the image alone.
  auto t2i = batch.has_source.eq(0);
  EXPECT_EQ(batch.sources.index({t2i}).abs().sum().item<double>(), 0.0);
  EXPECT_LT(batch.masks.index({batch.has_source.eq(1)}).min().item<double>(), 0.5);
  EXPECT_EQ(batch.masks.index({t2i}).min().item<double>(), 1.0);
  // Same (seed, step), same batch.
  auto again = make_scene_batch(3, 0, opts, tokenizer);
  EXPECT_TRUE(torch::equal(batch.images, again.images));
  EXPECT_EQ(batch.captions, again.captions);

  auto train = tiny(fresh_dir("edits"), 6);
  train.edit_fraction = 0.5;
  auto r = train_pictor_mini(train);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(std::isfinite(r->last_loss));
  auto engine = Engine::load(train.out_dir + "/pictor-mini.safetensors");
  ASSERT_TRUE(engine.is_ok());
  EXPECT_TRUE((*engine)->info().supports_edits);
}

// The layout-grounded designs: the planner pre-trains first (its next-token accuracy rises far
// above chance), then the denoiser; a resumed run keeps its design and does not re-train the
// planner; generation plans one layout per image and is the same with 1 and 2 threads.
TEST(Training, GroundedDesignsPlanThenDrawAndResume) {
  for (const std::string design : {"map", "tokens"}) {
    const std::string dir = fresh_dir("grounded-" + design);
    auto o = tiny(dir, 40);
    o.design = design;
    o.planner_steps = 300;
    o.planner_batch = 64;
    auto first = train_pictor_mini(o);
    ASSERT_TRUE(first.is_ok()) << design << ": " << first.status().message();
    // Untrained: ~1/108. Positions a caption leaves open cannot be predicted, so even a perfect
    // planner stays far below 1.
    EXPECT_GT(first->planner_accuracy, 0.3) << design;
    EXPECT_EQ(first->steps_done, 40);
    EXPECT_LT(first->last_loss, first->first_loss) << design;

    auto again = o;
    again.steps = 45;
    again.design = "text";  // ignored: the checkpoint's design wins
    auto resumed = train_pictor_mini(again);
    ASSERT_TRUE(resumed.is_ok()) << resumed.status().message();
    EXPECT_EQ(resumed->steps_done, 5);
    EXPECT_LT(resumed->planner_accuracy, 0) << "the planner is not trained twice";

    GenerateRequest req;
    req.prompt = "two red circles above a blue square";
    req.seed = 5;
    req.steps = 3;
    req.n = 2;
    std::vector<std::vector<uint8_t>> pixels;
    for (int threads : {1, 2}) {
      LoadOptions load;
      load.threads = threads;
      auto engine = Engine::load(dir + "/pictor-mini.safetensors", load);
      ASSERT_TRUE(engine.is_ok()) << engine.status().message();
      auto out = (*engine)->generate(req);
      ASSERT_TRUE(out.is_ok()) << out.status().message();
      ASSERT_EQ(out->layouts.size(), 2u);
      for (const auto& l : out->layouts) {
        EXPECT_GE(l.objects.size(), 1u);
        EXPECT_LE(l.objects.size(), 4u);
      }
      pixels.push_back(out->images[0].pixels);
      pixels.push_back(out->images[1].pixels);
    }
    EXPECT_EQ(pixels[0], pixels[2]) << design;
    EXPECT_EQ(pixels[1], pixels[3]) << design;
    // The planner alone gives the same plans as a full generation with the same seed.
    auto engine = Engine::load(dir + "/pictor-mini.safetensors");
    ASSERT_TRUE(engine.is_ok());
    auto full = (*engine)->generate(req);
    auto plan_req = req;
    plan_req.plan_only = true;
    auto plans = (*engine)->generate(plan_req);
    ASSERT_TRUE(full.is_ok() && plans.is_ok());
    EXPECT_TRUE(plans->images.empty());
    ASSERT_EQ(plans->layouts.size(), 2u);
    for (size_t i = 0; i < 2; ++i)
      EXPECT_TRUE(world::same_scene(plans->layouts[i], full->layouts[i], 0.0f)) << design << " plan " << i;
    torch::set_num_threads(2);
  }
}

// A planner trained apart (its own size) goes into another run's denoiser: the run keeps its
// denoiser weights, takes the planner's weights, size and steps, and its plans become the other
// file's plans. Mismatches are refused with a message.
TEST(Training, APlannerTrainedApartJoinsAnotherRun) {
  const std::string planner_dir = fresh_dir("planner-apart"), run_dir = fresh_dir("planner-host");
  auto p = tiny(planner_dir, 1);
  p.design = "map";
  p.planner_steps = 60;
  p.planner_batch = 32;
  p.planner_dim = 48;
  p.planner_layers = 2;
  ASSERT_TRUE(train_pictor_mini(p).is_ok());
  auto host = tiny(run_dir, 6);
  host.design = "map";
  host.planner_steps = 20;
  host.planner_batch = 16;
  ASSERT_TRUE(train_pictor_mini(host).is_ok());
  auto before = Engine::load(run_dir + "/pictor-mini.safetensors");
  ASSERT_TRUE(before.is_ok());

  auto join = host;
  join.steps = 8;
  join.planner_from = planner_dir + "/pictor-mini.safetensors";
  join.planner_steps = 60;  // no more than that file's: its planner is not trained further
  auto joined = train_pictor_mini(join);
  ASSERT_TRUE(joined.is_ok()) << joined.status().message();
  EXPECT_EQ(joined->steps_done, 2) << "the denoiser continues from its own checkpoint";
  EXPECT_LT(joined->planner_accuracy, 0) << "no planner steps beyond the file's";

  GenerateRequest req;
  req.prompt = "a red circle left of a blue square";
  req.n = 3;
  req.seed = 9;
  req.plan_only = true;
  auto source = Engine::load(planner_dir + "/pictor-mini.safetensors");
  auto after = Engine::load(run_dir + "/pictor-mini.safetensors");
  ASSERT_TRUE(source.is_ok() && after.is_ok());
  auto want = (*source)->generate(req), got = (*after)->generate(req), old = (*before)->generate(req);
  ASSERT_TRUE(want.is_ok() && got.is_ok() && old.is_ok());
  bool differs_from_old = false;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(world::same_scene(want->layouts[i], got->layouts[i], 0.0f)) << "plan " << i;
    differs_from_old |= !world::same_scene(old->layouts[i], got->layouts[i], 0.0f);
  }
  EXPECT_TRUE(differs_from_old);
  // The joined run still resumes (its checkpoint now has the new planner's shapes).
  auto more = join;
  more.steps = 9;
  more.planner_from.clear();
  auto resumed = train_pictor_mini(more);
  ASSERT_TRUE(resumed.is_ok()) << resumed.status().message();
  EXPECT_EQ(resumed->steps_done, 1);

  auto text = tiny(fresh_dir("planner-into-text"), 1);
  text.planner_from = planner_dir + "/pictor-mini.safetensors";
  auto refused = train_pictor_mini(text);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("has no layout planner"), std::string::npos) << refused.status().message();
  auto odd = tiny(fresh_dir("planner-odd-width"), 1);
  odd.design = "map";
  odd.planner_dim = 51;  // not a multiple of the tiny preset's 2 planner heads
  auto bad_width = train_pictor_mini(odd);
  ASSERT_FALSE(bad_width.is_ok());
  EXPECT_NE(bad_width.status().message().find("--planner-dim"), std::string::npos);
}

TEST(Training, ATextOnlyModelHasNoPlans) {
  const std::string dir = fresh_dir("text-plans");
  ASSERT_TRUE(train_pictor_mini(tiny(dir, 2)).is_ok());
  auto engine = Engine::load(dir + "/pictor-mini.safetensors");
  ASSERT_TRUE(engine.is_ok());
  GenerateRequest req;
  req.prompt = "a red circle";
  req.plan_only = true;
  auto out = (*engine)->generate(req);
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("no layout planner"), std::string::npos);
}

TEST(Training, RejectsBadOptions) {
  auto o = tiny(fresh_dir("bad"), 10);
  o.preset = "huge";
  auto r = train_pictor_mini(o);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("unknown preset"), std::string::npos);
  auto d = tiny(fresh_dir("bad-design"), 10);
  d.design = "collage";
  auto rd = train_pictor_mini(d);
  ASSERT_FALSE(rd.is_ok());
  EXPECT_NE(rd.status().message().find("unknown design"), std::string::npos);
}

}  // namespace
}  // namespace pictor::engine
