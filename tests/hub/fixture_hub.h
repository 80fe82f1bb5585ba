#pragma once
// A stand-in for the Hugging Face hub on an ephemeral loopback port, inside the test process:
// GET/HEAD {repo}/resolve/main/{path} as the hub answers them. Weight files (*.safetensors, "LFS"
// files) are redirected to /cdn/{repo}/{path} with their SHA-256 and size in X-Linked-ETag /
// X-Linked-Size on the redirect, as the hub does; unet/ weights first take an extra relative hop
// through /{repo}/resolve/0123abcd/{path}. Small files are answered directly with a git-style
// SHA-1 ETag. Range requests are answered with 206 (httplib slices the body). Every request is
// recorded, and each misbehaviour a test needs can be switched on.
#include <httplib.h>
#include <openssl/sha.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace pictor::test {

struct HubRequest {
  std::string method, path, range;
};

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Independent of the code under test: OpenSSL's one-shot SHA256.
inline std::string sha256_hex(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : md) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

class FixtureHub {
 public:
  FixtureHub() {
    svr_.Get(R"(/([^/]+/[^/]+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      resolve(req.matches[1], req.matches[2], req.matches[3], res);
    });
    svr_.Get(R"(/cdn/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      cdn(req.matches[1], res);
    });
    svr_.Get(R"(/loop/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 302;
      res.set_header("Location", "/loop/" + std::to_string(std::stoi(req.matches[1]) + 1));
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");  // listening from here on: requests queue until the thread accepts
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost and join() would wait forever.
    while (!svr_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FixtureHub() {
    svr_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // Serves `local_file` as {repo}/{remote}.
  void add_file(const std::string& repo, const std::string& remote, const std::filesystem::path& local_file) {
    std::lock_guard<std::mutex> lock(mu_);
    files_[repo + "/" + remote] = read_bytes(local_file);
  }
  // Every file under `folder`, under its relative path.
  void add_folder(const std::string& repo, const std::filesystem::path& folder) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(folder))
      if (e.is_regular_file()) add_file(repo, std::filesystem::relative(e.path(), folder).string(), e.path());
  }

  std::vector<HubRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }

  // Misbehaviours, keyed by "{repo}/{remote}".
  void set_wrong_sha(const std::string& key) { std::lock_guard<std::mutex> l(mu_); wrong_sha_.insert(key); }
  void set_wrong_size(const std::string& key) { std::lock_guard<std::mutex> l(mu_); wrong_size_.insert(key); }
  void set_missing(const std::string& key) { std::lock_guard<std::mutex> l(mu_); missing_.insert(key); }
  // The CDN answers with the whole file (200, chunked) whatever the Range asks.
  void set_ignore_range(bool on) { std::lock_guard<std::mutex> l(mu_); ignore_range_ = on; }
  // The CDN drops the connection after sending `bytes` of this file (0: never).
  void set_break_after(const std::string& key, size_t bytes) { std::lock_guard<std::mutex> l(mu_); break_after_[key] = bytes; }

  static std::string wrong_sha() { return std::string(64, 'e'); }

 private:
  static bool is_lfs(const std::string& path) { return path.ends_with(".safetensors"); }

  void record(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back({req.method, req.path, req.get_header_value("Range")});
  }

  void resolve(const std::string& repo, const std::string& rev, const std::string& path, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string key = repo + "/" + path;
    auto it = files_.find(key);
    if (it == files_.end() || missing_.count(key)) {
      res.status = 404;
      res.set_header("X-Error-Code", "EntryNotFound");
      res.set_header("X-Error-Message", "Entry not found");
      res.set_content("Entry not found", "text/plain");
      return;
    }
    if (!is_lfs(path)) {
      res.set_header("ETag", "\"0123456789abcdef0123456789abcdef01234567\"");  // a git blob SHA-1
      res.set_content(it->second, "application/octet-stream");
      return;
    }
    if (rev == "main" && path.starts_with("unet/")) {  // an extra hop, by a relative Location
      res.status = 307;
      res.set_header("Location", "/" + repo + "/resolve/0123abcd/" + path);
      return;
    }
    const std::string sha = wrong_sha_.count(key) ? wrong_sha() : sha256_hex(it->second);
    const size_t size = it->second.size() + (wrong_size_.count(key) ? 1 : 0);
    res.status = 302;
    res.set_header("Location", url() + "/cdn/" + key);  // absolute, as to the hub's CDN host
    res.set_header("X-Linked-ETag", "\"" + sha + "\"");
    res.set_header("X-Linked-Size", std::to_string(size));
    res.set_header("ETag", "\"" + sha + "\"");
  }

  void cdn(const std::string& key, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(key);
    if (it == files_.end()) {
      res.status = 404;
      return;
    }
    const std::string* body = &it->second;
    res.set_header("ETag", "\"cdn-etag-not-a-sha\"");
    if (ignore_range_) {
      res.status = 200;  // chunked: httplib does not slice it by the request's Range
      res.set_chunked_content_provider("application/octet-stream", [body](size_t, httplib::DataSink& sink) {
        sink.write(body->data(), body->size());
        sink.done();
        return true;
      });
      return;
    }
    if (auto b = break_after_.find(key); b != break_after_.end() && b->second > 0) {
      const size_t limit = b->second;
      res.set_content_provider(body->size(), "application/octet-stream",
                               [body, limit](size_t offset, size_t length, httplib::DataSink& sink) {
                                 if (offset < limit) sink.write(body->data() + offset, std::min(length, limit - offset));
                                 return false;  // then drop the connection
                               });
      return;
    }
    res.set_content(*body, "application/octet-stream");  // httplib answers a Range with 206 or 416
  }

  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::vector<HubRequest> requests_;
  std::set<std::string> wrong_sha_, wrong_size_, missing_;
  std::map<std::string, size_t> break_after_;
  bool ignore_range_ = false;
};

}  // namespace pictor::test
