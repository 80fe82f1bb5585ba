#include "eval/geneval.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "world/detector.h"
#include "world/renderer.h"

namespace pictor::eval {

std::string EvalReport::to_json() const {
  nlohmann::json j;
  j["overall"] = overall;
  j["held_out"] = held_out;
  j["negative_control"] = negative_control;
  j["prompts"] = prompts;
  j["images"] = images;
  j["seconds"] = seconds;
  for (const auto& [name, r] : tasks)
    j["tasks"][name] = {{"accuracy", r.accuracy()}, {"images", r.images}, {"correct", r.correct}};
  for (const auto& [name, r] : held_out_tasks)
    j["held_out_tasks"][name] = {{"accuracy", r.accuracy()}, {"images", r.images}, {"correct", r.correct}};
  j["failure_examples"] = failures;
  for (const auto& [task, kinds] : failure_kinds) j["failure_kinds"][task] = kinds;
  for (const auto& [task, n] : failed_images) j["failed_images"][task] = n;
  return j.dump(2);
}

std::vector<std::string> failure_kinds(const world::Scene& detected, const world::SceneSpec& spec) {
  auto check = world::check_spec(detected, spec);
  std::vector<std::string> kinds;
  if (check.passed) return kinds;
  auto add = [&](const std::string& k) {
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  };
  const auto& want = spec.scene.objects;
  const auto& got = detected.objects;
  const int found = int(got.size()) + detected.unrecognised;
  if (spec.mention_count && found < int(want.size())) add("count_fewer");
  if (spec.mention_count && found > int(want.size())) add("count_more");
  auto same_shape = [](const world::Object& a, const world::Object& b) {
    return a.shape == b.shape && (a.shape != world::Shape::kGlyph || a.glyph == b.glyph);
  };
  for (size_t i = 0; i < want.size(); ++i) {
    const world::Object& w = want[i];
    const world::ObjectMention m = i < spec.mention.size() ? spec.mention[i] : world::ObjectMention{};
    bool full = false, shape = false, colour = false, size = false;
    for (const auto& g : got) {
      if (!same_shape(w, g)) continue;
      shape = true;
      const bool c = !m.colour || g.colour == w.colour;
      const bool s = !m.size || g.size == w.size;
      const bool r = !m.region || world::region_of(g) == world::region_of(w);
      colour |= c;
      size |= c && s;
      full |= c && s && r;
    }
    if (full) continue;
    if (!shape) add(detected.unrecognised > 0 ? "malformed" : "shape_wrong");
    else if (!colour) add("colour_wrong");
    else if (!size) add("size_wrong");
    else add("region_wrong");
  }
  for (const auto& f : check.failures) {
    if (f.rfind("relation", 0) == 0) add("relation_wrong");
    else if (f.rfind("objects:", 0) == 0) add("duplicates_missing");
    else if (f.rfind("background", 0) == 0) add("background_wrong");
  }
  return kinds;
}

Result<EvalReport> run_eval(const Generator& generate, const EvalOptions& opts,
                            const EvalProgress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<EvalPrompt> all = build_prompt_set(opts.prompts);
  std::vector<EvalPrompt> prompts;
  std::map<std::pair<std::string, bool>, int> taken;
  for (auto& p : all) {
    int& n = taken[{p.task, p.held_out}];
    if (opts.limit > 0 && n >= opts.limit) continue;
    ++n;
    prompts.push_back(std::move(p));
  }
  EvalReport report;
  report.prompts = int(prompts.size());
  std::map<std::string, TaskResult> shuffled;
  std::map<std::string, int> examples_of_task;
  int held_images = 0, held_correct = 0;
  const int total = int(prompts.size()) * opts.images_per_prompt;
  // The control pairs each image with the prompt a third of the set away: another task, so
  // another structure, most of the time.
  const size_t offset = std::max<size_t>(1, prompts.size() / 3);
  for (size_t i = 0; i < prompts.size(); ++i) {
    const EvalPrompt& p = prompts[i];
    const EvalPrompt& other = prompts[(i + offset) % prompts.size()];
    for (int k = 0; k < opts.images_per_prompt; ++k) {
      auto image = generate(p, k);
      if (!image.is_ok()) return image.status();
      world::Scene detected = world::detect(*image);
      auto check = world::check_spec(detected, p.spec);
      TaskResult& r = p.held_out ? report.held_out_tasks[p.task] : report.tasks[p.task];
      ++r.images;
      if (check.passed) {
        ++r.correct;
      } else {
        ++report.failed_images[p.task];
        for (const auto& kind : failure_kinds(detected, p.spec)) ++report.failure_kinds[p.task][kind];
        // A few per task, so one weak task does not hide what the others get wrong.
        if (examples_of_task[p.task] < 5 && k == 0 && !check.failures.empty()) {
          ++examples_of_task[p.task];
          report.failures.push_back(p.prompt + " -> " + check.failures[0]);
        }
      }
      if (p.held_out) { ++held_images; held_correct += check.passed; }
      TaskResult& c = shuffled[p.task];
      ++c.images;
      if (world::check_spec(detected, other.spec).passed) ++c.correct;
      ++report.images;
      if (progress) progress(report.images, total);
    }
  }
  double sum = 0, neg = 0;
  for (const auto& [name, r] : report.tasks) sum += r.accuracy();
  for (const auto& [name, r] : shuffled) neg += r.accuracy();
  report.overall = report.tasks.empty() ? 0 : sum / double(report.tasks.size());
  report.negative_control = shuffled.empty() ? 0 : neg / double(shuffled.size());
  report.held_out = held_images ? double(held_correct) / held_images : 0;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

Generator oracle_generator(int size) {
  return [size](const EvalPrompt& p, int) -> Result<Image> { return world::render(p.spec.scene, size, size); };
}

}  // namespace pictor::eval
