#include "jobs/job_input.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace pictor::jobs {

using nlohmann::json;

const std::vector<std::string> kWebhookEvents = {"generation.completed", "generation.failed", "generation.canceled"};

std::string JobInput::to_json() const {
  json j = {{"model", model},
            {"prompt", prompt},
            {"negative_prompt", negative_prompt},
            {"n", n},
            {"width", width},
            {"height", height},
            {"quality", quality},
            {"steps", steps},
            {"guidance", guidance},
            {"output_format", output_format},
            {"output_compression", output_compression},
            {"background", background},
            {"strength", strength},
            {"images", image_ids},
            {"mask", mask_id},
            {"partial_images", partial_images},
            {"user", user}};
  if (!provider.empty()) j["provider"] = provider;
  if (seed) j["seed"] = *seed;
  if (webhook) j["webhook"] = {{"url", webhook->url}, {"events", webhook->events}, {"base_url", webhook->base_url}};
  return j.dump();
}

Result<JobInput> JobInput::from_json(const std::string& text) {
  try {
    const json j = json::parse(text);
    JobInput in;
    in.model = j.at("model").get<std::string>();
    in.prompt = j.at("prompt").get<std::string>();
    in.negative_prompt = j.value("negative_prompt", "");
    in.n = j.value("n", 1);
    in.width = j.value("width", 0);
    in.height = j.value("height", 0);
    in.quality = j.value("quality", "medium");
    in.steps = j.value("steps", 0);
    in.guidance = j.value("guidance", -1.0);
    if (j.contains("seed")) in.seed = j["seed"].get<uint64_t>();
    in.output_format = j.value("output_format", "png");
    in.output_compression = j.value("output_compression", 100);
    in.background = j.value("background", "auto");
    in.strength = j.value("strength", -1.0);
    in.image_ids = j.value("images", std::vector<std::string>{});
    in.mask_id = j.value("mask", "");
    in.partial_images = j.value("partial_images", 0);
    in.user = j.value("user", "");
    in.provider = j.value("provider", "");
    if (j.contains("webhook")) {
      const json& w = j["webhook"];
      in.webhook = WebhookSpec{w.at("url").get<std::string>(), w.value("events", kWebhookEvents), w.value("base_url", "")};
    }
    return in;
  } catch (const std::exception& e) {
    return corrupt_data(std::string("stored job input is not valid: ") + e.what());
  }
}

std::string JobInput::size_string() const {
  if (width == 0 || height == 0) return "auto";
  return std::to_string(width) + "x" + std::to_string(height);
}

std::string request_hash(const std::string& body) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
  return buf;
}

}  // namespace pictor::jobs
