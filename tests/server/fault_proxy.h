#pragma once
// A fault-injecting HTTP proxy for the gateway tests: forwards POSTs to a target server on
// loopback, or makes it look slow, failing (500, 429 + Retry-After, 400) or cut off mid-stream.
// It runs in the test process on an ephemeral port; `requests` counts what reached it.
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace pictor::test {

class FaultProxy {
 public:
  enum class Mode { kPass, kSlow, kStatus500, kStatus429, kStatus400, kCutStream };

  explicit FaultProxy(int target_port) : target_port_(target_port) {
    svr_.new_task_queue = [] { return new httplib::ThreadPool(32); };
    svr_.Post(".*", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      handle(req, res, reader);
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
  }
  ~FaultProxy() {
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  // param: kSlow → delay in ms; kStatus429 → Retry-After seconds (0 = no header).
  void set(Mode mode, int param = 0) {
    mode_ = mode;
    param_ = param;
  }
  std::atomic<int> requests{0};

 private:
  void handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    ++requests;
    std::string body, content_type = req.get_header_value("Content-Type");
    if (req.is_multipart_form_data()) {
      // cpp-httplib parses multipart bodies; re-encode the parts for the target.
      std::multimap<std::string, httplib::MultipartFormData> parts;
      std::string current;
      reader(
          [&](const httplib::MultipartFormData& h) {
            current = h.name;
            parts.emplace(h.name, h);
            return true;
          },
          [&](const char* d, size_t n) {
            auto it = parts.upper_bound(current);
            (--it)->second.content.append(d, n);
            return true;
          });
      const std::string boundary = "----fault-proxy-boundary";
      for (const auto& [name, p] : parts) {
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"";
        if (!p.filename.empty()) body += "; filename=\"" + p.filename + "\"";
        body += "\r\n";
        if (!p.content_type.empty()) body += "Content-Type: " + p.content_type + "\r\n";
        body += "\r\n" + p.content + "\r\n";
      }
      body += "--" + boundary + "--\r\n";
      content_type = "multipart/form-data; boundary=" + boundary;
    } else {
      reader([&](const char* d, size_t n) {
        body.append(d, n);
        return true;
      });
    }
    const Mode mode = mode_;
    const int param = param_;
    auto error = [&](int status, const std::string& msg) {
      res.status = status;
      res.set_content("{\"error\":{\"message\":\"" + msg + "\",\"type\":\"server_error\",\"param\":null,\"code\":null}}",
                      "application/json");
    };
    if (mode == Mode::kStatus500) return error(500, "injected failure");
    if (mode == Mode::kStatus400) return error(400, "injected bad request");
    if (mode == Mode::kStatus429) {
      if (param > 0) res.set_header("Retry-After", std::to_string(param));
      return error(429, "injected rate limit");
    }
    if (mode == Mode::kSlow) {
      for (int waited = 0; waited < param; waited += 10) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    httplib::Client target("127.0.0.1", target_port_);
    target.set_read_timeout(120, 0);
    httplib::Headers headers;
    if (req.has_header("Authorization")) headers.emplace("Authorization", req.get_header_value("Authorization"));
    auto r = target.Post(req.path, headers, body, content_type);
    if (!r) return error(502, "fault proxy: target did not answer");
    const std::string type = r->get_header_value("Content-Type");
    if (mode == Mode::kCutStream && type.rfind("text/event-stream", 0) == 0) {
      // Everything before the first completed image, then the connection drops.
      const size_t cut = r->body.find(".completed");
      const std::string head = r->body.substr(0, cut == std::string::npos ? r->body.size() / 2 : r->body.rfind("event:", cut));
      res.status = 200;
      res.set_chunked_content_provider("text/event-stream", [head](size_t offset, httplib::DataSink& sink) {
        if (offset == 0 && !head.empty()) {
          sink.write(head.data(), head.size());
          return true;
        }
        return false;  // abort: the client sees the stream end without its final event
      });
      return;
    }
    res.status = r->status;
    for (const char* h : {"Retry-After"})
      if (r->has_header(h)) res.set_header(h, r->get_header_value(h));
    res.set_content(r->body, type.empty() ? "application/json" : type);
  }

  int target_port_;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::kPass};
  std::atomic<int> param_{0};
  httplib::Server svr_;
  std::thread thread_;
};

// A loopback port that refuses connections for as long as this lives: bound, never listening.
// (A port merely closed again may be handed to the next `--port 0` server, even the gateway.)
struct DeadPort {
  int fd = -1;
  int port = 0;
  DeadPort() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ~DeadPort() {
    if (fd >= 0) ::close(fd);
  }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;
};

}  // namespace pictor::test
