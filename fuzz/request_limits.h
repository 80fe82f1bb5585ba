#pragma once
// The ParseLimits the request fuzzers parse under: a server with two models, one provider, a
// webhook allow-list, no URL fetching and no stored media, and small pixel caps so that decoding
// stays fast.
#include "core/status.h"
#include "server/request_parse.h"

namespace pictor::fuzz {

inline server::ParseLimits fuzz_parse_limits() {
  server::ParseLimits l;
  l.default_model = "pictor-mini";
  l.model_exists = [](const std::string& m) { return m == "pictor-mini" || m == "sd-turbo"; };
  l.provider_offers = [](const std::string& m, const std::string& p) { return p == "local"; };
  l.media_bytes = [](const std::string& id) -> Result<std::string> { return not_found("no media " + id); };
  l.self_base_url = "http://127.0.0.1:8080";
  l.webhook_url_allowed = [](const std::string& url) {
    return url.rfind("https://hooks.example/", 0) == 0 ? Status::ok() : invalid_argument("host not allowed");
  };
  l.model_sizes = [](const std::string& m) { return std::vector<std::string>{"512x512", "768x512", "512x768"}; };
  l.max_output_pixels = 1024 * 1024;
  l.max_input_pixels = 1'000'000;
  l.max_input_images = 4;
  return l;
}

}  // namespace pictor::fuzz
