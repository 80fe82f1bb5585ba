#include "eval/prompt_set.h"

#include "core/rng.h"
#include "core/status.h"
#include "world/captions.h"
#include "world/scene_sampler.h"

namespace pictor::eval {

namespace {

using world::Object;
using world::Scene;
using world::SceneSpec;

world::SamplerOptions sampler(int objects, bool held_out) {
  world::SamplerOptions o;
  o.min_objects = o.max_objects = objects;
  o.glyph_probability = 0;
  o.group_probability = 0;
  o.gradient_probability = 0.3;
  o.exclude_held_out = !held_out;
  o.only_held_out = held_out;
  return o;
}

SceneSpec plain_spec(const Scene& s, bool colours) {
  SceneSpec spec;
  spec.scene = s;
  spec.mention.assign(s.objects.size(), world::ObjectMention{});
  for (auto& m : spec.mention) m.colour = colours;
  spec.mention_count = true;
  return spec;
}

// A clear relation between objects 0 and 1 (margin beyond the objects' own extent), if any.
bool clear_relation(const Scene& s, world::RelationFact& fact) {
  const Object &a = s.objects[0], &b = s.objects[1];
  const float dx = b.cx - a.cx, dy = b.cy - a.cy;
  if (std::abs(dx) > 0.3f && std::abs(dx) > 2 * std::abs(dy)) {
    fact = {0, 1, dx > 0 ? world::Relation::kLeftOf : world::Relation::kRightOf};
    return true;
  }
  if (std::abs(dy) > 0.3f && std::abs(dy) > 2 * std::abs(dx)) {
    fact = {0, 1, dy > 0 ? world::Relation::kAbove : world::Relation::kBelow};
    return true;
  }
  return false;
}

// Draws scenes until `accept` takes one; the sampler makes such scenes often, so this ends fast.
template <typename Accept>
SceneSpec draw(Rng& rng, const world::SamplerOptions& opts, Accept accept) {
  for (int attempt = 0; attempt < 100000; ++attempt) {
    Scene s = world::sample_scene(rng, opts);
    SceneSpec spec;
    if (accept(s, spec)) return spec;
  }
  PICTOR_ASSERT(false && "prompt set: no scene satisfied the task");
  return {};
}

SceneSpec make_task_spec(const std::string& task, bool held_out, Rng& rng) {
  if (task == "single_object" || task == "colours") {
    return draw(rng, sampler(1, held_out), [&](Scene& s, SceneSpec& spec) {
      spec = plain_spec(s, task == "colours");
      return true;
    });
  }
  if (task == "two_objects") {
    return draw(rng, sampler(2, false), [&](Scene& s, SceneSpec& spec) {
      if (s.objects[0].shape == s.objects[1].shape) return false;
      spec = plain_spec(s, false);
      return true;
    });
  }
  if (task == "colour_attribution") {
    return draw(rng, sampler(2, held_out), [&](Scene& s, SceneSpec& spec) {
      if (s.objects[0].colour == s.objects[1].colour || s.objects[0].shape == s.objects[1].shape) return false;
      spec = plain_spec(s, true);
      return true;
    });
  }
  if (task == "position") {
    return draw(rng, sampler(2, false), [&](Scene& s, SceneSpec& spec) {
      world::RelationFact fact;
      if (s.objects[0].shape == s.objects[1].shape || !clear_relation(s, fact)) return false;
      spec = plain_spec(s, false);
      spec.relations.push_back(fact);
      return true;
    });
  }
  if (task == "counting") {
    const int count = 2 + rng.below(3);
    const bool colour = held_out || rng.chance(0.5);
    return draw(rng, sampler(count, held_out), [&](Scene& s, SceneSpec& spec) {
      // Every object becomes a copy of the first (a held-out pair when held_out): same shape and
      // colour, positions and sizes as sampled (non-overlapping by construction).
      const Object* model = &s.objects[0];
      if (held_out) {
        model = nullptr;
        for (const auto& o : s.objects) if (world::is_held_out(o)) model = &o;
        if (!model) return false;
      }
      const Object proto = *model;
      for (auto& o : s.objects) { o.shape = proto.shape; o.colour = proto.colour; o.glyph = 0; }
      spec = plain_spec(s, colour);
      return true;
    });
  }
  // text: one glyph, colour stated.
  world::SamplerOptions o = sampler(1, false);
  o.glyph_probability = 1.0;
  return draw(rng, o, [&](Scene& s, SceneSpec& spec) {
    if (s.objects[0].shape != world::Shape::kGlyph) return false;
    spec = plain_spec(s, true);
    return true;
  });
}

}  // namespace

std::vector<EvalPrompt> build_prompt_set(const PromptSetOptions& opts) {
  std::vector<EvalPrompt> out;
  Rng rng(opts.seed, 1);
  for (const auto& task : kTasks) {
    const bool has_held_out = task == "colours" || task == "colour_attribution" || task == "counting";
    const int held = has_held_out ? opts.held_out_per_task : 0;
    for (int i = 0; i < opts.per_task + held; ++i) {
      EvalPrompt p;
      p.task = task;
      p.held_out = i >= opts.per_task;
      p.spec = make_task_spec(task, p.held_out, rng);
      p.prompt = world::caption(p.spec, rng);
      out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace pictor::eval
