// pictor-mini model: shapes, strict loading, file round trip, tokenizer, determinism.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "engine/device.h"
#include "engine/engine.h"
#include "engine/models/pictor_mini.h"
#include "engine/models/pictor_mini_file.h"
#include "engine/module_io.h"
#include "engine/noise.h"
#include "engine/pictor_mini_edit.h"
#include "engine/samplers/flow_euler.h"
#include "engine/tokenizers/word_tokenizer.h"
#include "engine/weights/safetensors.h"
#include "world/scene_tokens.h"

namespace pictor::engine {
namespace {

namespace fs = std::filesystem;

PictorMiniConfig tiny_config() {
  PictorMiniConfig c;
  c.image_size = 32;
  c.channels = {16, 32};
  c.attention = {0, 2};
  c.head_dim = 16;
  c.time_dim = 32;
  c.text_dim = 32;
  c.text_layers = 1;
  c.text_heads = 2;
  c.max_tokens = 12;
  c.vocab_size = 20;
  return c;
}

std::string temp_path(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("pictor-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

TEST(PictorMini, ForwardShapes) {
  torch::manual_seed(0);
  PictorMini model(tiny_config());
  auto ids = torch::tensor({1, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0}, torch::kLong).view({1, 12}).repeat({2, 1});
  auto pad = ids.eq(0);
  auto [ctx, pooled] = model->encode_text(ids, pad);
  EXPECT_EQ(ctx.sizes(), (std::vector<int64_t>{2, 12, 32}));
  EXPECT_EQ(pooled.sizes(), (std::vector<int64_t>{2, 32}));
  auto x = pictor_mini_input(torch::randn({2, 3, 32, 32}), {}, {});
  EXPECT_EQ(x.size(1), 8);
  auto v = model->forward(x, torch::rand({2}), ctx, pooled, pad);
  EXPECT_EQ(v.sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
}

// Same pixels whatever the thread count (DESIGN.md §5): the full-size model's inference forward
// must be bit-identical with 1 and 2 threads, in the default (bf16 projections) and fp32 modes.
TEST(PictorMini, InferenceIsBitIdenticalAcrossThreadCounts) {
  set_threads(2);
  PictorMiniConfig c;  // the shipped architecture
  c.vocab_size = 150;
  torch::manual_seed(4);
  PictorMini model(c);
  model->eval();
  torch::NoGradGuard g;
  for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.02);
  auto ids = torch::randint(3, 150, {2, c.max_tokens}, torch::kLong);
  ids.slice(1, 12).zero_();
  ids.select(1, 0).fill_(WordTokenizer::kStart);
  auto pad = ids.eq(0);
  auto x = pictor_mini_input(torch::randn({2, 3, 64, 64}), {}, {});
  auto t = torch::full({2}, 0.6);
  for (bool bf16 : {false, true}) {
    model->set_bf16_matmuls(bf16);
    std::vector<at::Tensor> outs;
    for (int threads : {1, 2}) {
      torch::set_num_threads(threads);
      auto [ctx, pooled] = model->encode_text(ids, pad);
      outs.push_back(model->forward(x, t, ctx, pooled, pad));
    }
    EXPECT_TRUE(torch::equal(outs[0], outs[1])) << "bf16 projections " << bf16 << ", max difference "
                                                << (outs[0] - outs[1]).abs().max().item<float>();
  }
}

TEST(PictorMini, FileRoundTripGivesIdenticalOutputs) {
  torch::manual_seed(1);
  PictorMini model(tiny_config());
  {  // make the zero-initialised output layers non-trivial
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.05);
  }
  std::vector<std::string> vocab(17, "w");
  for (size_t i = 0; i < vocab.size(); ++i) vocab[i] = "word" + std::to_string(i);
  const std::string path = temp_path("tiny.safetensors");
  ASSERT_TRUE(save_pictor_mini(model, vocab, {{"pictor.guidance", "3"}}, torch::kFloat, path).is_ok());
  auto loaded = load_pictor_mini(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->vocabulary, vocab);
  EXPECT_EQ(loaded->metadata.at("pictor.guidance"), "3");
  model->eval();
  auto ids = torch::tensor({1, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}, torch::kLong).view({1, 12});
  auto pad = ids.eq(0);
  auto x = pictor_mini_input(torch::randn({1, 3, 32, 32}), {}, {});
  auto t = torch::full({1}, 0.5);
  torch::NoGradGuard g;
  auto [c1, p1] = model->encode_text(ids, pad);
  auto [c2, p2] = loaded->model->encode_text(ids, pad);
  EXPECT_TRUE(torch::equal(model->forward(x, t, c1, p1, pad), loaded->model->forward(x, t, c2, p2, pad)));
}

// The planner's relative-position biases: they reach the encoding, the config flag survives a
// file round trip and the biases load by name; configs without the flag do not write it.
TEST(PictorMini, PlannerRelativePositionsRoundTripAndReadWordOrder) {
  torch::manual_seed(2);
  PictorMiniConfig c = tiny_config();
  c.layout_mode = 2;
  c.planner_dim = 16;
  c.planner_heads = 2;
  c.planner_layers = 1;
  c.planner_relative_positions = 1;
  PictorMini model(c);
  auto& planner = model->planner();
  auto ids = torch::tensor({5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0}, torch::kLong).view({1, 12});
  torch::NoGradGuard g;
  auto plain = planner->encode(ids);
  for (auto& item : planner->named_parameters())
    if (item.key() == "relative_bias") item.value().normal_(0, 1.0);
  auto biased = planner->encode(ids);
  EXPECT_FALSE(torch::allclose(plain, biased)) << "the bias reaches the encoding";

  std::vector<std::string> vocab(17, "w");
  for (size_t i = 0; i < vocab.size(); ++i) vocab[i] = "word" + std::to_string(i);
  const std::string path = temp_path("planner-relative.safetensors");
  ASSERT_TRUE(save_pictor_mini(model, vocab, {}, torch::kFloat, path).is_ok());
  auto loaded = load_pictor_mini(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_EQ(loaded->model->config().planner_relative_positions, 1);
  EXPECT_TRUE(torch::equal(biased, loaded->model->planner()->encode(ids)));
  // A file without the flag has no such tensor: an older planner loads as before.
  PictorMiniConfig old_config = c;
  old_config.planner_relative_positions = 0;
  EXPECT_EQ(old_config.to_json().find("planner_relative_positions"), std::string::npos);
}

// The planner's position temperature reaches only an object's centre: with every other token made
// certain (its logits scaled far up) and the centres left uncertain, plans of one caption vary in
// their bins with the seed at temperature 1 and all agree at a temperature near 0.
TEST(PictorMini, PlannerPositionTemperatureSharpensOnlyTheCentres) {
  torch::manual_seed(3);
  PictorMiniConfig c = tiny_config();
  c.layout_mode = 2;
  c.planner_dim = 16;
  c.planner_heads = 2;
  c.planner_layers = 1;
  PictorMini model(c);
  auto& planner = model->planner();
  torch::NoGradGuard g;
  const auto x = world::scene_token_range(world::SceneTokenField::kX);
  const auto y = world::scene_token_range(world::SceneTokenField::kY);
  for (auto& item : planner->named_parameters()) {
    if (item.key() != "head.weight" && item.key() != "head.bias") continue;
    auto& w = item.value();
    for (int64_t t = 0; t < w.size(0); ++t) {
      const bool centre = (t >= x.first && t < x.first + x.count) || (t >= y.first && t < y.first + y.count);
      if (!centre) w[t].mul_(1000.0);
    }
  }
  auto ids = torch::tensor({5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0}, torch::kLong).view({1, 12});
  // A plan as its background and the set of its objects' tokens (objects of equal bins may come in
  // either order: the scene sorts them by their jittered centres).
  auto plan_key = [](const world::Scene& scene) {
    const auto t = world::encode_scene_tokens(scene);
    std::multiset<std::vector<int>> objects;
    for (size_t i = 4; i + 5 <= t.size(); i += 5) objects.insert(std::vector<int>(t.begin() + long(i), t.begin() + long(i) + 5));
    return std::make_pair(std::vector<int>(t.begin(), t.begin() + 4), objects);
  };
  auto distinct_plans = [&](double temperature) {
    std::set<decltype(plan_key(world::Scene{}))> plans;
    for (uint64_t seed = 0; seed < 16; ++seed) {
      std::vector<Rng> rngs = {Rng(seed, 1)};
      plans.insert(plan_key(planner->sample(ids, rngs, temperature).at(0)));
    }
    return plans.size();
  };
  EXPECT_GT(distinct_plans(1.0), 1u) << "at temperature 1 the centres vary with the seed";
  EXPECT_EQ(distinct_plans(1e-4), 1u) << "near 0 every plan takes the likeliest centres";

  // The file's pictor.plan_position_temperature and pictor.plan_candidates reach generation's
  // plans; a value that is no temperature (0) or no count (0, 1000) means the default.
  std::vector<std::string> vocab(17, "w");
  for (size_t i = 0; i < vocab.size(); ++i) vocab[i] = "word" + std::to_string(i);
  int files = 0;
  auto engine_plans = [&](const char* key, const char* value) {
    const std::string path = temp_path("plan-meta-" + std::to_string(files++) + ".safetensors");
    std::map<std::string, std::string> meta;
    if (*key) meta[key] = value;
    EXPECT_TRUE(save_pictor_mini(model, vocab, meta, torch::kFloat, path).is_ok());
    auto engine = Engine::load(path, LoadOptions{1, "fp32"});
    EXPECT_TRUE(engine.is_ok()) << engine.status().message();
    GenerateRequest req;
    req.prompt = "word3 word5 word6";
    req.n = 10;
    req.plan_only = true;
    auto out = (*engine)->generate(req);
    EXPECT_TRUE(out.is_ok()) << out.status().message();
    std::vector<decltype(plan_key(world::Scene{}))> plans;
    for (const auto& scene : out->layouts) plans.push_back(plan_key(scene));
    return plans;
  };
  const auto plain = engine_plans("", "");
  EXPECT_GT(std::set(plain.begin(), plain.end()).size(), 1u);
  const auto sharp = engine_plans("pictor.plan_position_temperature", "0.0001");
  EXPECT_EQ(std::set(sharp.begin(), sharp.end()).size(), 1u);
  EXPECT_EQ(engine_plans("pictor.plan_position_temperature", "0"), plain);
  const auto resampled = engine_plans("pictor.plan_candidates", "8");
  EXPECT_NE(resampled, plain) << "eight drafts per plan draw other plans";
  EXPECT_EQ(engine_plans("pictor.plan_candidates", "8"), resampled) << "and the same ones for the same seeds";
  EXPECT_EQ(engine_plans("pictor.plan_candidates", "0"), plain);
  EXPECT_EQ(engine_plans("pictor.plan_candidates", "1000"), plain);
}

// pictor.guidance_max_t: steps at t above it use the conditional prediction alone. With two steps
// (t = 1 and 0.5) and guidance_max_t 0.4 no step is guided, so the image matches guidance 1 (no
// guidance at all); with 1.0 (the fallback) guidance 4 must change it.
TEST(PictorMini, GuidanceAppliesOnlyAtOrBelowGuidanceMaxT) {
  torch::manual_seed(2);
  PictorMini model(tiny_config());
  {
    torch::NoGradGuard g;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.05);
  }
  std::vector<std::string> vocab(17, "w");
  for (size_t i = 0; i < vocab.size(); ++i) vocab[i] = "word" + std::to_string(i);
  auto image_with = [&](const char* max_t, double guidance) {
    const std::string path = temp_path(std::string("gmax-") + max_t + ".safetensors");
    std::map<std::string, std::string> meta;
    if (*max_t) meta["pictor.guidance_max_t"] = max_t;
    EXPECT_TRUE(save_pictor_mini(model, vocab, meta, torch::kFloat, path).is_ok());
    auto engine = Engine::load(path, LoadOptions{1, "fp32"});
    EXPECT_TRUE(engine.is_ok()) << engine.status().message();
    GenerateRequest req;
    req.prompt = "word3 word5";
    req.steps = 2;
    req.guidance = guidance;
    auto out = (*engine)->generate(req);
    EXPECT_TRUE(out.is_ok()) << out.status().message();
    const auto& px = out->images.at(0).pixels;
    return torch::tensor(std::vector<float>(px.begin(), px.end()));
  };
  auto unguided = image_with("", 1.0);
  auto skipped = image_with("0.4", 4.0);
  auto guided = image_with("", 4.0);
  // 8-bit pixels. The conditional row alone vs. a batch of one: same maths, possibly other
  // blocking, so one level of rounding is allowed.
  EXPECT_LE((skipped - unguided).abs().max().item<float>(), 1.0f);
  EXPECT_GT((guided - unguided).abs().max().item<float>(), 8.0f);
}

TEST(PictorMini, StrictLoadingReportsEveryProblemAtOnce) {
  torch::manual_seed(2);
  PictorMini model(tiny_config());
  weights::SafetensorsWriter writer;
  bool dropped = false, reshaped = false;
  for (const auto& p : model->named_parameters()) {
    if (!dropped && p.key() == "unet.stem.bias") { dropped = true; continue; }
    if (!reshaped && p.key() == "unet.out_conv.weight") {
      reshaped = true;
      add_tensor(writer, p.key(), torch::zeros({1, 2, 3}));
      continue;
    }
    add_tensor(writer, p.key(), p.value());
  }
  add_tensor(writer, "unet.not_a_layer.weight", torch::zeros({4}));
  const std::string path = temp_path("broken.safetensors");
  ASSERT_TRUE(writer.write(path).is_ok());
  auto file = weights::SafetensorsFile::open(path);
  ASSERT_TRUE(file.is_ok());
  PictorMini fresh(tiny_config());
  Status st = load_module_strict(*fresh, **file);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("1 missing (unet.stem.bias)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("1 unexpected (unet.not_a_layer.weight)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("unet.out_conv.weight (file [1, 2, 3], model [12, 16, 3, 3])"), std::string::npos)
      << st.message();
}

TEST(PictorMini, GrowableRowsLoadIntoALargerVocabulary) {
  torch::manual_seed(3);
  PictorMini small(tiny_config());
  weights::SafetensorsWriter writer;
  add_module_tensors(*small, writer, torch::kFloat);
  const std::string path = temp_path("small-vocab.safetensors");
  ASSERT_TRUE(writer.write(path).is_ok());
  auto file = weights::SafetensorsFile::open(path);
  ASSERT_TRUE(file.is_ok());
  auto bigger_config = tiny_config();
  bigger_config.vocab_size += 5;
  PictorMini bigger(bigger_config);
  EXPECT_FALSE(load_module_strict(*bigger, **file).is_ok());  // strict by default
  ASSERT_TRUE(load_module_strict(*bigger, **file, "", {"text.token_embedding.weight"}).is_ok());
  auto find = [](PictorMini& m) {
    for (auto& p : m->named_parameters()) if (p.key() == "text.token_embedding.weight") return p.value();
    return at::Tensor();
  };
  auto small_rows = find(small), big_rows = find(bigger);
  EXPECT_TRUE(torch::equal(big_rows.slice(0, 0, small_rows.size(0)), small_rows));
}

TEST(PictorMini, LoadRejectsFilesThatAreNotPictorMini) {
  weights::SafetensorsWriter writer;
  add_tensor(writer, "x", torch::zeros({2}));
  const std::string path = temp_path("other.safetensors");
  ASSERT_TRUE(writer.write(path).is_ok());
  auto loaded = load_pictor_mini(path);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.status().message().find("not a pictor-mini weights file"), std::string::npos);
  const std::string garbage = temp_path("garbage.safetensors");
  { std::ofstream(garbage) << "this is not a weights file at all"; }
  EXPECT_FALSE(load_pictor_mini(garbage).is_ok());
}

TEST(WordTokenizer, KnownUnknownPaddingAndCase) {
  WordTokenizer tok({"a", "red", "circle", "A", "7"}, 6);
  auto t = tok.encode("A red circle, and a zebra!");
  // [start] A red circle and(unknown) a zebra(unknown) → truncated at 6
  EXPECT_EQ(t.ids[0], WordTokenizer::kStart);
  EXPECT_EQ(t.ids[1], WordTokenizer::kFirstWord + 3);  // glyph "A" keeps its case
  EXPECT_EQ(t.ids[2], WordTokenizer::kFirstWord + 1);
  EXPECT_EQ(t.ids[4], WordTokenizer::kUnknown);
  // Unknown words are reported even past the truncation point: the user should hear of them.
  EXPECT_EQ(t.unknown_words, (std::vector<std::string>{"and", "zebra"}));
  EXPECT_TRUE(t.truncated);
  auto e = tok.encode("");
  EXPECT_EQ(e.length, 1);
  EXPECT_EQ(e.ids[1], WordTokenizer::kPad);
}

TEST(Noise, DependsOnlyOnSeedAndIndex) {
  auto a = seeded_noise(5, 2, 3, 8, 8), b = seeded_noise(5, 2, 3, 8, 8), c = seeded_noise(5, 3, 3, 8, 8);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_NEAR(seeded_noise(9, 0, 3, 64, 64).std().item<double>(), 1.0, 0.05);
}

TEST(FlowEuler, IntegratesAConstantVelocityExactly) {
  auto times = flow_timesteps(4);
  EXPECT_DOUBLE_EQ(times.front(), 1.0);
  EXPECT_DOUBLE_EQ(times.back(), 0.0);
  // v = ε − x0 constant ⇒ Euler is exact: from x1 = ε it reaches x0.
  auto x0 = torch::full({1, 3, 2, 2}, 0.25), eps = torch::full({1, 3, 2, 2}, -1.0);
  int steps = 0;
  auto out = sample_flow_euler([&](const at::Tensor&, double) { return eps - x0; }, eps.clone(), times,
                               [&](int) { ++steps; }, nullptr);
  EXPECT_EQ(steps, 4);
  EXPECT_TRUE(torch::allclose(out, x0, 1e-6, 1e-6));
  std::atomic<bool> cancel{true};
  EXPECT_FALSE(sample_flow_euler([&](const at::Tensor& x, double) { return x; }, eps, times, {}, &cancel).defined());
}

// Instruction edits start part-way along the source's path (preservation); inpainting starts from
// noise inside the hole; image-to-image skips by its strength; weights without edits start from
// noise as before.
TEST(PictorMiniEdit, WhereEachKindOfEditStarts) {
  EXPECT_EQ(instruction_edit_start_step(1), 0);
  EXPECT_EQ(instruction_edit_start_step(2), 1);
  EXPECT_EQ(instruction_edit_start_step(8), 1);
  EXPECT_EQ(instruction_edit_start_step(12), 1);
  EXPECT_EQ(instruction_edit_start_step(32), 3);
  GenerateRequest req;
  req.prompt = "make the circle red";
  req.images.push_back(Image(48, 40, 3));
  std::vector<std::string> warnings;
  EditPlan instruction = plan_edit(req, 32, 12, /*supports_edits=*/true, warnings);
  EXPECT_TRUE(instruction.edit_conditioning);
  EXPECT_EQ(instruction.start_step, 1);
  EXPECT_EQ(instruction.source.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_FALSE(instruction.mask.defined());

  GenerateRequest inpaint = req;
  inpaint.mask = Image(48, 40, 4);  // all transparent: change everything
  EditPlan hole = plan_edit(inpaint, 32, 12, true, warnings);
  EXPECT_EQ(hole.start_step, 0);
  EXPECT_TRUE(hole.edit_conditioning);
  EXPECT_EQ(hole.mask.sum().item<double>(), 32.0 * 32.0);

  GenerateRequest img2img = req;
  img2img.strength = 0.5;
  EditPlan half = plan_edit(img2img, 32, 12, true, warnings);
  EXPECT_EQ(half.start_step, 6);
  EXPECT_FALSE(half.edit_conditioning);

  EditPlan no_edits = plan_edit(inpaint, 32, 12, /*supports_edits=*/false, warnings);
  EXPECT_EQ(no_edits.start_step, 0);
  EXPECT_FALSE(no_edits.edit_conditioning);
  EXPECT_TRUE(warnings.empty());
}

}  // namespace
}  // namespace pictor::engine
