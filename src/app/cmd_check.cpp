// pictor check IMAGE "PROMPT" [--json]: reads a picture back into a scene with the scenes
// world's detector and checks, fact by fact, what a prompt of that world states about it.
// Exit 0: every fact holds; 1: a fact fails or the prompt is outside the world; 2: bad input.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli_util.h"
#include "app/commands.h"
#include "world/detector.h"
#include "world/prompt_check.h"
#include "world/prompt_parser.h"

namespace pictor::app {

namespace {

struct CheckArgs {
  std::string image;
  std::string prompt;
  bool json = false;
  long long max_pixels = 40'000'000;
};

const char* gradient_name(world::GradientDirection g) {
  switch (g) {
    case world::GradientDirection::kVertical: return "vertical";
    case world::GradientDirection::kHorizontal: return "horizontal";
    default: return "none";
  }
}

std::string background_line(const world::Scene& s) {
  const auto& b = s.background;
  std::string out = b.gradient == world::GradientDirection::kNone
                        ? std::string(world::background_colour_name(b.from))
                        : std::string(gradient_name(b.gradient)) + " gradient from " +
                              world::background_colour_name(b.from) + " to " + world::background_colour_name(b.to);
  if (!s.background_known) out += " (nearest named; the fit is poor)";
  return out;
}

nlohmann::json to_json(const world::PromptCheck& check, const world::ParsedPrompt& prompt, const Image& img) {
  using nlohmann::json;
  const world::Scene& s = check.detected;
  json objects = json::array();
  for (const auto& o : s.objects) {
    objects.push_back({{"shape", o.shape == world::Shape::kGlyph ? "glyph" : world::shape_name(o.shape)},
                       {"glyph", o.glyph ? json(std::string(1, o.glyph)) : json(nullptr)},
                       {"colour", world::colour_name(o.colour)},
                       {"size", world::size_name(o.size)},
                       {"x", o.cx},
                       {"y", o.cy},
                       {"region", world::region_name(world::region_of(o))}});
  }
  json facts = json::array();
  for (const auto& f : check.facts) facts.push_back({{"text", f.text}, {"holds", f.holds}, {"why", f.why}});
  return {{"image", {{"width", img.width}, {"height", img.height}}},
          {"background",
           {{"gradient", gradient_name(s.background.gradient)},
            {"from", world::background_colour_name(s.background.from)},
            {"to", world::background_colour_name(s.background.to)},
            {"known", s.background_known}}},
          {"objects", objects},
          {"unrecognised", s.unrecognised},
          {"facts", facts},
          {"facts_held", check.facts_held},
          {"facts_total", check.facts_total},
          {"score", check.score},
          {"all_hold", check.all_hold},
          {"in_world", prompt.in_world},
          {"unknown_words", prompt.unknown_words},
          {"warnings", prompt.warnings},
          {"failures", check.failures}};
}

void print_report(const world::PromptCheck& check, const world::ParsedPrompt& prompt, const CheckArgs& a,
                  const Image& img) {
  const world::Scene& s = check.detected;
  std::printf("%s: %dx%d\nbackground: %s\n", a.image.c_str(), img.width, img.height, background_line(s).c_str());
  std::printf("objects: %zu%s\n", s.objects.size(),
              s.unrecognised ? (" (+" + std::to_string(s.unrecognised) + " unrecognised)").c_str() : "");
  for (size_t i = 0; i < s.objects.size(); ++i) {
    const auto& o = s.objects[i];
    std::printf("  %zu. %s at (%.2f, %.2f), %s\n", i + 1, world::describe(o).c_str(), o.cx, o.cy,
                world::region_name(world::region_of(o)));
  }
  std::printf("facts:\n");
  for (const auto& f : check.facts)
    std::printf("  %s %s%s%s\n", f.holds ? "\xe2\x9c\x93" : "\xe2\x9c\x97", f.text.c_str(), f.holds ? "" : ": ",
                f.why.c_str());
  if (check.facts_held == check.facts_total && !check.all_hold && check.facts_total > 0) {
    std::string why;
    for (const auto& f : check.failures) why += (why.empty() ? "" : "; ") + f;
    std::printf("  \xe2\x9c\x97 all facts at once: %s\n", why.c_str());
  }
  std::printf("%d/%d facts hold\n", check.facts_held, check.facts_total);
  if (!prompt.in_world) {
    std::string words;
    for (const auto& w : prompt.unknown_words) words += (words.empty() ? "" : ", ") + w;
    std::string notes;
    for (const auto& w : prompt.warnings) notes += (notes.empty() ? "" : "; ") + w;
    std::printf("the prompt is outside the scenes world%s%s%s%s\n", words.empty() ? "" : "; unknown words: ",
                words.c_str(), notes.empty() ? "" : "; ", notes.c_str());
    if (check.facts_total == 0) std::printf("(it states no fact pictor can check)\n");
  }
}

int run_check(const CheckArgs& a) {
  auto parsed = world::parse_prompt(a.prompt);
  if (!parsed.is_ok()) return fail(parsed.status());
  auto bytes = codecs::read_file(a.image);
  // A missing or unreadable file is the caller's mistake: exit 2, like an undecodable one.
  if (!bytes.is_ok()) return fail(invalid_argument(bytes.status().message()));
  codecs::DecodeLimits limits;
  limits.max_pixels = a.max_pixels;
  auto img = codecs::decode_image(*bytes, limits);
  if (!img.is_ok()) return fail(invalid_argument("image " + a.image + ": " + img.status().message()));
  const world::PromptCheck check = world::check_prompt(*img, *parsed);
  if (a.json) std::printf("%s\n", to_json(check, *parsed, *img).dump().c_str());
  else print_report(check, *parsed, a, *img);
  return check.all_hold && parsed->in_world ? 0 : 1;
}

}  // namespace

Command add_check_command(CLI::App& root) {
  auto a = std::make_shared<CheckArgs>();
  auto* cmd = root.add_subcommand(
      "check",
      "read a picture back into a scene (the scenes world's detector) and check a prompt's facts\n"
      "against it: objects with counts, colours, sizes, regions and glyphs, relations, the total\n"
      "count, the background. Prints what was detected and each fact, held (\xe2\x9c\x93) or not (\xe2\x9c\x97, with why).\n"
      "Exit 0: every fact holds; 1: a fact fails, or the prompt is outside the world (its unknown\n"
      "words are listed); 2: bad input (missing or undecodable image, empty prompt).");
  cmd->add_option("image", a->image, "picture to read (PNG, JPEG or WebP)")->required();
  cmd->add_option("prompt", a->prompt, "prompt of the scenes world, e.g. \"two red circles above a blue square\"")
      ->required();
  cmd->add_flag("--json", a->json,
                "print one JSON object: background, objects[], facts[{text, holds, why}], facts_held,\n"
                "facts_total, score, all_hold, in_world, unknown_words, warnings");
  cmd->add_option("--max-pixels", a->max_pixels, "refuse images with more pixels than this")->capture_default_str();
  return {cmd, [a] { return run_check(*a); }};
}

}  // namespace pictor::app
