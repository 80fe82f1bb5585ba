#pragma once
// The web pages' building blocks (docs/web.md): HTML escaping, the page layout every page shares,
// number formatting, inline SVG charts, and the embedded static files (web/ → a generated .cpp).
// Pages are rendered here, in C++, from the same data the /v1 routes answer; the small scripts in
// web/static/ only add interactivity.
#include <httplib.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pictor::server::web {

// Escapes & < > " ' for HTML text and attribute values.
std::string esc(std::string_view text);
// Percent-encodes one URL path segment or query value.
std::string url_part(std::string_view text);
// "openai", "black-forest-labs": an organisation's name as a URL segment.
std::string slug(std::string_view name);

// $0.0005, $0.011; "—" for a negative (unknown) price.
std::string money(double usd);
// "1.42 s", "380 ms"; "—" when negative.
std::string seconds(double s);
// One decimal ("12.3"); "—" when not finite.
std::string score(double v);
std::string integer(int64_t v);  // 12,345
// "2025-10-06" from Unix seconds (UTC).
std::string date(int64_t unix_s);

struct Page {
  std::string title;        // <title>, before " · pictor"
  std::string description;  // <meta name="description">
  std::string nav;          // the header link marked current: models | organizations | arena | leaderboard | playground
  std::string body;         // inside <main>
  std::vector<std::string> scripts;  // embedded files under /static/, loaded deferred
  int status = 200;
};
// The whole document: head (CSS, colour-scheme), header navigation, main, footer.
std::string render(const Page& page);
void send_page(httplib::Response& res, const Page& page);
// The 404 page ("No model called X here"), with links back.
void send_not_found(httplib::Response& res, const std::string& heading, const std::string& detail);

// "/static/NAME?v=HASH": cache-busting URL of an embedded file.
std::string asset_url(const std::string& name);
// Serves /static/{name} from the files embedded at build time.
void register_static_routes(httplib::Server& svr);

// A line chart as inline SVG. Each series has its own marker shape and dash pattern, and every
// point carries a <title> with its exact value, so it reads without colour.
struct ChartSeries {
  std::string label;
  std::vector<double> x, y;  // x: Unix seconds
};
struct LineChartOptions {
  std::string title;   // the accessible name
  std::string y_label;
  bool invert_y = false;  // ranks: 1 at the top
  bool integer_y = false;
};
std::string line_chart(const std::vector<ChartSeries>& series, const LineChartOptions& options);

// Horizontal bars with their labels and values written out (per-category / per-language scores).
struct Bar {
  std::string label;
  double value = 0;
  std::string note;  // e.g. "12 votes"
};
std::string bar_chart(const std::vector<Bar>& bars, const std::string& title);

}  // namespace pictor::server::web
