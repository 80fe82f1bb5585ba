#include "server/request_parse.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "codecs/codecs.h"
#include "core/utf8.h"

namespace pictor::server {

using nlohmann::json;

namespace {

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::null: return "null";
    default: return "something else";
  }
}

bool type_error(ApiError& error, const std::string& name, const char* expected, const json& got) {
  error = bad_request("Invalid type for '" + name + "': expected " + expected + ", but got " + type_name(got) +
                          " instead.",
                      name, "invalid_type");
  return false;
}

bool value_error(ApiError& error, const std::string& name, const std::string& message) {
  error = bad_request(message, name, "invalid_value");
  return false;
}

// Typed field access: absent (or null) fields keep their default.
struct Fields {
  const json& obj;
  ApiError& error;

  bool has(const char* name) const { return obj.contains(name) && !obj[name].is_null(); }

  bool str(const char* name, std::string& out) {
    if (!has(name)) return true;
    if (!obj[name].is_string()) return type_error(error, name, "a string", obj[name]);
    out = obj[name].get<std::string>();
    return true;
  }
  bool integer(const char* name, int64_t& out, int64_t lo, int64_t hi) {
    if (!has(name)) return true;
    const json& v = obj[name];
    if (!v.is_number_integer() && !v.is_number_unsigned()) return type_error(error, name, "an integer", v);
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) return value_error(error, name, std::string("'") + name + "' is too large");
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi)
      return value_error(error, name, "'" + std::string(name) + "' must be between " + std::to_string(lo) + " and " +
                                          std::to_string(hi) + " (got " + std::to_string(x) + ")");
    out = x;
    return true;
  }
  bool integer(const char* name, int& out, int lo, int hi) {
    int64_t x = out;
    if (!integer(name, x, lo, hi)) return false;
    out = int(x);
    return true;
  }
  bool number(const char* name, double& out, double lo, double hi) {
    if (!has(name)) return true;
    const json& v = obj[name];
    if (!v.is_number()) return type_error(error, name, "a number", v);
    const double x = v.get<double>();
    if (!(x >= lo && x <= hi)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "'%s' must be between %g and %g (got %g)", name, lo, hi, x);
      return value_error(error, name, buf);
    }
    out = x;
    return true;
  }
  bool boolean(const char* name, bool& out) {
    if (!has(name)) return true;
    if (!obj[name].is_boolean()) return type_error(error, name, "a boolean", obj[name]);
    out = obj[name].get<bool>();
    return true;
  }
  bool one_of(const char* name, std::string& out, std::initializer_list<const char*> allowed) {
    if (!str(name, out)) return false;
    if (!has(name)) return true;
    std::string list;
    for (const char* a : allowed) {
      if (out == a) return true;
      list += list.empty() ? "" : ", ";
      list += std::string("'") + a + "'";
    }
    return value_error(error, name, "Invalid value for '" + std::string(name) + "': '" + out + "'. Supported values are: " + list + ".");
  }
};

const std::set<std::string> kCommonFields = {
    "model", "prompt", "n", "size", "quality", "background", "output_format", "output_compression", "moderation",
    "user", "stream", "partial_images", "response_format", "seed", "steps", "negative_prompt", "guidance", "provider"};
const std::set<std::string> kEditFields = {"image", "image[]", "images", "mask", "strength", "input_fidelity"};

bool parse_size(const std::string& s, int& w, int& h, const ParseLimits& limits, ApiError& error) {
  if (s == "auto") {
    w = h = 0;
    return true;
  }
  const auto x = s.find('x');
  auto digits = [](const std::string& t) {
    return !t.empty() && t.size() <= 5 && std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit((unsigned char)c); });
  };
  if (x == std::string::npos || !digits(s.substr(0, x)) || !digits(s.substr(x + 1)))
    return value_error(error, "size", "Invalid value for 'size': '" + s + "'. Use 'auto' or WIDTHxHEIGHT, e.g. '1024x1024'.");
  w = std::stoi(s.substr(0, x));
  h = std::stoi(s.substr(x + 1));
  if (w < 16 || h < 16 || w > 4096 || h > 4096)
    return value_error(error, "size", "'size' must be between 16x16 and 4096x4096 (got " + s + ")");
  if (int64_t(w) * h > limits.max_output_pixels)
    return value_error(error, "size", "'size' " + s + " is over this server's limit of " +
                                          std::to_string(limits.max_output_pixels) + " pixels per image");
  return true;
}

// Decodes to check the upload is an image within the pixel cap; keeps the original bytes.
bool check_upload(std::string bytes, const std::string& param, const ParseLimits& limits, UploadedImage& out,
                  ApiError& error) {
  auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  auto format = codecs::sniff_format(span);
  if (!format.is_ok()) return value_error(error, param, "'" + param + "': " + format.status().message());
  auto img = codecs::decode_image(span, codecs::DecodeLimits{limits.max_input_pixels}, /*keep_alpha=*/true);
  if (!img.is_ok()) return value_error(error, param, "'" + param + "': " + img.status().message());
  out.bytes = std::move(bytes);
  out.content_type = codecs::mime_type(*format);
  out.width = img->width;
  out.height = img->height;
  out.has_alpha = img->channels == 4;
  return true;
}

// A JSON image reference: data URL, bare base64, or {"image_url": ...}.
bool json_image(const json& v, const std::string& param, const ParseLimits& limits, UploadedImage& out, ApiError& error) {
  const json* s = &v;
  if (v.is_object()) {
    if (v.contains("image_url") && v["image_url"].is_string()) s = &v["image_url"];
    else if (v.contains("file_id")) return value_error(error, param, "'" + param + "': file_id references are not supported; send the image as a data URL");
    else return type_error(error, param, "a data URL or {\"image_url\": DATA_URL}", v);
  }
  if (!s->is_string()) return type_error(error, param, "a data URL string", *s);
  const std::string text = s->get<std::string>();
  // A media URL of this server (its own origin, or a bare /v1/media/ID path) is read from the store.
  std::string media_path;
  if (text.rfind("/v1/media/", 0) == 0) media_path = text;
  else if (!limits.self_base_url.empty() && text.rfind(limits.self_base_url + "/v1/media/", 0) == 0)
    media_path = text.substr(limits.self_base_url.size());
  if (!media_path.empty()) {
    const std::string id = media_path.substr(std::string("/v1/media/").size());
    if (!limits.media_bytes) return value_error(error, param, "'" + param + "': media URLs are not accepted here");
    auto bytes = limits.media_bytes(id);
    if (!bytes.is_ok()) return value_error(error, param, "'" + param + "': " + bytes.status().message());
    return check_upload(std::move(*bytes), param, limits, out, error);
  }
  if (text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0) {
    if (!limits.fetch_url)
      return value_error(error, param, "'" + param + "': this server does not fetch image URLs (see --fetch-allow); send a data URL");
    auto bytes = limits.fetch_url(text);
    if (!bytes.is_ok()) return value_error(error, param, "'" + param + "': " + bytes.status().message());
    return check_upload(std::move(*bytes), param, limits, out, error);
  }
  auto bytes = text.rfind("data:", 0) == 0 ? codecs::decode_data_url(text) : codecs::base64_decode(text);
  if (!bytes.is_ok()) return value_error(error, param, "'" + param + "': " + bytes.status().message());
  return check_upload(std::string(bytes->begin(), bytes->end()), param, limits, out, error);
}

bool check_mask(ParsedImageRequest& out, ApiError& error) {
  if (!out.mask) return true;
  if (out.images.empty()) return value_error(error, "mask", "'mask' needs an input image");
  if (out.mask->width != out.images[0].width || out.mask->height != out.images[0].height)
    return value_error(error, "mask", "'mask' is " + std::to_string(out.mask->width) + "x" + std::to_string(out.mask->height) +
                                          " but the first image is " + std::to_string(out.images[0].width) + "x" +
                                          std::to_string(out.images[0].height) + "; they must match");
  if (!out.mask->has_alpha)
    return value_error(error, "mask", "'mask' must be a PNG with an alpha channel (fully transparent pixels mark the area to change)");
  return true;
}

bool parse_options(const json& body, RequestKind kind, const ParseLimits& limits, ParsedImageRequest& out, ApiError& error) {
  if (!body.is_object()) return type_error(error, "body", "a JSON object", body);
  for (auto& [name, value] : body.items()) {
    if (kCommonFields.count(name) || (kind == RequestKind::kEdit && kEditFields.count(name))) continue;
    if (name == "style")
      return value_error(error, name, "'style' is only supported by dall-e-3; pictor models take the style from the prompt");
    return value_error(error, name, "Unrecognized request argument supplied: " + name);
  }
  Fields f{body, error};
  jobs::JobInput& in = out.input;
  in.model = limits.default_model;
  if (!f.str("model", in.model)) return false;
  if (limits.model_exists && !limits.model_exists(in.model)) {
    error = ApiError{404, "The model '" + in.model + "' does not exist or is not served here (see GET /v1/models)",
                     "invalid_request_error", "model", "model_not_found"};
    return false;
  }
  if (!f.has("prompt")) return value_error(error, "prompt", "Missing required parameter: 'prompt'.");
  if (!f.str("prompt", in.prompt)) return false;
  if (in.prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    return value_error(error, "prompt", "'prompt' is empty");
  if (in.prompt.size() > limits.max_prompt_chars)
    return value_error(error, "prompt", "'prompt' is " + std::to_string(in.prompt.size()) + " characters; the maximum is " +
                                            std::to_string(limits.max_prompt_chars));
  if (!f.integer("n", in.n, 1, 10)) return false;
  std::string size = "auto";
  if (!f.str("size", size) || !parse_size(size, in.width, in.height, limits, error)) return false;
  std::string quality = "auto";
  if (!f.one_of("quality", quality, {"low", "medium", "high", "auto"})) return false;
  in.quality = quality == "auto" ? "medium" : quality;
  if (!f.one_of("background", in.background, {"auto", "opaque", "transparent"})) return false;
  if (in.background == "transparent")
    return value_error(error, "background", "background 'transparent' is not supported: pictor models draw opaque images");
  if (!f.one_of("output_format", in.output_format, {"png", "jpeg", "webp"})) return false;
  if (!f.integer("output_compression", in.output_compression, 0, 100)) return false;
  std::string moderation = "auto";
  if (!f.one_of("moderation", moderation, {"auto", "low"})) return false;
  if (!f.str("user", in.user)) return false;
  if (!f.boolean("stream", out.stream)) return false;
  if (!f.integer("partial_images", in.partial_images, 0, 3)) return false;
  if (!f.one_of("response_format", out.response_format, {"b64_json", "url"})) return false;
  if (f.has("seed")) {
    int64_t seed = 0;
    if (!f.integer("seed", seed, 0, INT64_MAX)) return false;
    in.seed = uint64_t(seed);
  }
  if (!f.integer("steps", in.steps, 1, 200)) return false;
  if (!f.str("negative_prompt", in.negative_prompt)) return false;
  if (!f.number("guidance", in.guidance, 0, 30)) return false;
  if (!f.str("provider", in.provider)) return false;
  if (!in.provider.empty() && limits.provider_offers && !limits.provider_offers(in.model, in.provider))
    return value_error(error, "provider", "the provider '" + in.provider + "' does not offer the model '" + in.model +
                                              "' here (see GET /v1/models/" + in.model + ")");
  if (kind == RequestKind::kEdit) {
    if (!f.number("strength", in.strength, 0.01, 1.0)) return false;
    std::string fidelity = "low";
    if (!f.one_of("input_fidelity", fidelity, {"low", "high"})) return false;
  }
  return true;
}

}  // namespace

bool parse_json_body(const httplib::Request& req, json& out, ApiError& error) {
  if (req.body.empty()) {
    error = bad_request("The request body is empty; send a JSON object", "body", "invalid_json");
    return false;
  }
  try {
    out = json::parse(req.body);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for numbers past a double (1e400): both the client's.
    error = bad_request(std::string("The request body is not valid JSON: ") + e.what(), "body", "invalid_json");
    return false;
  }
  return true;
}

bool parse_wait_value(const json& v, int& seconds, ApiError& error, const std::string& param) {
  if (v.is_string()) {
    if (v.get<std::string>() == "auto") {
      seconds = 60;
      return true;
    }
    return value_error(error, param, "'" + param + "' must be \"auto\" or an integer from 0 to 60");
  }
  if (!v.is_number_integer() && !v.is_number_unsigned()) return type_error(error, param, "\"auto\" or an integer", v);
  const int64_t x = v.get<int64_t>();
  if (x < 0 || x > 60) return value_error(error, param, "'" + param + "' must be between 0 and 60 (got " + std::to_string(x) + ")");
  seconds = int(x);
  return true;
}

bool parse_images_json(const json& body, RequestKind kind, const ParseLimits& limits, ParsedImageRequest& out,
                       ApiError& error) {
  if (!parse_options(body, kind, limits, out, error)) return false;
  if (kind == RequestKind::kGeneration) return true;
  const char* key = body.contains("images") ? "images" : body.contains("image") ? "image" : nullptr;
  if (!key) return value_error(error, "images", "Missing required parameter: 'images' (or 'image').");
  const json& imgs = body[key];
  std::vector<const json*> items;
  if (imgs.is_array()) {
    for (const auto& v : imgs) items.push_back(&v);
  } else {
    items.push_back(&imgs);
  }
  if (items.empty()) return value_error(error, key, "'" + std::string(key) + "' is empty");
  if (int(items.size()) > limits.max_input_images)
    return value_error(error, key, "at most " + std::to_string(limits.max_input_images) + " input images are accepted (got " +
                                       std::to_string(items.size()) + ")");
  for (size_t i = 0; i < items.size(); ++i) {
    UploadedImage up;
    if (!json_image(*items[i], std::string(key) + "[" + std::to_string(i) + "]", limits, up, error)) return false;
    out.images.push_back(std::move(up));
  }
  if (body.contains("mask") && !body["mask"].is_null()) {
    UploadedImage m;
    if (!json_image(body["mask"], "mask", limits, m, error)) return false;
    out.mask = std::move(m);
  }
  return check_mask(out, error);
}

bool parse_images_multipart(const std::multimap<std::string, httplib::MultipartFormData>& parts,
                            const ParseLimits& limits, ParsedImageRequest& out, ApiError& error) {
  static const std::set<std::string> kIntFields = {"n", "output_compression", "partial_images", "seed", "steps"};
  static const std::set<std::string> kNumberFields = {"guidance", "strength"};
  json body = json::object();
  std::vector<const httplib::MultipartFormData*> images;
  const httplib::MultipartFormData* mask = nullptr;
  for (const auto& [name, part] : parts) {
    if (name == "image" || name == "image[]" || name == "images" || name == "images[]") {
      images.push_back(&part);
      continue;
    }
    if (name == "mask") {
      mask = &part;
      continue;
    }
    const std::string& v = part.content;
    // Text parts reach the job's JSON (prompt, user, ...): JSON holds only valid UTF-8.
    if (!is_valid_utf8(name)) return value_error(error, "body", "a multipart part's name is not valid UTF-8");
    if (!is_valid_utf8(v)) return value_error(error, name, "'" + name + "' is not valid UTF-8");
    if (kIntFields.count(name)) {
      const bool digits = !v.empty() && v.size() <= 19 && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); });
      if (!digits) return type_error(error, name, "an integer", json(v));
      // 19 digits can still pass INT64_MAX (std::stoll would throw): parse_options says too large.
      uint64_t x = 0;
      std::from_chars(v.data(), v.data() + v.size(), x);
      body[name] = x;
    } else if (kNumberFields.count(name)) {
      try {
        size_t used = 0;
        const double d = std::stod(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        body[name] = d;
      } catch (const std::exception&) {
        return type_error(error, name, "a number", json(v));
      }
    } else if (name == "stream") {
      if (v != "true" && v != "false") return type_error(error, name, "a boolean", json(v));
      body[name] = v == "true";
    } else {
      body[name] = v;
    }
  }
  if (!parse_options(body, RequestKind::kEdit, limits, out, error)) return false;
  if (images.empty()) return value_error(error, "image", "Missing required parameter: 'image' (a file part, or repeated 'image[]').");
  if (int(images.size()) > limits.max_input_images)
    return value_error(error, "image", "at most " + std::to_string(limits.max_input_images) + " input images are accepted (got " +
                                           std::to_string(images.size()) + ")");
  for (size_t i = 0; i < images.size(); ++i) {
    UploadedImage up;
    const std::string param = images.size() == 1 ? "image" : "image[" + std::to_string(i) + "]";
    if (!check_upload(images[i]->content, param, limits, up, error)) return false;
    out.images.push_back(std::move(up));
  }
  if (mask) {
    UploadedImage m;
    if (!check_upload(mask->content, "mask", limits, m, error)) return false;
    out.mask = std::move(m);
  }
  return check_mask(out, error);
}

// "W:H" → the size the model supports (its catalog sizes) whose aspect is nearest, by |log ratio|.
bool size_for_aspect_ratio(const json& v, const std::string& model, const ParseLimits& limits, std::string& size,
                           ApiError& error) {
  const std::string param = "input.aspect_ratio";
  if (!v.is_string()) return type_error(error, param, "a string \"W:H\"", v);
  const std::string text = v.get<std::string>();
  const auto colon = text.find(':');
  auto number = [](const std::string& t) {
    return !t.empty() && t.size() <= 5 && std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit((unsigned char)c); });
  };
  if (colon == std::string::npos || !number(text.substr(0, colon)) || !number(text.substr(colon + 1)) ||
      std::stoi(text.substr(0, colon)) == 0 || std::stoi(text.substr(colon + 1)) == 0)
    return value_error(error, param, "'aspect_ratio' must be \"W:H\" with positive integers, e.g. \"16:9\" (got \"" + text + "\")");
  const double want = std::log(double(std::stoi(text.substr(0, colon))) / double(std::stoi(text.substr(colon + 1))));
  double best = 1e9;
  for (const auto& s : limits.model_sizes ? limits.model_sizes(model) : std::vector<std::string>{}) {
    const auto x = s.find('x');
    if (x == std::string::npos || !number(s.substr(0, x)) || !number(s.substr(x + 1))) continue;
    const double w = std::stoi(s.substr(0, x)), h = std::stoi(s.substr(x + 1));
    if (w <= 0 || h <= 0) continue;
    const double d = std::abs(std::log(w / h) - want);
    if (d < best - 1e-9) {
      best = d;
      size = s;
    }
  }
  if (size.empty())
    return value_error(error, param, "the model '" + model + "' lists no sizes to match an aspect ratio to; give 'size'");
  return true;
}

// {"url": "https://…", "events"?: [...]}: checked against the operator's allow-list now, so a
// job never waits a day to fail on a URL this server will not call.
bool parse_webhook(const json& v, const ParseLimits& limits, std::optional<jobs::WebhookSpec>& out, ApiError& error) {
  if (v.is_null()) return true;
  if (!v.is_object()) return type_error(error, "webhook", "an object {\"url\", \"events\"}", v);
  for (auto& [name, value] : v.items())
    if (name != "url" && name != "events") {
      value_error(error, "webhook." + name, "Unrecognized webhook argument supplied: " + name + " (webhook takes url and events)");
      error.code = "invalid_input";
      return false;
    }
  if (!v.contains("url")) return value_error(error, "webhook.url", "Missing required parameter: 'webhook.url'.");
  if (!v["url"].is_string()) return type_error(error, "webhook.url", "a string", v["url"]);
  jobs::WebhookSpec spec;
  spec.url = v["url"].get<std::string>();
  if (!limits.webhook_url_allowed)
    return value_error(error, "webhook.url", "this server sends no webhooks (the operator enables hosts with pictor serve --webhook-allow); "
                                             "poll GET /v1/generations/{id}?wait=60 or stream its /events");
  if (spec.url.size() > 2048) return value_error(error, "webhook.url", "the webhook URL is longer than 2048 characters");
  if (Status st = limits.webhook_url_allowed(spec.url); !st.is_ok())
    return value_error(error, "webhook.url", "the webhook URL is refused: " + st.message());
  spec.events = jobs::kWebhookEvents;
  if (v.contains("events") && !v["events"].is_null()) {
    const json& ev = v["events"];
    if (!ev.is_array() || ev.empty()) return type_error(error, "webhook.events", "a non-empty array of event names", ev);
    spec.events.clear();
    for (const auto& e : ev) {
      const std::string name = e.is_string() ? e.get<std::string>() : "";
      if (std::find(jobs::kWebhookEvents.begin(), jobs::kWebhookEvents.end(), name) == jobs::kWebhookEvents.end())
        return value_error(error, "webhook.events", "unknown webhook event " + e.dump() +
                                                        "; the events are generation.completed, generation.failed, generation.canceled");
      if (std::find(spec.events.begin(), spec.events.end(), name) == spec.events.end()) spec.events.push_back(name);
    }
  }
  spec.base_url = limits.self_base_url;
  out = std::move(spec);
  return true;
}

bool parse_gateway_json(const json& body, const std::string& prefer, const ParseLimits& limits, GatewayRequest& out,
                        ApiError& error) {
  if (!body.is_object()) return type_error(error, "body", "a JSON object", body);
  for (auto& [name, value] : body.items()) {
    if (name == "model" || name == "input" || name == "wait" || name == "provider" || name == "webhook") continue;
    return value_error(error, name, "Unrecognized request argument supplied: " + name);
  }
  if (!body.contains("input")) return value_error(error, "input", "Missing required parameter: 'input'.");
  if (!body["input"].is_object()) return type_error(error, "input", "an object", body["input"]);
  json input = body["input"];
  if (body.contains("model")) {
    if (input.contains("model")) return value_error(error, "model", "give 'model' at the top level or in 'input', not both");
    input["model"] = body["model"];
  }
  if (body.contains("provider")) {
    if (input.contains("provider")) return value_error(error, "provider", "give 'provider' at the top level or in 'input', not both");
    input["provider"] = body["provider"];
  }
  const bool edit = input.contains("images") || input.contains("image");
  if (!edit && input.contains("mask")) return value_error(error, "input.mask", "'mask' needs 'images'");
  std::optional<json> aspect_ratio;
  if (input.contains("aspect_ratio")) {
    aspect_ratio = input["aspect_ratio"];
    input.erase("aspect_ratio");
    if (input.contains("size")) return value_error(error, "input.aspect_ratio", "give 'size' or 'aspect_ratio', not both");
  }
  if (!parse_images_json(input, edit ? RequestKind::kEdit : RequestKind::kGeneration, limits, out.parsed, error)) {
    if (!error.param.empty() && error.param != "model" && !(error.param == "provider" && body.contains("provider")))
      error.param = "input." + error.param;
    if (error.message.rfind("Unrecognized request argument", 0) == 0) error.code = "invalid_input";
    return false;
  }
  if (aspect_ratio) {
    std::string size;
    if (!size_for_aspect_ratio(*aspect_ratio, out.parsed.input.model, limits, size, error)) return false;
    if (!parse_size(size, out.parsed.input.width, out.parsed.input.height, limits, error)) {
      error.param = "input.aspect_ratio";
      return false;
    }
  }
  if (out.parsed.stream) return value_error(error, "input.stream", "'stream' is for /v1/images/*; follow a job with GET /v1/generations/{id}/events");
  if (body.contains("webhook") && !parse_webhook(body["webhook"], limits, out.parsed.input.webhook, error)) return false;
  if (body.contains("wait") && !body["wait"].is_null()) {
    int s = 0;
    if (!parse_wait_value(body["wait"], s, error, "wait")) return false;
    out.wait_seconds = s;
  } else if (!prefer.empty()) {
    // Prefer: wait=N (RFC 7240); other preferences are ignored.
    const auto pos = prefer.find("wait=");
    if (pos != std::string::npos) {
      std::string v = prefer.substr(pos + 5);
      v = v.substr(0, v.find_first_of(",; "));
      json jv;
      if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); }) && v.size() < 6)
        jv = std::stoi(v);
      else
        jv = v;
      int s = 0;
      if (!parse_wait_value(jv, s, error, "Prefer")) return false;
      out.wait_seconds = s;
    }
  }
  return true;
}

bool parse_json_image(const json& v, const std::string& param, const ParseLimits& limits, UploadedImage& out,
                      ApiError& error) {
  return json_image(v, param, limits, out, error);
}

}  // namespace pictor::server
