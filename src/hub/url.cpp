#include "hub/url.h"

#include <cctype>

namespace pictor::hub {

namespace {

int default_port(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

// Keeps what a repository path may hold unescaped (RFC 3986 unreserved plus '/').
std::string encode_path(const std::string& p) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : p) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string Url::origin() const {
  std::string o = scheme + "://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
  if (port != default_port(scheme)) o.append(":").append(std::to_string(port));
  return o;
}

Result<Url> parse_url(const std::string& s) {
  Url u;
  const auto sep = s.find("://");
  if (sep == std::string::npos) return invalid_argument("'" + s + "' is not a URL (expected http://… or https://…)");
  u.scheme = s.substr(0, sep);
  for (char& c : u.scheme) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (u.scheme != "http" && u.scheme != "https")
    return invalid_argument("'" + s + "': only http and https URLs are supported");
  const auto rest = s.substr(sep + 3);
  const auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string::npos)
    return invalid_argument("'" + s + "': user names in URLs are not supported");
  u.port = default_port(u.scheme);
  std::string port;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos) return invalid_argument("'" + s + "': unterminated IPv6 address");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return invalid_argument("'" + s + "': bad host");
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return invalid_argument("'" + s + "': no host");
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || p > 65535) return invalid_argument("'" + s + "': bad port");
      p = p * 10 + (c - '0');
    }
    if (p <= 0 || p > 65535) return invalid_argument("'" + s + "': bad port");
    u.port = p;
  }
  return u;
}

Result<Url> resolve_location(const Url& base, const std::string& location) {
  if (location.empty()) return invalid_argument("empty redirect location");
  if (location.find("://") != std::string::npos) return parse_url(location);
  if (location.starts_with("//")) return parse_url(base.scheme + ":" + location);
  Url u = base;
  if (location[0] == '/') {
    u.target = location;
  } else {
    std::string dir = base.target.substr(0, base.target.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    u.target = dir + location;
  }
  return u;
}

std::string resolve_url(const std::string& hub, const std::string& repo, const std::string& path) {
  std::string h = hub;
  while (!h.empty() && h.back() == '/') h.pop_back();
  return h + "/" + encode_path(repo) + "/resolve/main/" + encode_path(path);
}

}  // namespace pictor::hub
