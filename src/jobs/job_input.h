#pragma once
// JobInput: one normalised generation or edit request, as the jobs layer stores and runs it.
// The server parses the OpenAI and gateway request shapes into this; it is persisted as JSON in
// the job row so that a job survives a restart (input images are stored as media first).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::jobs {

// Where to POST when the job ends (docs/server.md "Webhooks").
struct WebhookSpec {
  std::string url;
  std::vector<std::string> events;  // of kWebhookEvents; the request's default is all of them
  std::string base_url;             // the origin the caller used, for media URLs in the payload
};
// "generation.completed", "generation.failed", "generation.canceled".
extern const std::vector<std::string> kWebhookEvents;

struct JobInput {
  std::string model = "pictor-mini";
  std::string prompt;
  std::string negative_prompt;
  int n = 1;
  int width = 0, height = 0;         // 0 = the model's native size ("auto")
  std::string quality = "medium";    // low | medium | high (auto is resolved to medium)
  int steps = 0;                     // 0 = from quality
  double guidance = -1;              // < 0 = model default
  std::optional<uint64_t> seed;      // none = the job draws one (recorded in the output)
  std::string output_format = "png"; // png | jpeg | webp
  int output_compression = 100;      // 0–100
  std::string background = "auto";   // auto | opaque (transparent is refused by pictor-mini)
  double strength = -1;              // image-to-image strength; < 0 = instruction edit
  std::vector<std::string> image_ids;  // input images (media ids), edits only
  std::string mask_id;                 // mask (media id), "" = none
  int partial_images = 0;            // 0–3 preview images while streaming
  std::string user;                  // the caller's end-user id (OpenAI `user`), stored as is
  std::string provider;              // "" = the router picks; else only this provider (docs/providers.md)
  std::optional<WebhookSpec> webhook;

  bool is_edit() const { return !image_ids.empty(); }
  std::string to_json() const;
  static Result<JobInput> from_json(const std::string& text);
  // "1024x1024" or "auto" when no size was asked for.
  std::string size_string() const;
};

// Stable hash of a request body (for Idempotency-Key comparisons): hex FNV-1a 64 of the bytes.
std::string request_hash(const std::string& body);

}  // namespace pictor::jobs
