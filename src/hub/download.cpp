#include "hub/download.h"

#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "hub/sha256.h"
#include "hub/url.h"

namespace pictor::hub {

namespace {

namespace fs = std::filesystem;

std::string reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 410: return "Gone";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

std::string header(const httplib::Headers& h, const char* key) {
  auto it = h.find(key);  // httplib's Headers compare keys case-insensitively
  return it == h.end() ? "" : it->second;
}

long long parse_size(const std::string& s) {
  if (s.empty()) return -1;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9' || v > (1LL << 50)) return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The hub names an LFS file's hash and size on the redirect it answers with; the first hop that
// names them wins (a CDN further on may send its own, unrelated ETag).
void note_linked(const httplib::Headers& h, RemoteFileInfo& info) {
  if (info.sha256.empty()) info.sha256 = sha256_from_etag(header(h, "X-Linked-ETag"));
  if (info.size < 0) info.size = parse_size(header(h, "X-Linked-Size"));
}

// The answering response: its own ETag counts only when it is a SHA-256 (not a git SHA-1 or MD5).
void note_final(const httplib::Headers& h, RemoteFileInfo& info) {
  note_linked(h, info);
  if (info.sha256.empty()) info.sha256 = sha256_from_etag(header(h, "ETag"));
}

httplib::Headers request_headers(long long offset) {
  // identity: Range offsets and Content-Length must count the file's own bytes.
  httplib::Headers h = {{"User-Agent", "pictor/0.1.0"}, {"Accept-Encoding", "identity"}};
  if (offset > 0) h.emplace("Range", "bytes=" + std::to_string(offset) + "-");
  return h;
}

std::unique_ptr<httplib::Client> make_client(const Url& u, const DownloadOptions& opts) {
  auto c = std::make_unique<httplib::Client>(u.origin());
  c->set_connection_timeout(opts.connect_timeout_s);
  c->set_read_timeout(opts.read_timeout_s);
  c->set_follow_location(false);  // by hand: see download.h
  if (u.scheme == "https") {
    std::error_code ec;
    if (fs::is_regular_file(opts.ca_file, ec)) c->set_ca_cert_path(opts.ca_file);
    c->enable_server_certificate_verification(true);
  }
  return c;
}

// httplib's own names ("Connection", "Read") say little on their own.
std::string error_text(httplib::Error err) {
  switch (err) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "the connection failed or timed out while reading";
    case httplib::Error::Write: return "the connection failed while sending";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "could not load the CA certificates";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate did not verify";
    default: return httplib::to_string(err);
  }
}

Status connection_failure(const std::string& method, const Url& u, httplib::Error err) {
  return unavailable("cannot " + method + " " + u.str() + ": " + error_text(err) + " (host " + u.host + ":" +
                     std::to_string(u.port) + ")");
}

Status status_failure(const std::string& method, const Url& u, int status, const httplib::Headers& h) {
  std::string msg = u.host + " answered HTTP " + std::to_string(status);
  if (const auto r = reason(status); !r.empty()) msg.append(" ").append(r);
  msg += " to " + method + " " + u.target;
  // The hub explains refusals in a header (e.g. "Repository not found", gated repositories).
  if (const auto why = header(h, "X-Error-Message"); !why.empty()) msg += " (" + why + ")";
  else if (status == 401 || status == 403) msg += " (a private or gated repository?)";
  return unavailable(msg);
}

Result<Url> follow(const std::string& method, const Url& u, const httplib::Headers& h) {
  const auto location = header(h, "Location");
  if (location.empty()) return unavailable(u.host + " answered a redirect without a Location to " + method + " " + u.target);
  auto next = resolve_location(u, location);
  if (!next.is_ok()) return unavailable(u.host + " redirected " + u.target + " to an unusable location: " +
                                        next.status().message());
  return next;
}

// The .part being written: append on 206, truncate on 200, flushed to disk before it is renamed.
class PartFile {
 public:
  ~PartFile() {
    if (f_) std::fclose(f_);
  }
  Status open(const std::string& path, bool append) {
    path_ = path;
    f_ = std::fopen(path.c_str(), append ? "ab" : "wb");
    if (!f_) return io_error("cannot write " + path + ": " + std::strerror(errno));
    return Status::ok();
  }
  Status write(const char* data, size_t n) {
    if (std::fwrite(data, 1, n, f_) != n) return io_error("cannot write " + path_ + ": " + std::strerror(errno));
    return Status::ok();
  }
  Status close() {
    if (!f_) return Status::ok();
    bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    const int err = errno;
    ok = std::fclose(f_) == 0 && ok;
    f_ = nullptr;
    if (!ok) return io_error("cannot write " + path_ + ": " + std::strerror(err));
    return Status::ok();
  }
  bool is_open() const { return f_ != nullptr; }

 private:
  std::string path_;
  FILE* f_ = nullptr;
};

struct Fetched {
  RemoteFileInfo info;
  long long total = -1;         // the file's size by this response's headers
  long long resumed_from = 0;
  std::string actual_sha256;
  bool range_refused = false;   // 416: the .part is no prefix the server can continue
};

// One GET through the redirects into `part` (resuming at `offset`).
Result<Fetched> fetch(Url u, const std::string& part, long long offset, const DownloadOptions& opts,
                      const DownloadProgressFn& progress) {
  Fetched f;
  Sha256 hash;
  PartFile file;
  for (int hop = 0;; ++hop) {
    if (hop > opts.max_redirects)
      return unavailable("too many redirects (more than " + std::to_string(opts.max_redirects) + ") at " + u.str());
    auto cli = make_client(u, opts);
    int status = 0;
    httplib::Headers got;
    Status sink;  // why a handler stopped the transfer
    long long done = offset;
    // Called once the status line and headers are in: only 200 and 206 carry the file.
    auto on_response = [&](const httplib::Response& r) {
      status = r.status;
      got = r.headers;
      if (r.status != 200 && r.status != 206) return false;  // redirects and errors: headers suffice
      note_final(r.headers, f.info);
      if (r.status == 206) {
        // Content-Range: bytes START-END/TOTAL
        const auto range = header(r.headers, "Content-Range");
        const auto dash = range.find('-'), slash = range.find('/');
        const long long start = range.starts_with("bytes ") && dash != std::string::npos
                                    ? parse_size(range.substr(6, dash - 6)) : -1;
        if (start != offset) {
          sink = unavailable(u.host + " answered the resume of " + u.target + " with range '" + range +
                             "' (asked from byte " + std::to_string(offset) + ")");
          return false;
        }
        if (slash != std::string::npos) f.total = parse_size(range.substr(slash + 1));
        f.resumed_from = offset;
        sink = hash_file(part, hash, offset);
        if (sink.is_ok()) sink = file.open(part, true);
      } else {
        // 200 to a Range request: the server starts over, so do we.
        done = 0;
        f.resumed_from = 0;
        f.total = parse_size(header(r.headers, "Content-Length"));
        hash.reset();
        sink = file.open(part, false);
      }
      if (sink.is_ok() && f.info.size >= 0 && f.total >= 0 && f.info.size != f.total)
        sink = corrupt_data(u.str() + ": the hub says " + std::to_string(f.info.size) + " bytes, the server sends " +
                            std::to_string(f.total));
      if (f.total < 0) f.total = f.info.size;
      if (sink.is_ok() && progress) progress(done, f.total);
      return sink.is_ok();
    };
    auto on_data = [&](const char* data, size_t n) {
      sink = file.write(data, n);
      if (!sink.is_ok()) return false;
      hash.update(data, n);
      done += (long long)n;
      if (progress) progress(done, f.total);
      return true;
    };
    auto res = cli->Get(u.target, request_headers(offset), on_response, on_data);
    if (!sink.is_ok()) return sink;
    if (status == 0) return connection_failure("GET", u, res.error());
    if (status >= 300 && status < 400 && status != 304) {
      note_linked(got, f.info);
      auto next = follow("GET", u, got);
      if (!next.is_ok()) return next.status();
      u = *next;
      continue;
    }
    if (status == 416 && offset > 0) {
      f.range_refused = true;
      return f;
    }
    if (status != 200 && status != 206) return status_failure("GET", u, status, got);
    // The body: an error here is a broken connection; what arrived stays in the .part to resume.
    const Status closed = file.close();
    if (res.error() != httplib::Error::Success)
      return unavailable("the connection to " + u.host + " broke after " + std::to_string(done) + " bytes of " +
                         u.target + ": " + error_text(res.error()) + " (run the command again to resume)");
    PICTOR_RETURN_IF_ERROR(closed);
    f.actual_sha256 = hash.hex();
    return f;
  }
}

// Whether a file already at `dest` is the one the server describes (size and, when named, hash).
Result<bool> is_same_file(const std::string& dest, const RemoteFileInfo& info) {
  std::error_code ec;
  const auto size = (long long)fs::file_size(dest, ec);
  if (ec) return io_error("cannot read " + dest + ": " + ec.message());
  if (info.size < 0 && info.sha256.empty()) return false;  // nothing to check against: fetch again
  if (info.size >= 0 && size != info.size) return false;
  if (info.sha256.empty()) return true;
  Sha256 hash;
  PICTOR_RETURN_IF_ERROR(hash_file(dest, hash));
  return hash.hex() == info.sha256;
}

}  // namespace

Result<RemoteFileInfo> probe_file(const std::string& url, const DownloadOptions& opts) {
  auto parsed = parse_url(url);
  if (!parsed.is_ok()) return parsed.status();
  Url u = *parsed;
  RemoteFileInfo info;
  for (int hop = 0;; ++hop) {
    if (hop > opts.max_redirects)
      return unavailable("too many redirects (more than " + std::to_string(opts.max_redirects) + ") at " + u.str());
    auto cli = make_client(u, opts);
    auto res = cli->Head(u.target, request_headers(0));
    if (!res) return connection_failure("HEAD", u, res.error());
    const int status = res->status;
    if (status >= 300 && status < 400 && status != 304) {
      note_linked(res->headers, info);
      if (info.size >= 0 && !info.sha256.empty()) return info;  // the hub said it all: skip the CDN
      auto next = follow("HEAD", u, res->headers);
      if (!next.is_ok()) return next.status();
      u = *next;
      continue;
    }
    if (status < 200 || status >= 300) return status_failure("HEAD", u, status, res->headers);
    note_final(res->headers, info);
    if (info.size < 0) info.size = parse_size(header(res->headers, "Content-Length"));
    return info;
  }
}

Result<DownloadResult> download_file(const std::string& url, const std::string& dest, const DownloadOptions& opts,
                                     const DownloadProgressFn& progress) {
  auto start = parse_url(url);
  if (!start.is_ok()) return start.status();
  std::error_code ec;
  DownloadResult out;
  if (fs::is_regular_file(dest, ec)) {
    auto info = probe_file(url, opts);
    if (!info.is_ok()) return info.status();
    auto same = is_same_file(dest, *info);
    if (!same.is_ok()) return same.status();
    if (*same) {
      out.skipped = true;
      out.size = (long long)fs::file_size(dest, ec);
      out.sha256 = info->sha256;
      return out;
    }
  }
  const fs::path parent = fs::path(dest).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return io_error("cannot create " + parent.string() + ": " + ec.message());
  }
  const std::string part = dest + ".part";
  for (int attempt = 0;; ++attempt) {
    const long long offset = fs::is_regular_file(part, ec) ? (long long)fs::file_size(part, ec) : 0;
    auto got = fetch(*start, part, offset, opts, progress);
    if (!got.is_ok()) {
      // A checksum or size the server itself contradicts: the .part is worthless.
      if (got.status().code() == StatusCode::kCorruptData) fs::remove(part, ec);
      return got.status();
    }
    if (got->range_refused && attempt == 0) {  // a .part the server cannot continue: start over
      fs::remove(part, ec);
      continue;
    }
    if (got->range_refused) return unavailable(url + ": the server refused the download's byte range");
    const long long size = (long long)fs::file_size(part, ec);
    if (ec) return io_error("cannot read " + part + ": " + ec.message());
    if (got->total >= 0 && size != got->total) {
      fs::remove(part, ec);
      return corrupt_data("size mismatch for " + dest + ": got " + std::to_string(size) + " bytes, expected " +
                          std::to_string(got->total) + " (the partial file was deleted; run the command again)");
    }
    if (!got->info.sha256.empty() && got->actual_sha256 != got->info.sha256) {
      fs::remove(part, ec);
      return corrupt_data("checksum mismatch for " + dest + ": expected sha256 " + got->info.sha256 + ", got " +
                          got->actual_sha256 + " (the download was deleted; run the command again)");
    }
    fs::rename(part, dest, ec);
    if (ec) return io_error("cannot move " + part + " to " + dest + ": " + ec.message());
    out.size = size;
    out.resumed_from = got->resumed_from;
    out.sha256 = got->info.sha256;
    return out;
  }
}

}  // namespace pictor::hub
