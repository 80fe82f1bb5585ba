#include "gateway/upstream_client.h"

#include <httplib.h>

#include <chrono>
#include <map>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "codecs/codecs.h"
#include "gateway/sse_reader.h"

namespace pictor::gateway {

using nlohmann::json;

namespace {

struct Endpoint {
  std::string origin;  // "http://127.0.0.1:8080"
  std::string prefix;  // "/v1"
};

Endpoint split_base_url(const std::string& base) {
  const size_t scheme = base.find("://");
  const size_t slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return {base, ""};
  return {base.substr(0, slash), base.substr(slash)};
}

bool extras_allowed(ProviderKind k) { return k == ProviderKind::kPictor; }

// Idle keep-alive connections per origin, so that back-to-back calls to one upstream skip the
// TCP (and TLS) handshake. A connection goes back only after a complete, uncancelled answer, and
// is reused only within kMaxIdle: servers close idle connections after a few seconds (pictor
// after 5), and a request written into a connection the server is closing would fail.
class IdleConnections {
 public:
  std::unique_ptr<httplib::Client> take(const std::string& origin) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& idle = idle_[origin];
    const auto now = std::chrono::steady_clock::now();
    while (!idle.empty()) {
      Idle one = std::move(idle.back());
      idle.pop_back();
      if (now - one.since < kMaxIdle) return std::move(one.client);
    }
    return nullptr;
  }
  void give_back(const std::string& origin, std::unique_ptr<httplib::Client> client) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& idle = idle_[origin];
    if (idle.size() < kMaxPerOrigin) idle.push_back({std::move(client), std::chrono::steady_clock::now()});
  }

 private:
  static constexpr auto kMaxIdle = std::chrono::seconds(2);
  static constexpr size_t kMaxPerOrigin = 32;
  struct Idle {
    std::unique_ptr<httplib::Client> client;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex mutex_;
  std::map<std::string, std::vector<Idle>> idle_;
};

IdleConnections& idle_connections() {
  static IdleConnections pool;
  return pool;
}

// The fields every kind shares, as strings (multipart) — JSON adds types.
std::vector<std::pair<std::string, std::string>> form_fields(ProviderKind kind, const UpstreamRequest& r) {
  std::vector<std::pair<std::string, std::string>> f = {{"model", r.model}, {"prompt", r.prompt}, {"n", std::to_string(r.n)},
                                                        {"size", r.size},   {"quality", r.quality}, {"output_format", r.output_format},
                                                        {"background", r.background}};
  if (r.output_format != "png") f.push_back({"output_compression", std::to_string(r.output_compression)});
  if (!r.user.empty()) f.push_back({"user", r.user});
  if (kind == ProviderKind::kOpenAICompatible) f.push_back({"response_format", "b64_json"});
  if (r.partial_images > 0) {
    f.push_back({"stream", "true"});
    f.push_back({"partial_images", std::to_string(r.partial_images)});
  }
  if (extras_allowed(kind)) {
    if (r.seed) f.push_back({"seed", std::to_string(*r.seed)});
    if (r.steps > 0) f.push_back({"steps", std::to_string(r.steps)});
    if (!r.negative_prompt.empty()) f.push_back({"negative_prompt", r.negative_prompt});
    if (r.guidance >= 0) f.push_back({"guidance", std::to_string(r.guidance)});
    if (r.strength >= 0) f.push_back({"strength", std::to_string(r.strength)});
  }
  return f;
}

std::string random_boundary() {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string b = "----pictor-";
  for (int i = 0; i < 24; ++i) b += kChars[rd() % 36];
  return b;
}

std::string extension_for(const std::string& content_type) {
  if (content_type == "image/jpeg") return "jpg";
  if (content_type == "image/webp") return "webp";
  return "png";
}

std::string multipart_body(ProviderKind kind, const UpstreamRequest& r, const std::string& boundary) {
  std::string body;
  auto part = [&](const std::string& name, const std::string& value, const std::string& filename = "",
                  const std::string& type = "") {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
    if (!filename.empty()) body += "; filename=\"" + filename + "\"";
    body += "\r\n";
    if (!type.empty()) body += "Content-Type: " + type + "\r\n";
    body += "\r\n" + value + "\r\n";
  };
  for (const auto& [k, v] : form_fields(kind, r)) part(k, v);
  const std::string image_name = r.images.size() > 1 ? "image[]" : "image";
  for (size_t i = 0; i < r.images.size(); ++i)
    part(image_name, r.images[i].bytes, "image" + std::to_string(i) + "." + extension_for(r.images[i].content_type),
         r.images[i].content_type);
  if (r.mask) part("mask", r.mask->bytes, "mask." + extension_for(r.mask->content_type), r.mask->content_type);
  body += "--" + boundary + "--\r\n";
  return body;
}

double parse_retry_after(const std::string& v) {
  if (v.empty()) return -1;
  char* end = nullptr;
  const double s = std::strtod(v.c_str(), &end);
  return end && *end == '\0' && s >= 0 ? s : -1;  // HTTP-dates are not honoured (rare for APIs)
}

std::string upstream_message(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const json& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"];
    if (e.is_string()) return e;
  }
  return body.substr(0, 200);
}

Status decode_b64_into(const json& item, std::vector<std::string>& out) {
  if (!item.is_object() || !item.contains("b64_json") || !item["b64_json"].is_string())
    return corrupt_data("the upstream's answer has no b64_json image");
  auto bytes = codecs::base64_decode(item["b64_json"].get<std::string>());
  if (!bytes.is_ok()) return corrupt_data("the upstream's b64_json does not decode: " + bytes.status().message());
  out.emplace_back(bytes->begin(), bytes->end());
  return Status::ok();
}

void read_about(const json& j, UpstreamResult& r) {
  if (j.contains("usage") && j["usage"].is_object()) {
    r.usage = j["usage"];
    if (r.usage.contains("cost_usd") && r.usage["cost_usd"].is_number()) r.reported_cost_usd = r.usage["cost_usd"];
  }
  auto str = [&](const char* k, std::string& out) {
    if (j.contains(k) && j[k].is_string()) out = j[k];
  };
  str("size", r.size);
  str("quality", r.quality);
  str("output_format", r.output_format);
  str("background", r.background);
  if (j.contains("seed") && j["seed"].is_number_unsigned()) r.seed = j["seed"].get<uint64_t>();
  if (j.contains("warnings") && j["warnings"].is_array()) r.warnings = j["warnings"];
}

// Closes the client's connection when the job is cancelled (the request blocks in this thread).
class CancelWatch {
 public:
  CancelWatch(httplib::Client& client, const std::atomic<bool>* cancel) : client_(client), cancel_(cancel) {
    if (cancel_) thread_ = std::thread([this] { watch(); });
  }
  ~CancelWatch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!done_) {
      if (cancel_->load()) {
        client_.stop();
        return;
      }
      cv_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }
  httplib::Client& client_;
  const std::atomic<bool>* cancel_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

json generation_body(ProviderKind kind, const UpstreamRequest& r) {
  json j = {{"model", r.model}, {"prompt", r.prompt}, {"n", r.n}, {"size", r.size}, {"quality", r.quality},
            {"output_format", r.output_format}, {"background", r.background}};
  if (r.output_format != "png") j["output_compression"] = r.output_compression;
  if (!r.user.empty()) j["user"] = r.user;
  if (kind == ProviderKind::kOpenAICompatible) j["response_format"] = "b64_json";
  if (r.partial_images > 0) {
    j["stream"] = true;
    j["partial_images"] = r.partial_images;
  }
  if (extras_allowed(kind)) {
    if (r.seed) j["seed"] = *r.seed;
    if (r.steps > 0) j["steps"] = r.steps;
    if (!r.negative_prompt.empty()) j["negative_prompt"] = r.negative_prompt;
    if (r.guidance >= 0) j["guidance"] = r.guidance;
  }
  return j;
}

Result<UpstreamResult> call_upstream(const ProviderConfig& provider, const UpstreamRequest& request,
                                     const UpstreamCallbacks& callbacks, const std::atomic<bool>* cancel,
                                     UpstreamFailure& failure) {
  failure = UpstreamFailure{};
  const auto t0 = std::chrono::steady_clock::now();
  const Endpoint ep = split_base_url(provider.base_url);
  std::unique_ptr<httplib::Client> pooled = idle_connections().take(ep.origin);
  if (!pooled) pooled = std::make_unique<httplib::Client>(ep.origin);
  httplib::Client& client = *pooled;
  if (!client.is_valid()) return invalid_argument("provider " + provider.name + ": cannot use base_url " + provider.base_url);
  const auto timeout = std::chrono::milliseconds(int64_t(provider.timeout_s * 1000));
  client.set_connection_timeout(std::min<std::chrono::milliseconds>(timeout, std::chrono::seconds(10)));
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);  // headers and body go in two writes: without it the body waits for a delayed ACK (~40 ms)

  const bool edit = !request.images.empty();
  const bool stream = request.partial_images > 0;
  httplib::Request req;
  req.method = "POST";
  req.path = ep.prefix + (edit ? "/images/edits" : "/images/generations");
  if (!provider.api_key.empty()) req.headers.emplace("Authorization", "Bearer " + provider.api_key);
  req.headers.emplace("Accept", stream ? "text/event-stream" : "application/json");
  if (edit) {
    const std::string boundary = random_boundary();
    req.body = multipart_body(provider.kind, request, boundary);
    req.headers.emplace("Content-Type", "multipart/form-data; boundary=" + boundary);
  } else {
    req.body = generation_body(provider.kind, request).dump();
    req.headers.emplace("Content-Type", "application/json");
  }

  UpstreamResult result;
  int status = 0;
  std::string content_type, retry_after, body;
  const std::string prefix = edit ? "image_edit" : "image_generation";
  Status stream_error = Status::ok();
  SseReader sse([&](const std::string& event, const std::string& data) {
    json j = json::parse(data, nullptr, false);
    if (j.is_discarded()) return true;  // not ours to judge: keep reading
    if (event == prefix + ".partial_image") {
      std::vector<std::string> one;
      if (decode_b64_into(j, one).is_ok() && callbacks.on_partial) callbacks.on_partial(one[0]);
    } else if (event == prefix + ".completed") {
      Status st = decode_b64_into(j, result.images);
      if (!st.is_ok()) {
        stream_error = st;
        return false;
      }
      read_about(j, result);
    } else if (event == "error") {
      stream_error = unavailable("provider " + provider.name + " reported an error mid-stream: " + upstream_message(data));
      return false;
    }
    return true;
  });
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    content_type = r.get_header_value("Content-Type");
    retry_after = r.get_header_value("Retry-After");
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (cancel && cancel->load()) return false;
    if (status == 200 && content_type.rfind("text/event-stream", 0) == 0) return sse.feed(data, n);
    body.append(data, n);
    return true;
  };

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool sent;
  {
    CancelWatch watch(client, cancel);
    sent = client.send(req, res, err);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (cancel && cancel->load()) return cancelled("canceled by request");
  // A whole answer that the server did not end with Connection: close leaves a reusable connection.
  if (sent && res.get_header_value("Connection") != "close") idle_connections().give_back(ep.origin, std::move(pooled));
  const std::string who = "provider " + provider.name;
  const bool streamed = status == 200 && content_type.rfind("text/event-stream", 0) == 0;
  if (streamed) {
    if (int(result.images.size()) >= request.n && stream_error.is_ok()) return result;
    failure.produced_image = !result.images.empty();
    failure.retryable = !failure.produced_image;
    failure.failover = !failure.produced_image;
    if (!stream_error.is_ok()) return stream_error;
    return unavailable(who + ": the stream ended after " + std::to_string(result.images.size()) + " of " +
                       std::to_string(request.n) + " images" + (sent ? "" : " (" + httplib::to_string(err) + ")"));
  }
  if (!sent && status == 0) {
    failure.retryable = failure.failover = true;
    return unavailable(who + " did not answer: " + httplib::to_string(err));
  }
  if (!sent) {  // an answer began but the connection broke
    failure.http_status = status;
    failure.retryable = failure.failover = true;
    return unavailable(who + ": the answer was cut off (" + httplib::to_string(err) + ")");
  }
  failure.http_status = status;
  if (status != 200) {
    failure.retry_after_s = parse_retry_after(retry_after);
    const std::string msg = who + " answered HTTP " + std::to_string(status) + ": " + upstream_message(body);
    if (status == 408 || status == 429 || status >= 500) {
      failure.retryable = failure.failover = true;
      return unavailable(msg);
    }
    if (status == 401 || status == 403) {
      failure.failover = true;  // this provider's key, not the request: another provider may serve it
      return unavailable(msg);
    }
    return invalid_argument(msg);
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array()) {
    failure.retryable = failure.failover = true;
    return unavailable(who + " answered 200 without a JSON images body");
  }
  for (const auto& item : j["data"]) {
    Status st = decode_b64_into(item, result.images);
    if (!st.is_ok()) {
      failure.failover = true;
      return Status(st.code(), who + ": " + st.message());
    }
  }
  if (result.images.empty()) {
    failure.failover = true;
    return unavailable(who + " answered 200 with no images");
  }
  read_about(j, result);
  return result;
}

}  // namespace pictor::gateway
