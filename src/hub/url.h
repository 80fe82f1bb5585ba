#pragma once
// URLs as the downloader needs them: split into the origin httplib connects to and the path it
// requests, and redirect targets resolved against the URL that answered. Torch-free.
#include <string>

#include "core/status.h"

namespace pictor::hub {

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // "huggingface.co", "127.0.0.1"
  int port = 0;        // explicit or the scheme's default
  std::string target;  // path and query, always starting with '/'

  std::string origin() const;  // "https://huggingface.co", "http://127.0.0.1:8123"
  std::string str() const { return origin() + target; }
};

// "http(s)://host[:port][/target]"; other schemes, user info and empty hosts are kInvalidArgument.
Result<Url> parse_url(const std::string& s);
// A Location header: absolute ("https://cdn/…"), scheme-relative ("//cdn/…"), absolute-path
// ("/repo/resolve/…") or relative to the current path.
Result<Url> resolve_location(const Url& base, const std::string& location);
// {hub}/{repo}/resolve/main/{path}, with the path's segments percent-encoded where needed.
std::string resolve_url(const std::string& hub, const std::string& repo, const std::string& path);

}  // namespace pictor::hub
