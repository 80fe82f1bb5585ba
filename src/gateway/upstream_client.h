#pragma once
// One request to one upstream images API: OpenAI, any OpenAI-compatible API, or another pictor.
// Generations go as JSON, edits as multipart (`image` or repeated `image[]`, `mask`); with
// partial_images > 0 the upstream streams (SSE) and its previews are passed on as they arrive.
// A set cancel flag closes the upstream connection. Failures say whether a retry may help.
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "gateway/provider_config.h"

namespace pictor::gateway {

struct UpstreamImage {
  std::string bytes;         // encoded (png / jpeg / webp)
  std::string content_type;
};

struct UpstreamRequest {
  std::string model;                   // the upstream's model name
  std::string prompt;
  std::string negative_prompt;         // pictor extras: only sent to pictor-kind providers
  int n = 1;
  std::string size = "auto";
  std::string quality = "medium";
  std::string output_format = "png";
  int output_compression = 100;
  std::string background = "auto";
  std::string user;
  int partial_images = 0;
  std::optional<uint64_t> seed;
  int steps = 0;
  double guidance = -1;
  double strength = -1;
  std::vector<UpstreamImage> images;   // edits
  std::optional<UpstreamImage> mask;
};

struct UpstreamResult {
  std::vector<std::string> images;     // encoded, as the upstream sent them
  nlohmann::json usage = nlohmann::json::object();  // the upstream's usage object
  double reported_cost_usd = -1;       // the upstream's own cost (pictor answers one), else -1
  std::string size, quality, output_format, background;
  std::optional<uint64_t> seed;
  nlohmann::json warnings = nlohmann::json::array();
  double seconds = 0;                  // wall time of the request, as this client measured it
};

// Why an attempt failed, for the router's retry / failover decision.
struct UpstreamFailure {
  int http_status = 0;          // 0 = no HTTP answer (connect error, timeout, cut stream)
  double retry_after_s = -1;    // the upstream's Retry-After, when it sent one
  bool retryable = false;       // connect errors, 408, 429, 5xx, a cut stream: try again
  bool failover = false;        // another provider may succeed (retryable, or 401/403)
  bool produced_image = false;  // a final image had arrived: never run it elsewhere
};

struct UpstreamCallbacks {
  std::function<void(const std::string& bytes)> on_partial;  // a streamed preview (encoded)
};

// Runs the request on `provider`; on error fills `failure`. The message never holds the key.
Result<UpstreamResult> call_upstream(const ProviderConfig& provider, const UpstreamRequest& request,
                                     const UpstreamCallbacks& callbacks, const std::atomic<bool>* cancel,
                                     UpstreamFailure& failure);

// The JSON body sent for a generation (exposed for tests).
nlohmann::json generation_body(ProviderKind kind, const UpstreamRequest& r);

}  // namespace pictor::gateway
