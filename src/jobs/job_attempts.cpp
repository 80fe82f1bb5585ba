// One attempt of a job on one provider: on a local engine (decode inputs, generate, encode) or
// on an upstream API (inputs as stored, outputs as sent). The router (gateway/router.h) decides
// which provider gets the next attempt; these functions only report what happened.
#include <nlohmann/json.hpp>

#include "codecs/codecs.h"
#include "jobs/job_attempt.h"
#include "jobs/job_manager.h"

namespace pictor::jobs {

using nlohmann::json;

namespace {

Result<engine::GenerateRequest> build_request(store::Store& st, const JobInput& in, uint64_t seed) {
  engine::GenerateRequest req;
  req.prompt = in.prompt;
  req.negative_prompt = in.negative_prompt;
  req.n = in.n;
  req.width = in.width;
  req.height = in.height;
  auto q = engine::parse_quality(in.quality);
  if (!q.is_ok()) return q.status();
  req.quality = *q;
  req.steps = in.steps;
  req.guidance = in.guidance;
  req.seed = seed;
  req.strength = in.strength;
  for (const auto& id : in.image_ids) {
    auto data = st.get_media_data(id);
    if (!data.is_ok()) return data.status();
    auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    auto img = codecs::decode_image(bytes);
    if (!img.is_ok()) return img.status();
    req.images.push_back(std::move(*img));
  }
  if (!in.mask_id.empty()) {
    auto data = st.get_media_data(in.mask_id);
    if (!data.is_ok()) return data.status();
    auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    auto img = codecs::decode_image(bytes, {}, /*keep_alpha=*/true);
    if (!img.is_ok()) return img.status();
    req.mask = std::move(*img);
  }
  return req;
}

// Failures that are the request's own (bad input, unknown model) stay with it; anything else
// (an engine failure) may succeed on another provider.
gateway::AttemptOutcome local_failure(const Status& s) {
  gateway::AttemptOutcome o;
  o.status = s;
  const auto c = s.code();
  const bool requests_fault = c == StatusCode::kInvalidArgument || c == StatusCode::kUnsupported ||
                              c == StatusCode::kNotFound || c == StatusCode::kCorruptData || c == StatusCode::kCancelled;
  o.failure.failover = !requests_fault;
  return o;
}

Result<gateway::UpstreamImage> stored_image(store::Store& st, const std::string& id) {
  auto meta = st.get_media(id);
  if (!meta.is_ok()) return meta.status();
  auto data = st.get_media_data(id);
  if (!data.is_ok()) return data.status();
  return gateway::UpstreamImage{std::move(*data), meta->content_type};
}

}  // namespace

gateway::AttemptOutcome JobManager::attempt_local(const JobInput& input, uint64_t seed, Live& live, AttemptMade& out) {
  auto req = build_request(store_, input, seed);
  if (!req.is_ok()) return local_failure(req.status());
  auto lease = engines_.acquire(input.model);
  if (!lease.is_ok()) return local_failure(lease.status());
  auto format = codecs::parse_format(input.output_format);
  if (!format.is_ok()) return local_failure(format.status());
  const int n = input.n;
  if (input.partial_images > 0) {
    req->previews = input.partial_images;
    req->on_preview = [&, fmt = *format](int, int, const Image& preview) {
      // Previews come at the model's native size; show them at the size asked for.
      const bool resize = input.width > 0 && (input.width != preview.width || input.height != preview.height);
      auto bytes = codecs::encode_image(resize ? resize_image(preview, input.width, input.height) : preview, fmt,
                                        input.output_compression);
      if (!bytes.is_ok()) return;
      add_partial(live, std::string(bytes->begin(), bytes->end()));
    };
  }
  auto progress = [&](int image, int step, int total) {
    report_progress(live, double(image * total + step) / double(std::max(1, n * total)));
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto result = lease->engine->generate(*req, progress, &live.cancel);
  lease->lock.unlock();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!result.is_ok()) {
    auto o = local_failure(result.status());
    o.seconds = seconds;
    return o;
  }
  for (const auto& img : result->images) {
    auto bytes = codecs::encode_image(img, *format, input.output_compression);
    if (!bytes.is_ok()) return local_failure(bytes.status());
    out.images.push_back({std::string(bytes->begin(), bytes->end()), codecs::mime_type(*format), img.width, img.height});
  }
  out.warnings = result->warnings;
  out.seed = seed;
  out.steps = result->steps;
  out.guidance = result->guidance;
  out.compute_seconds = result->seconds;
  for (const auto& im : req->images) out.input_image_tokens += int64_t((im.width + 31) / 32) * ((im.height + 31) / 32);
  out.price_per_image = options_.prices.price_per_image(input.model, input.quality);
  out.cost_source = "price_table";
  gateway::AttemptOutcome o;
  o.seconds = seconds;
  o.images = int(out.images.size());
  o.cost_usd = out.price_per_image * o.images;
  return o;
}

gateway::AttemptOutcome JobManager::attempt_upstream(const gateway::Candidate& c, const JobInput& input, uint64_t seed,
                                                     Live& live, AttemptMade& out) {
  gateway::UpstreamRequest r;
  r.model = c.upstream_model;
  r.prompt = input.prompt;
  r.negative_prompt = input.negative_prompt;
  r.n = input.n;
  r.size = input.size_string();
  r.quality = input.quality;
  r.output_format = input.output_format;
  r.output_compression = input.output_compression;
  r.background = input.background;
  r.user = input.user;
  r.partial_images = input.partial_images;
  r.seed = seed;  // only pictor-kind providers are sent extras; the seed makes their output reproducible
  r.steps = input.steps;
  r.guidance = input.guidance;
  r.strength = input.strength;
  for (const auto& id : input.image_ids) {
    auto img = stored_image(store_, id);
    if (!img.is_ok()) return local_failure(img.status());
    r.images.push_back(std::move(*img));
  }
  if (!input.mask_id.empty()) {
    auto m = stored_image(store_, input.mask_id);
    if (!m.is_ok()) return local_failure(m.status());
    r.mask = std::move(*m);
  }
  gateway::UpstreamCallbacks callbacks;
  callbacks.on_partial = [&](const std::string& bytes) { add_partial(live, bytes); };
  gateway::AttemptOutcome o;
  const auto t0 = std::chrono::steady_clock::now();
  auto res = gateway::call_upstream(*c.config, r, callbacks, &live.cancel, o.failure);
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!res.is_ok()) {
    o.status = res.status();
    return o;
  }
  for (const auto& bytes : res->images) {
    auto dims = codecs::probe_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    if (!dims.is_ok()) {
      o.status = corrupt_data("provider " + c.provider + " sent an image pictor cannot read: " + dims.status().message());
      o.failure = {};
      o.failure.failover = true;  // nothing usable was produced
      out.images.clear();
      return o;
    }
    out.images.push_back({bytes, codecs::mime_type(dims->format), dims->width, dims->height});
  }
  out.warnings = res->warnings;
  out.seed = res->seed ? json(*res->seed) : json(nullptr);
  out.background = res->background;
  const json& u = res->usage;
  out.compute_seconds = u.contains("compute_seconds") && u["compute_seconds"].is_number() ? u["compute_seconds"].get<double>()
                                                                                          : res->seconds;
  if (u.contains("input_tokens") || u.contains("output_tokens")) out.upstream_usage = u;
  if (c.price >= 0) {
    out.price_per_image = c.price;
    out.cost_source = "providers_file";
  } else if (res->reported_cost_usd >= 0 && !out.images.empty()) {
    out.price_per_image = res->reported_cost_usd / double(out.images.size());
    out.cost_source = "upstream";
  } else {
    out.price_per_image = 0;
    out.cost_source = "unpriced";
  }
  o.images = int(out.images.size());
  o.cost_usd = out.price_per_image * o.images;
  return o;
}

}  // namespace pictor::jobs
