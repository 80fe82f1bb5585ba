// The layout every page shares, escaping and formatting, and the embedded static files.
#include "server/web_html.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include "server/web_assets.h"

namespace pictor::server::web {

std::string esc(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string url_part(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string slug(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) out += char(std::tolower(c));
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "unknown" : out;
}

std::string money(double usd) {
  if (!(usd >= 0) || !std::isfinite(usd)) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, usd >= 1 ? "%.2f" : "%.4f", usd);
  std::string s = buf;
  // $0.0010 → $0.001, but keep two decimals ($0.10, $1.00).
  while (s.size() > 4 && s.back() == '0' && s.find('.') + 3 < s.size()) s.pop_back();
  return "$" + s;
}

std::string seconds(double s) {
  if (!(s >= 0) || !std::isfinite(s)) return "—";
  char buf[32];
  if (s < 1) std::snprintf(buf, sizeof buf, "%.0f ms", s * 1000);
  else std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s" : "%.1f s", s);
  return buf;
}

std::string score(double v) {
  if (!std::isfinite(v)) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return std::string(buf) == "-0.0" ? "0.0" : buf;
}

std::string integer(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string date(int64_t unix_s) {
  const std::time_t t = std::time_t(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

namespace {

const EmbeddedFile* find_file(const std::string& name) {
  static const std::map<std::string, const EmbeddedFile*> index = [] {
    std::map<std::string, const EmbeddedFile*> m;
    for (const auto& f : embedded_files()) m[f.name] = &f;
    return m;
  }();
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::string content_type(const std::string& name) {
  auto ends = [&](const char* ext) {
    const size_t n = std::char_traits<char>::length(ext);
    return name.size() >= n && name.compare(name.size() - n, n, ext) == 0;
  };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

struct NavItem {
  const char* id;
  const char* href;
  const char* label;
};
constexpr NavItem kNav[] = {{"models", "/", "Models"},
                            {"organizations", "/organizations", "Organizations"},
                            {"arena", "/arena", "Arena"},
                            {"leaderboard", "/leaderboard", "Leaderboard"},
                            {"playground", "/playground", "Playground"}};

}  // namespace

std::string asset_url(const std::string& name) {
  const EmbeddedFile* f = find_file(name);
  return "/static/" + name + (f ? std::string("?v=") + f->hash : "");
}

std::string render(const Page& page) {
  std::string h;
  h.reserve(page.body.size() + 2048);
  h += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       "<meta name=\"color-scheme\" content=\"light dark\">\n<title>";
  h += esc(page.title) + " · pictor</title>\n";
  if (!page.description.empty()) h += "<meta name=\"description\" content=\"" + esc(page.description) + "\">\n";
  h += "<link rel=\"icon\" href=\"" + asset_url("favicon.svg") + "\" type=\"image/svg+xml\">\n";
  h += "<link rel=\"stylesheet\" href=\"" + asset_url("pictor.css") + "\">\n";
  h += "<script src=\"" + asset_url("common.js") + "\" defer></script>\n";
  for (const auto& s : page.scripts) h += "<script src=\"" + asset_url(s) + "\" defer></script>\n";
  h += "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
       "<header class=\"site\"><div class=\"wrap bar\">"
       "<a class=\"brand\" href=\"/\"><img src=\"" + asset_url("favicon.svg") + "\" alt=\"\" width=\"24\" height=\"24\"> pictor</a>"
       "<nav aria-label=\"Main\"><ul>";
  for (const auto& n : kNav) {
    h += "<li><a href=\"";
    h += n.href;
    h += "\"";
    if (page.nav == n.id) h += " aria-current=\"page\"";
    h += ">";
    h += n.label;
    h += "</a></li>";
  }
  h += "</ul></nav></div></header>\n<main id=\"main\" class=\"wrap\">\n";
  h += page.body;
  h += "\n</main>\n<footer class=\"site\"><div class=\"wrap\">Every figure on these pages is this server's own: "
       "prices from its price table and providers file, latency measured on its jobs, scores from its arena's votes. "
       "<a href=\"/openapi.json\">OpenAPI</a> · <a href=\"/v1/arena/votes?format=jsonl\">vote log</a></div></footer>\n"
       "</body>\n</html>\n";
  return h;
}

void send_page(httplib::Response& res, const Page& page) {
  res.status = page.status;
  // Everything a page loads is on this origin (the pictures come back as blob: URLs in the
  // playground); no inline script or style runs.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
                 "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "same-origin");
  res.set_header("Cache-Control", "no-store");
  res.set_content(render(page), "text/html; charset=utf-8");
}

void send_not_found(httplib::Response& res, const std::string& heading, const std::string& detail) {
  Page p;
  p.title = "Not found";
  p.status = 404;
  p.body = "<section class=\"notfound\"><p class=\"eyebrow\">404</p><h1>" + esc(heading) + "</h1><p>" + esc(detail) +
           "</p><p><a class=\"button\" href=\"/\">All models</a> <a class=\"button ghost\" href=\"/organizations\">"
           "Organizations</a></p></section>";
  send_page(res, p);
}

void register_static_routes(httplib::Server& svr) {
  svr.Get(R"(/static/([A-Za-z0-9._/-]+))", [](const httplib::Request& req, httplib::Response& res) {
    const EmbeddedFile* f = find_file(req.matches[1]);
    if (!f) {
      res.status = 404;
      res.set_content("no such file", "text/plain");
      return;
    }
    res.status = 200;
    // URLs carry the file's hash (asset_url), so a cached copy is never stale.
    res.set_header("Cache-Control", req.has_param("v") ? "public, max-age=31536000, immutable" : "no-cache");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(reinterpret_cast<const char*>(f->data), f->size, content_type(f->name));
  });
}

}  // namespace pictor::server::web
