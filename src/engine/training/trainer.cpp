#include "engine/training/trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "codecs/codecs.h"
#include "core/progress.h"
#include "core/rng.h"
#include "engine/device.h"
#include "engine/models/pictor_mini_file.h"
#include "engine/module_io.h"
#include "engine/pictor_mini_engine.h"
#include "engine/training/scene_batch.h"
#include "world/captions.h"
#include "world/detector.h"
#include "world/scene_sampler.h"

namespace pictor::engine {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

Result<PictorMiniConfig> preset_config(const std::string& preset, int64_t vocab_size);

// The preset's sizes with the design's conditioning.
Result<PictorMiniConfig> design_config(const std::string& preset, const std::string& design, int64_t vocab_size) {
  auto c = preset_config(preset, vocab_size);
  if (!c.is_ok()) return c;
  if (design == "text") return c;
  if (design == "map") {
    c->layout_mode = 2;
    return c;
  }
  if (design == "tokens") {
    // Grounding tokens reach every level: cross-attention at the finest level too.
    c->layout_mode = 1;
    for (auto& a : c->attention) a = std::max<int64_t>(a, 1);
    return c;
  }
  return invalid_argument("unknown design '" + design + "' (expected text, tokens or map)");
}

Result<PictorMiniConfig> preset_config(const std::string& preset, int64_t vocab_size) {
  PictorMiniConfig c;
  c.vocab_size = vocab_size;
  if (preset == "base") return c;
  if (preset == "small") {
    c.channels = {32, 64, 128};
    c.attention = {0, 1, 2};
    c.text_dim = 128;
    c.text_layers = 2;
    return c;
  }
  if (preset == "tiny") {  // for tests: trains in seconds
    c.image_size = 32;
    c.channels = {16, 32};
    c.attention = {0, 2};
    c.head_dim = 16;
    c.time_dim = 64;
    c.text_dim = 32;
    c.text_layers = 1;
    c.text_heads = 2;
    c.max_tokens = 24;
    c.layout_dim = 8;
    c.planner_dim = 32;
    c.planner_layers = 1;
    c.planner_heads = 2;
    return c;
  }
  return invalid_argument("unknown preset '" + preset + "' (expected base, small or tiny)");
}

void copy_parameters(torch::nn::Module& dst, const torch::nn::Module& src) {
  torch::NoGradGuard g;
  auto d = dst.parameters(), s = src.parameters();
  for (size_t i = 0; i < d.size(); ++i) d[i].copy_(s[i]);
}

void ema_update(torch::nn::Module& ema, const torch::nn::Module& model, double decay) {
  torch::NoGradGuard g;
  auto e = ema.parameters(), m = model.parameters();
  for (size_t i = 0; i < e.size(); ++i) e[i].mul_(decay).add_(m[i], 1.0 - decay);
}

// Fixed prompts for periodic evaluation: in-distribution scenes from a seed of their own.
std::vector<world::SceneSpec> eval_specs(int count) {
  Rng rng(20261126, 7);
  world::SamplerOptions opts;
  opts.exclude_held_out = true;
  std::vector<world::SceneSpec> specs;
  for (int i = 0; i < count; ++i) specs.push_back(world::make_spec(world::sample_scene(rng, opts), rng));
  return specs;
}

Image grid(const std::vector<Image>& images, int columns) {
  const int w = images[0].width, h = images[0].height;
  const int rows = (int(images.size()) + columns - 1) / columns;
  Image g(columns * w, rows * h, 3);
  for (size_t i = 0; i < images.size(); ++i) {
    const int ox = int(i % size_t(columns)) * w, oy = int(i / size_t(columns)) * h;
    for (int y = 0; y < h; ++y)
      std::memcpy(g.at(ox, oy + y), images[i].at(0, y), size_t(w) * 3);
  }
  return g;
}

struct Checkpoint {
  int64_t step = 0;
  double seconds = 0;
  int64_t planner_step = 0;  // layout planner pre-training steps done
};

Status save_checkpoint(const std::string& dir, PictorMini& model, PictorMini& ema,
                       torch::optim::AdamW& optimizer, const std::vector<std::string>& vocab,
                       const TrainOptions& opts, const Checkpoint& ck) {
  weights::SafetensorsWriter writer;
  writer.set_metadata("pictor.config", model->config().to_json());
  writer.set_metadata("pictor.vocab", nlohmann::json(vocab).dump());
  writer.set_metadata("train.step", std::to_string(ck.step));
  writer.set_metadata("train.seconds", std::to_string(ck.seconds));
  writer.set_metadata("train.planner_step", std::to_string(ck.planner_step));
  writer.set_metadata("train.preset", opts.preset);
  add_module_tensors(*model, writer, torch::kFloat, "model.");
  add_module_tensors(*ema, writer, torch::kFloat, "ema.");
  // Optimizer first: a crash between the two writes leaves an older optimizer state with a newer
  // model, which resumes fine; the reverse order could pair new moments with old weights.
  const std::string opt_tmp = dir + "/optimizer.pt.tmp";
  torch::save(optimizer, opt_tmp);
  fs::rename(opt_tmp, dir + "/optimizer.pt");
  PICTOR_RETURN_IF_ERROR(writer.write(dir + "/checkpoint.safetensors"));

  // medium = 12 steps: the largest count inside the 0.5 s/image latency budget on the 2-core
  // reference machine (docs/benchmarks.md). Guidance only at t ≤ 0.8: measured better than at
  // every step (docs/models/pictor-mini.md, "Eval").
  std::map<std::string, std::string> meta = {
      {"pictor.steps_low", "8"}, {"pictor.steps_medium", "12"}, {"pictor.steps_high", "32"},
      {"pictor.guidance", "4.0"}, {"pictor.shift", "1.0"}, {"pictor.guidance_max_t", "0.8"},
      {"pictor.edits", opts.edit_fraction > 0 ? "1" : "0"},
      {"train.edit_fraction", std::to_string(opts.edit_fraction)},
      {"train.step", std::to_string(ck.step)},
      {"train.samples", std::to_string(ck.step * opts.batch_size)},
      {"train.seconds", std::to_string(ck.seconds)},
      {"train.preset", opts.preset}, {"train.batch_size", std::to_string(opts.batch_size)},
      {"train.planner_steps", std::to_string(ck.planner_step)},
      {"train.learning_rate", std::to_string(opts.learning_rate)}};
  return save_pictor_mini(ema, vocab, meta, torch::kHalf, dir + "/pictor-mini.safetensors");
}

// Where a run starts from: its own checkpoint (model, EMA, optimizer), or a shipped weights file
// (--init-from: its EMA weights seed both model and EMA, with a fresh optimizer).
struct StartPoint {
  std::unique_ptr<weights::SafetensorsFile> file;
  std::string model_prefix, ema_prefix;
  bool own_checkpoint = false;
};

Result<std::vector<std::string>> stored_vocabulary(const weights::SafetensorsFile& file) {
  auto it = file.metadata().find("pictor.vocab");
  if (it == file.metadata().end()) return corrupt_data(file.path() + ": metadata pictor.vocab is missing");
  auto j = nlohmann::json::parse(it->second, nullptr, false);
  if (!j.is_array()) return corrupt_data(file.path() + ": pictor.vocab is not a list");
  std::vector<std::string> words;
  for (const auto& w : j) words.push_back(w.is_string() ? w.get<std::string>() : std::string());
  return words;
}

// The stored vocabulary keeps its ids; words the world has gained since are appended.
std::vector<std::string> grown_vocabulary(std::vector<std::string> stored) {
  std::set<std::string> known(stored.begin(), stored.end());
  for (const auto& w : world::vocabulary())
    if (!known.count(w)) stored.push_back(w);
  return stored;
}

// Generates one image per eval prompt with the EMA weights and scores it with the detector.
double periodic_eval(PictorMini& ema, const std::vector<std::string>& vocab, const std::string& dir,
                     int64_t step, int prompts) {
  ema->eval();
  PictorMiniFile file{ema, vocab, {}};
  auto engine = make_pictor_mini_engine(std::move(file), {}, dir);
  auto specs = eval_specs(prompts);
  std::vector<Image> images;
  int passed = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    Rng rng(99, i);
    GenerateRequest req;
    req.prompt = world::caption(specs[i], rng);
    req.seed = i;
    auto out = engine->generate(req);
    if (!out.is_ok()) continue;
    if (world::check_spec(world::detect(out->images[0]), specs[i]).passed) ++passed;
    images.push_back(std::move(out->images[0]));
  }
  ema->train();
  if (!images.empty()) {
    std::vector<Image> first(images.begin(), images.begin() + std::min<size_t>(16, images.size()));
    auto png = codecs::encode_image(grid(first, 4), codecs::ImageFormat::kPng, 6);
    if (png.is_ok()) (void)codecs::write_file_atomic(dir + "/samples-" + std::to_string(step) + ".png", *png);
  }
  return specs.empty() ? 0.0 : double(passed) / double(specs.size());
}

// The planner's own plans for 128 fixed captions (a stream apart from training's), half of them
// stating a relation, checked against their facts: → {share right, share right among those with a
// relation}. Text only, about a second: a training-time probe of what the planner has learned.
std::pair<double, double> planner_probe(LayoutPlanner& planner, const WordTokenizer& tokenizer) {
  torch::NoGradGuard g;
  Rng rng(20261207, 3);
  world::SamplerOptions opts;
  opts.exclude_held_out = true;
  opts.group_probability = 0.4;
  std::vector<world::SceneSpec> specs;
  std::vector<int64_t> ids;
  while (specs.size() < 128) {
    world::SceneSpec spec = world::make_spec(world::sample_scene(rng, opts), rng);
    if ((specs.size() % 2 == 0) == spec.relations.empty()) continue;
    auto tok = tokenizer.encode(world::caption(spec, rng));
    ids.insert(ids.end(), tok.ids.begin(), tok.ids.end());
    specs.push_back(std::move(spec));
  }
  auto batch = torch::tensor(ids, torch::kLong).view({int64_t(specs.size()), -1});
  std::vector<Rng> rngs;
  for (size_t i = 0; i < specs.size(); ++i) rngs.emplace_back(7, i);
  const auto plans = planner->sample(batch, rngs);
  int right = 0, with_relation = 0, relation_right = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const bool ok = world::check_spec(plans[i], specs[i]).passed;
    right += ok;
    if (!specs[i].relations.empty()) { ++with_relation; relation_right += ok; }
  }
  return {double(right) / double(specs.size()), with_relation ? double(relation_right) / with_relation : 0.0};
}

// Pre-trains the layout planner on captions and their scenes (text only: no rendering, so
// large batches are cheap). Its own AdamW with warmup and a cosine decay; at the end the EMA copy
// takes the planner's weights as they are (the planner is fixed from then on). Returns the
// next-token accuracy of the last log interval.
// `save` writes a checkpoint (every 200 steps: a stopped run resumes its planner phase there, with
// a fresh planner optimizer).
Result<double> train_planner(PictorMini& model, PictorMini& ema, const WordTokenizer& tokenizer,
                             const TrainOptions& opts, Checkpoint& ck, std::ofstream& log,
                             const std::atomic<bool>* stop, const std::function<Status(const Checkpoint&)>& save) {
  auto& planner = model->planner();
  torch::optim::AdamW optimizer(planner->parameters(), torch::optim::AdamWOptions(1e-3).betas({0.9, 0.98}).weight_decay(0.01));
  ProgressBar bar("layout planner", opts.planner_steps, !opts.quiet && stderr_is_terminal());
  const auto start = Clock::now();
  double loss_sum = 0, acc_sum = 0, last_acc = 0;
  int count = 0;
  const int64_t first = ck.planner_step;
  while (ck.planner_step < opts.planner_steps) {
    if (stop && stop->load()) break;
    const double progress = double(ck.planner_step) / opts.planner_steps;
    const double lr = 1e-3 * std::min(1.0, double(ck.planner_step - first + 1) / 100.0) *
                      (0.05 + 0.95 * 0.5 * (1 + std::cos(M_PI * progress)));
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    PlannerBatch b = make_planner_batch(opts.seed, ck.planner_step, opts.planner_batch, tokenizer, opts.planner_relation_probability);
    auto [loss, acc] = planner->loss(b.ids, b.targets);
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(planner->parameters(), 1.0);
    optimizer.step();
    ++ck.planner_step;
    loss_sum += loss.item<double>();
    acc_sum += acc;
    ++count;
    bar.update(ck.planner_step, "loss " + std::to_string(loss_sum / count).substr(0, 6));
    if (ck.planner_step % 100 == 0 || ck.planner_step == opts.planner_steps) {
      last_acc = acc_sum / count;
      char line[200];
      std::snprintf(line, sizeof line, "planner step %lld loss %.4f next-token accuracy %.4f lr %.2e elapsed %s",
                    (long long)ck.planner_step, loss_sum / count, last_acc, lr,
                    format_duration(std::chrono::duration<double>(Clock::now() - start).count()).c_str());
      log << line << std::endl;
      if (!bar.enabled() && !opts.quiet) std::fprintf(stderr, "%s\n", line);
      if (ck.planner_step % 500 == 0 || ck.planner_step == opts.planner_steps) {
        const auto [right, relations] = planner_probe(planner, tokenizer);
        std::snprintf(line, sizeof line, "planner step %lld plans right %.3f (with a relation %.3f) of 128 fixed captions",
                      (long long)ck.planner_step, right, relations);
        log << line << std::endl;
        if (!bar.enabled() && !opts.quiet) std::fprintf(stderr, "%s\n", line);
      }
      loss_sum = acc_sum = 0;
      count = 0;
    }
    if (ck.planner_step % 200 == 0 && ck.planner_step < opts.planner_steps) {
      Checkpoint at = ck;
      at.seconds += std::chrono::duration<double>(Clock::now() - start).count();
      PICTOR_RETURN_IF_ERROR(save(at));
    }
  }
  bar.finish();
  ck.seconds += std::chrono::duration<double>(Clock::now() - start).count();
  torch::NoGradGuard g;
  auto dst = ema->planner()->parameters(), src = planner->parameters();
  for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
  return last_acc;
}

}  // namespace

Result<TrainReport> train_pictor_mini(const TrainOptions& opts, const std::atomic<bool>* stop) {
  try {
    set_threads(opts.threads);
    std::error_code ec;
    fs::create_directories(opts.out_dir, ec);
    if (ec) return io_error("cannot create " + opts.out_dir + ": " + ec.message());
    if (opts.batch_size < 1 || opts.steps < 1) return invalid_argument("steps and batch size must be positive");

    StartPoint origin;
    const std::string checkpoint_path = opts.out_dir + "/checkpoint.safetensors";
    const std::string source_path = opts.resume && fs::exists(checkpoint_path) ? checkpoint_path : opts.init_from;
    if (!source_path.empty()) {
      auto file = weights::SafetensorsFile::open(source_path);
      if (!file.is_ok()) return file.status();
      origin.file = std::move(*file);
      origin.own_checkpoint = source_path == checkpoint_path;
      if (origin.own_checkpoint) { origin.model_prefix = "model."; origin.ema_prefix = "ema."; }
    }
    std::vector<std::string> vocab = world::vocabulary();
    auto config = design_config(opts.preset, opts.design, WordTokenizer::kFirstWord + int64_t(vocab.size()));
    if (!config.is_ok()) return config.status();
    Checkpoint ck;
    bool vocabulary_grew = false;
    if (origin.file) {
      // A continued run keeps the architecture and word ids it started with.
      const auto& meta = origin.file->metadata();
      auto stored = stored_vocabulary(*origin.file);
      if (!stored.is_ok()) return stored.status();
      auto cfg_it = meta.find("pictor.config");
      if (cfg_it == meta.end()) return corrupt_data(source_path + ": metadata pictor.config is missing");
      config = PictorMiniConfig::from_json(cfg_it->second);
      if (!config.is_ok()) return config.status();
      vocab = grown_vocabulary(*stored);
      vocabulary_grew = vocab.size() > stored->size();
      config->vocab_size = WordTokenizer::kFirstWord + int64_t(vocab.size());
      auto num = [&](const char* key, double fallback) {
        auto it = meta.find(key);
        return it == meta.end() ? fallback : std::atof(it->second.c_str());
      };
      ck.step = int64_t(num("train.step", 0));
      ck.seconds = num("train.seconds", 0);
      ck.planner_step = int64_t(num(origin.own_checkpoint ? "train.planner_step" : "train.planner_steps", 0));
    }
    // --planner-from: that file's planner (size, weights, steps) replaces the run's own.
    std::unique_ptr<weights::SafetensorsFile> planner_file;
    std::string planner_prefix;
    if (!opts.planner_from.empty()) {
      auto file = weights::SafetensorsFile::open(opts.planner_from);
      if (!file.is_ok()) return file.status();
      planner_file = std::move(*file);
      const auto& meta = planner_file->metadata();
      auto cfg_it = meta.find("pictor.config");
      if (cfg_it == meta.end()) return corrupt_data(opts.planner_from + ": metadata pictor.config is missing");
      auto pc = PictorMiniConfig::from_json(cfg_it->second);
      if (!pc.is_ok()) return pc.status();
      if (pc->layout_mode == 0) return invalid_argument("--planner-from " + opts.planner_from + ": that model has no layout planner");
      if (config->layout_mode == 0) return invalid_argument("--planner-from: this run's design (text) has no layout planner");
      auto words = stored_vocabulary(*planner_file);
      if (!words.is_ok()) return words.status();
      // Word ids must mean the same words in both files (the planner reads word ids).
      if (words->size() > vocab.size() || !std::equal(words->begin(), words->end(), vocab.begin()))
        return invalid_argument("--planner-from " + opts.planner_from + ": its vocabulary differs from this run's");
      config->planner_dim = pc->planner_dim;
      config->planner_layers = pc->planner_layers;
      config->planner_heads = pc->planner_heads;
      config->planner_relative_positions = pc->planner_relative_positions;
      planner_prefix = planner_file->find("ema.planner.head.weight") ? "ema.planner." : "planner.";
      auto step_it = meta.find(planner_prefix == "ema.planner." ? "train.planner_step" : "train.planner_steps");
      ck.planner_step = step_it == meta.end() ? 0 : int64_t(std::atof(step_it->second.c_str()));
    } else if (!origin.file) {
      if (opts.planner_dim > 0) config->planner_dim = opts.planner_dim;
      if (opts.planner_layers > 0) config->planner_layers = opts.planner_layers;
      if (opts.planner_relative_positions) config->planner_relative_positions = 1;
      if (config->planner_dim % config->planner_heads != 0)
        return invalid_argument("--planner-dim must be a multiple of " + std::to_string(config->planner_heads));
    }
    WordTokenizer tokenizer(vocab, int(config->max_tokens));

    torch::manual_seed(opts.seed);
    PictorMini model(*config), ema(*config);
    copy_parameters(*ema, *model);
    ema->eval();
    // The denoiser's optimizer holds every parameter but the planner's (trained before, then fixed).
    std::vector<at::Tensor> denoiser_params, planner_params;
    for (auto& item : model->named_parameters())
      (item.key().rfind("planner.", 0) == 0 ? planner_params : denoiser_params).push_back(item.value());
    torch::optim::AdamW optimizer(denoiser_params, torch::optim::AdamWOptions(opts.learning_rate)
                                                       .betas({0.9, 0.99}).weight_decay(0.0));
    const bool bf16_matmuls = opts.bf16_matmuls && cpu_has_native_bf16();
    model->set_bf16_training_matmuls(bf16_matmuls);
    bool fresh_optimizer = true;
    if (origin.file) {
      const std::set<std::string> growable = {"text.token_embedding.weight", "planner.word_embedding.weight"};
      if (planner_file) {
        // Everything but the planner from the run's file, submodule by submodule.
        for (auto* pair : {&model, &ema}) {
          const std::string& prefix = pair == &model ? origin.model_prefix : origin.ema_prefix;
          for (auto& child : (*pair)->named_children()) {
            if (child.key() == "planner") continue;
            std::set<std::string> rows;
            for (const auto& g : growable)
              if (g.rfind(child.key() + ".", 0) == 0) rows.insert(g.substr(child.key().size() + 1));
            PICTOR_RETURN_IF_ERROR(load_module_strict(*child.value(), *origin.file, prefix + child.key() + ".", rows));
          }
        }
      } else {
        PICTOR_RETURN_IF_ERROR(load_module_strict(*model, *origin.file, origin.model_prefix, growable));
        PICTOR_RETURN_IF_ERROR(load_module_strict(*ema, *origin.file, origin.ema_prefix, growable));
      }
      // Adam's moments only fit when the parameter shapes are unchanged.
      if (origin.own_checkpoint && !vocabulary_grew && fs::exists(opts.out_dir + "/optimizer.pt")) {
        torch::load(optimizer, opts.out_dir + "/optimizer.pt");
        fresh_optimizer = false;
      }
      std::fprintf(stderr, "continuing from %s at step %lld%s%s\n", source_path.c_str(), (long long)ck.step,
                   vocabulary_grew ? " (vocabulary grew)" : "", fresh_optimizer ? " with a fresh optimizer" : "");
    }
    if (planner_file) {
      PICTOR_RETURN_IF_ERROR(load_module_strict(*model->planner(), *planner_file, planner_prefix, {"word_embedding.weight"}));
      PICTOR_RETURN_IF_ERROR(load_module_strict(*ema->planner(), *planner_file, planner_prefix, {"word_embedding.weight"}));
      std::fprintf(stderr, "layout planner from %s (%lld planner steps, %lld layers of %lld)\n", opts.planner_from.c_str(),
                   (long long)ck.planner_step, (long long)config->planner_layers, (long long)config->planner_dim);
    }
    const int64_t start_step = ck.step;
    int64_t params = 0;
    for (auto& p : model->parameters()) params += p.numel();
    std::ofstream log(opts.out_dir + "/train.log", std::ios::app);
    log << "# start step " << ck.step << " preset " << opts.preset << " params " << params
        << " batch " << opts.batch_size << " lr " << opts.learning_rate << " cooldown " << opts.cooldown
        << " matmuls " << (bf16_matmuls ? "bf16" : "fp32") << " edit_fraction " << opts.edit_fraction
        << " layout_mode " << config->layout_mode << "\n";

    double planner_accuracy = -1;
    if (model->has_planner() && ck.planner_step < opts.planner_steps) {
      auto acc = train_planner(model, ema, tokenizer, opts, ck, log, stop, [&](const Checkpoint& at) {
        return save_checkpoint(opts.out_dir, model, ema, optimizer, vocab, opts, at);
      });
      if (!acc.is_ok()) return acc.status();
      planner_accuracy = *acc;
      Checkpoint save = ck;
      PICTOR_RETURN_IF_ERROR(save_checkpoint(opts.out_dir, model, ema, optimizer, vocab, opts, save));
      if (stop && stop->load()) {
        TrainReport r;
        r.planner_accuracy = *acc;
        return r;
      }
    }

    SceneBatchOptions batch_opts;
    batch_opts.batch_size = opts.batch_size;
    batch_opts.image_size = int(config->image_size);
    batch_opts.edit_fraction = opts.edit_fraction;
    TrainReport report;
    report.planner_accuracy = planner_accuracy;
    ProgressBar bar("train", opts.steps, !opts.quiet && stderr_is_terminal());
    const auto start = Clock::now();
    auto interval_start = start;
    double loss_sum = 0;
    int loss_count = 0;
    bool first_interval = true;
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

    while (ck.step < opts.steps) {
      if (stop && stop->load()) break;
      if (opts.max_hours > 0 && elapsed() > opts.max_hours * 3600) break;
      // A fresh optimizer warms up again, wherever the run's step count stands.
      const int64_t warm_steps = ck.step - (fresh_optimizer ? start_step : 0);
      double lr = opts.learning_rate * std::min(1.0, double(warm_steps + 1) / opts.warmup_steps);
      if (opts.cooldown > 0) {
        const double progress = opts.max_hours > 0
                                    ? elapsed() / (opts.max_hours * 3600)
                                    : double(ck.step - start_step) / double(std::max<int64_t>(1, opts.steps - start_step));
        const double into_cooldown = (progress - (1 - opts.cooldown)) / opts.cooldown;
        if (into_cooldown > 0) lr *= 1.0 - 0.95 * std::min(1.0, into_cooldown);
      }
      for (auto& group : optimizer.param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

      SceneBatch batch = make_scene_batch(opts.seed, ck.step, batch_opts, tokenizer);
      torch::manual_seed(opts.seed * 1000003ull + uint64_t(ck.step));
      auto x0 = batch.images;
      auto noise = torch::randn_like(x0);
      auto t = torch::sigmoid(torch::randn({x0.size(0)}));  // logit-normal: most weight mid-way
      auto tb = t.view({-1, 1, 1, 1});
      auto xt = (1 - tb) * x0 + tb * noise;
      auto pad = batch.ids.eq(WordTokenizer::kPad);
      auto [ctx, pooled] = model->encode_text(batch.ids, pad);
      LayoutInput layout;
      if (model->config().layout_mode > 0) {
        std::vector<const world::Scene*> rows;
        for (const auto& l : batch.layouts) rows.push_back(l ? &*l : nullptr);
        layout = layout_input(rows);
      }
      auto v = model->forward(pictor_mini_input(xt, batch.sources, batch.masks, batch.has_source), t, ctx,
                              pooled, pad, layout);
      auto loss = torch::mse_loss(v, noise - x0);
      optimizer.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
      optimizer.step();
      ++ck.step;
      ema_update(*ema, *model, std::min(opts.ema_decay, (1.0 + ck.step) / (10.0 + ck.step)));

      loss_sum += loss.item<double>();
      ++loss_count;
      bar.update(ck.step, "loss " + std::to_string(loss_sum / loss_count).substr(0, 6));
      if (ck.step % opts.log_every == 0 || ck.step == opts.steps) {
        const double dt = std::chrono::duration<double>(Clock::now() - interval_start).count();
        const double mean = loss_sum / loss_count;
        const double sps = loss_count * opts.batch_size / dt;
        if (first_interval) { report.first_loss = mean; first_interval = false; }
        report.last_loss = mean;
        report.samples_per_second = sps;
        double eta = (opts.steps - ck.step) * opts.batch_size / std::max(sps, 1e-9);
        if (opts.max_hours > 0) eta = std::min(eta, std::max(0.0, opts.max_hours * 3600 - elapsed()));
        char line[256];
        std::snprintf(line, sizeof line, "step %lld loss %.4f lr %.2e samples/s %.1f elapsed %s eta %s",
                      (long long)ck.step, mean, lr, sps,
                      format_duration(ck.seconds + elapsed()).c_str(), format_duration(eta).c_str());
        log << line << std::endl;
        if (!bar.enabled() && !opts.quiet) std::fprintf(stderr, "%s\n", line);
        loss_sum = 0;
        loss_count = 0;
        interval_start = Clock::now();
      }
      if (ck.step % opts.checkpoint_every == 0 || ck.step == opts.steps) {
        Checkpoint save = ck;
        save.seconds += elapsed();
        PICTOR_RETURN_IF_ERROR(save_checkpoint(opts.out_dir, model, ema, optimizer, vocab, opts, save));
      }
      if (opts.eval_every > 0 && ck.step % opts.eval_every == 0) {
        report.last_eval = periodic_eval(ema, vocab, opts.out_dir, ck.step, opts.eval_prompts);
        std::ofstream(opts.out_dir + "/eval.jsonl", std::ios::app)
            << nlohmann::json{{"step", ck.step}, {"pass_rate", report.last_eval}}.dump() << "\n";
        if (!opts.quiet) std::fprintf(stderr, "\neval step %lld: %.3f of prompts confirmed by the detector\n",
                                      (long long)ck.step, report.last_eval);
        interval_start = Clock::now();
      }
    }
    Checkpoint save = ck;
    save.seconds += elapsed();
    PICTOR_RETURN_IF_ERROR(save_checkpoint(opts.out_dir, model, ema, optimizer, vocab, opts, save));
    bar.finish();
    report.steps_done = ck.step - start_step;
    report.seconds = elapsed();
    return report;
  } catch (const std::exception& e) {
    return internal_error(std::string("training failed: ") + e.what());
  }
}

}  // namespace pictor::engine
