#pragma once
// Fetching an image the caller names by http(s) URL (input.images), only where the operator
// allows it: the host must be on the allow-list; every address it resolves to is checked, and a
// private, loopback, link-local, CGNAT, multicast or unspecified address is refused unless that
// address itself is listed; the connection is pinned to the checked address (no DNS rebinding);
// redirects are followed by hand and each hop checked again; bytes and time are capped.
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::gateway {

struct FetchPolicy {
  std::vector<std::string> allow;   // host names, "*.example.com", or IP literals; empty = off
  int64_t max_bytes = 20LL << 20;
  double timeout_s = 10;            // the whole fetch, redirects included
  int max_redirects = 3;
  bool enabled() const { return !allow.empty(); }
};

struct Url {
  std::string scheme, host, path;   // path includes the query
  int port = 0;
};
Result<Url> parse_http_url(const std::string& text);

// True for addresses a fetch must not reach unless listed (IPv4 and IPv6, mapped forms too).
bool is_internal_address(const std::string& ip);

// The body of `url`; invalid_argument naming what was refused (host, address, size, time).
Result<std::string> fetch_url(const std::string& url, const FetchPolicy& policy);

// What a request may name before anything is fetched or sent: an http(s) URL whose host is on
// the allow-list (and, for an IP literal, not internal unless listed). invalid_argument says why.
Status check_url_allowed(const std::string& url, const FetchPolicy& policy);

// POSTs `body` to `url` under the same checks as fetch_url (webhooks). Redirects are not
// followed: a 3xx is the receiver's answer. Returns the HTTP status; invalid_argument when the
// policy refuses the URL (trying again will not help), unavailable when nothing answered in
// time (connection refused, timeout).
Result<int> post_url(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, const std::string& content_type, const FetchPolicy& policy);

}  // namespace pictor::gateway
