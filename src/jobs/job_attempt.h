#pragma once
// What one successful attempt of a job made, whichever provider ran it: encoded images plus the
// facts the job's output and usage are built from (job_output.cpp).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pictor::jobs {

struct EncodedImage {
  std::string bytes;
  std::string content_type;
  int width = 0, height = 0;
};

struct AttemptMade {
  std::vector<EncodedImage> images;
  nlohmann::json warnings = nlohmann::json::array();
  nlohmann::json seed = nullptr, steps = nullptr, guidance = nullptr;  // null where the provider does not say
  std::string background;                  // as the provider reported it ("" = from the request)
  double compute_seconds = 0;              // the engine's, the upstream's report, or the request's wall time
  nlohmann::json upstream_usage = nullptr; // the upstream's token counts, when it sent them
  int64_t input_image_tokens = 0;          // local runs: 32×32 tiles of the input images
  double price_per_image = 0;
  std::string cost_source;                 // price_table | providers_file | upstream | unpriced
};

}  // namespace pictor::jobs
