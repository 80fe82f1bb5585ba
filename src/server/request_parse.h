#pragma once
// Request parsing at the edge: OpenAI images requests (JSON and multipart) and gateway job
// requests become a jobs::JobInput plus the uploaded images, or an ApiError that names the
// offending `param`. Nothing here touches the store or the engine.
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "jobs/job_input.h"
#include "server/api_error.h"

namespace httplib {
struct Request;
struct MultipartFormData;
}

namespace pictor::server {

struct UploadedImage {
  std::string bytes;         // the file as sent (already checked to decode)
  std::string content_type;  // image/png | image/jpeg | image/webp
  int width = 0, height = 0;
  bool has_alpha = false;
};

struct ParsedImageRequest {
  jobs::JobInput input;      // image_ids / mask_id are filled by the caller after storing uploads
  bool stream = false;
  std::string response_format = "b64_json";  // b64_json | url
  std::vector<UploadedImage> images;
  std::optional<UploadedImage> mask;
};

struct ParseLimits {
  std::string default_model;
  std::function<bool(const std::string&)> model_exists;
  std::function<bool(const std::string& model, const std::string& provider)> provider_offers;
  // http(s) image URLs (input.images): fetched under the operator's policy, or none = refused.
  std::function<Result<std::string>(const std::string& url)> fetch_url;
  // Media of this server named by URL (per request: the caller's own media only), and the
  // origin the caller addressed us by ("http://host:port").
  std::function<Result<std::string>(const std::string& media_id)> media_bytes;
  std::string self_base_url;
  // Webhook URLs (`webhook.url` on a job): the operator's allow-list check, or none = refused.
  std::function<Status(const std::string& url)> webhook_url_allowed;
  // Sizes ("WxH") a model supports, for input.aspect_ratio (its catalog entry).
  std::function<std::vector<std::string>(const std::string& model)> model_sizes;
  int64_t max_output_pixels = 2048LL * 2048;  // per output image
  int64_t max_input_pixels = 16'000'000;      // per input image (decompression bombs)
  size_t max_prompt_chars = 32000;
  int max_input_images = 16;
};

enum class RequestKind { kGeneration, kEdit };

// Body as JSON, or a 400 envelope ("body is not valid JSON: ...").
bool parse_json_body(const httplib::Request& req, nlohmann::json& out, ApiError& error);

// OpenAI /v1/images/generations and /v1/images/edits bodies as JSON (edits: "images" as a list of
// data URLs, base64 strings or {"image_url": ...}; "mask" likewise).
bool parse_images_json(const nlohmann::json& body, RequestKind kind, const ParseLimits& limits,
                       ParsedImageRequest& out, ApiError& error);
// /v1/images/edits as multipart/form-data: files `image` or repeated `image[]`, `mask`, and the
// other fields as text parts.
bool parse_images_multipart(const std::multimap<std::string, httplib::MultipartFormData>& parts,
                            const ParseLimits& limits, ParsedImageRequest& out, ApiError& error);

struct GatewayRequest {
  ParsedImageRequest parsed;
  std::optional<int> wait_seconds;  // none = return at once; "auto" = 60
};
// POST /v1/generations: {"model", "input": {...}, "wait"}; `prefer` is the Prefer header.
bool parse_gateway_json(const nlohmann::json& body, const std::string& prefer, const ParseLimits& limits,
                        GatewayRequest& out, ApiError& error);

// Parses "wait" values: "auto" → 60, integers 0–60.
// One image given in JSON (a data URL, bare base64 or {"image_url": DATA_URL}), checked to decode
// within the pixel cap.
bool parse_json_image(const nlohmann::json& v, const std::string& param, const ParseLimits& limits, UploadedImage& out,
                      ApiError& error);
bool parse_wait_value(const nlohmann::json& v, int& seconds, ApiError& error, const std::string& param);

}  // namespace pictor::server
