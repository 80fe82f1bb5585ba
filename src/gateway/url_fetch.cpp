#include "gateway/url_fetch.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace pictor::gateway {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool host_allowed(const std::string& host, const std::vector<std::string>& allow) {
  for (const auto& a : allow) {
    const std::string e = lower(a);
    if (e == host) return true;
    if (e.size() > 2 && e.rfind("*.", 0) == 0) {
      const std::string suffix = e.substr(1);  // ".example.com"
      if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
    }
  }
  return false;
}

bool listed(const std::string& ip, const std::vector<std::string>& allow) {
  return std::any_of(allow.begin(), allow.end(), [&](const std::string& a) { return lower(a) == ip; });
}

}  // namespace

Result<Url> parse_http_url(const std::string& text) {
  Url u;
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return invalid_argument("not an http(s) URL");
  u.scheme = lower(text.substr(0, scheme_end));
  if (u.scheme != "http" && u.scheme != "https") return invalid_argument("only http and https URLs are fetched");
  const size_t auth_start = scheme_end + 3;
  const size_t path_start = text.find_first_of("/?#", auth_start);
  std::string authority = text.substr(auth_start, path_start == std::string::npos ? std::string::npos : path_start - auth_start);
  if (authority.find('@') != std::string::npos) return invalid_argument("URLs with credentials are not fetched");
  u.path = path_start == std::string::npos ? "/" : text.substr(path_start);
  if (const size_t hash = u.path.find('#'); hash != std::string::npos) u.path.erase(hash);
  if (u.path.empty() || u.path[0] != '/') u.path = "/" + u.path;
  u.port = u.scheme == "https" ? 443 : 80;
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) return invalid_argument("bad IPv6 host");
    u.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty()) {
      if (authority[0] != ':') return invalid_argument("bad host");
      authority = authority.substr(1);
      if (authority.empty() || authority.size() > 5 || !std::all_of(authority.begin(), authority.end(), ::isdigit))
        return invalid_argument("bad port");
      u.port = std::stoi(authority);
    }
  } else {
    const size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string p = authority.substr(colon + 1);
      if (p.empty() || p.size() > 5 || !std::all_of(p.begin(), p.end(), ::isdigit)) return invalid_argument("bad port");
      u.port = std::stoi(p);
    }
  }
  u.host = lower(u.host);
  if (u.host.empty()) return invalid_argument("the URL has no host");
  if (u.port <= 0 || u.port > 65535) return invalid_argument("bad port");
  return u;
}

bool is_internal_address(const std::string& ip) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
    const uint32_t a = ntohl(v4.s_addr);
    auto in = [&](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) || in(0xAC100000, 12) ||
           in(0xC0A80000, 16) || in(0x64400000, 10) || in(0xC0000000, 24) || in(0xC6120000, 15) || a >= 0xE0000000;
  }
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) {
    const uint8_t* b = v6.s6_addr;
    static const uint8_t kZero[16] = {};
    if (std::memcmp(b, kZero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
    const bool mapped = std::memcmp(b, kZero, 10) == 0 && b[10] == 0xFF && b[11] == 0xFF;
    if (mapped) {
      char s[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, b + 12, s, sizeof s);
      return is_internal_address(s);
    }
    return (b[0] & 0xFE) == 0xFC ||                  // fc00::/7 unique local
           (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) ||  // fe80::/10 link-local
           b[0] == 0xFF;                              // multicast
  }
  return true;  // not an address we can judge: refuse
}

namespace {

// Resolves `host` and returns the first address allowed by the policy.
Result<std::string> checked_address(const std::string& host, const FetchPolicy& policy) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res)
    return invalid_argument("the host " + host + " does not resolve");
  std::string chosen, refused;
  for (addrinfo* p = res; p; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN] = {};
    const void* addr = p->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)
                                               : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr);
    inet_ntop(p->ai_family, addr, buf, sizeof buf);
    const std::string ip = buf;
    if (is_internal_address(ip) && !listed(ip, policy.allow)) {
      refused = ip;
      continue;
    }
    chosen = ip;
    break;
  }
  freeaddrinfo(res);
  if (chosen.empty())
    return invalid_argument("the host " + host + " resolves to " + refused +
                            ", a private, loopback or link-local address, which is not fetched unless listed");
  return chosen;
}

}  // namespace

Result<std::string> fetch_url(const std::string& start_url, const FetchPolicy& policy) {
  if (!policy.enabled()) return invalid_argument("this server does not fetch image URLs (see --fetch-allow); send a data URL");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(policy.timeout_s * 1000));
  std::string url = start_url;
  for (int hop = 0; hop <= policy.max_redirects; ++hop) {
    auto u = parse_http_url(url);
    if (!u.is_ok()) return invalid_argument(url + ": " + u.status().message());
    if (!host_allowed(u->host, policy.allow)) return invalid_argument("the host " + u->host + " is not on this server's fetch allow-list");
    auto ip = checked_address(u->host, policy);
    if (!ip.is_ok()) return ip.status();
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return invalid_argument("fetching " + start_url + " took longer than " + std::to_string(policy.timeout_s) + " s");
    const std::string origin = u->scheme + "://" + (u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host) +
                               ":" + std::to_string(u->port);
    httplib::Client client(origin);
    client.set_hostname_addr_map({{u->host, *ip}});  // connect to the address just checked
    const auto timeout = std::chrono::milliseconds(int64_t(left * 1000));
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_follow_location(false);
    std::string body;
    bool too_big = false, too_slow = false;
    auto res = client.Get(u->path, httplib::Headers{{"Accept", "image/*"}},
                          [&](const char* data, size_t n) {
                            if (int64_t(body.size() + n) > policy.max_bytes) return !(too_big = true);
                            if (std::chrono::steady_clock::now() > deadline) return !(too_slow = true);
                            body.append(data, n);
                            return true;
                          });
    if (too_big) return invalid_argument(start_url + " is larger than " + std::to_string(policy.max_bytes) + " bytes");
    if (too_slow) return invalid_argument("fetching " + start_url + " took longer than " + std::to_string(policy.timeout_s) + " s");
    if (!res) {
      if (std::chrono::steady_clock::now() + std::chrono::milliseconds(50) >= deadline)  // the timeout fired
        return invalid_argument("fetching " + start_url + " took longer than " + std::to_string(policy.timeout_s) + " s");
      return invalid_argument("fetching " + url + " failed: " + httplib::to_string(res.error()));
    }
    const int st = res->status;
    if (st == 301 || st == 302 || st == 303 || st == 307 || st == 308) {
      std::string loc = res->get_header_value("Location");
      if (loc.empty()) return invalid_argument(url + " redirected without a Location");
      if (loc[0] == '/') loc = origin + loc;
      url = loc;
      continue;  // the next hop is checked like the first
    }
    if (st != 200) return invalid_argument("fetching " + url + " answered HTTP " + std::to_string(st));
    return body;
  }
  return invalid_argument(start_url + " redirected more than " + std::to_string(policy.max_redirects) + " times");
}

Status check_url_allowed(const std::string& url, const FetchPolicy& policy) {
  auto u = parse_http_url(url);
  if (!u.is_ok()) return u.status();
  if (!host_allowed(u->host, policy.allow)) return invalid_argument("the host " + u->host + " is not on this server's allow-list");
  in_addr v4{};
  in6_addr v6{};
  const bool literal = inet_pton(AF_INET, u->host.c_str(), &v4) == 1 || inet_pton(AF_INET6, u->host.c_str(), &v6) == 1;
  if (literal && is_internal_address(u->host) && !listed(u->host, policy.allow))
    return invalid_argument(u->host + " is a private, loopback or link-local address, which is refused unless listed");
  return Status::ok();
}

Result<int> post_url(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, const std::string& content_type, const FetchPolicy& policy) {
  if (!policy.enabled()) return invalid_argument("this server sends to no URL (its allow-list is empty)");
  auto u = parse_http_url(url);
  if (!u.is_ok()) return invalid_argument(url + ": " + u.status().message());
  if (!host_allowed(u->host, policy.allow)) return invalid_argument("the host " + u->host + " is not on this server's allow-list");
  auto ip = checked_address(u->host, policy);
  if (!ip.is_ok()) return ip.status();
  const std::string origin = u->scheme + "://" + (u->host.find(':') != std::string::npos ? "[" + u->host + "]" : u->host) +
                             ":" + std::to_string(u->port);
  httplib::Client client(origin);
  client.set_hostname_addr_map({{u->host, *ip}});  // connect to the address just checked
  const auto timeout = std::chrono::milliseconds(int64_t(policy.timeout_s * 1000));
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_follow_location(false);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  auto res = client.Post(u->path, h, body, content_type);
  if (!res) return unavailable("POST " + url + " got no answer: " + httplib::to_string(res.error()));
  return res->status;
}

}  // namespace pictor::gateway
