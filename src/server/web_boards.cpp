// GET /leaderboard?arena=text-to-image|image-edit&axis=overall|category:X|language:Y&judge=human|auto:
// rank, rank (UB), model, score, interval, votes, price, latency and licence, sortable (tables.js).
#include <algorithm>
#include <cmath>

#include "arena/arena_service.h"
#include "arena/axes/prompt_category.h"
#include "arena/axes/prompt_language.h"
#include "server/arena_http.h"
#include "server/web_data.h"
#include "server/web_html.h"

namespace pictor::server::web {

namespace {

std::string axis_label(const std::string& axis) {
  if (axis.rfind("category:", 0) == 0) {
    for (const auto& c : arena::categories())
      if ("category:" + c.id == axis) return "Category: " + c.display_name;
  }
  if (axis.rfind("language:", 0) == 0) return "Language: " + arena::language_name(axis.substr(9));
  return "Overall";
}

std::string num_cell(double v, const std::string& text) {
  return "<td class=\"num\" data-sort=\"" + (std::isfinite(v) ? std::to_string(v) : std::string("-1e9")) + "\">" + text + "</td>";
}

void leaderboard_page(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string arena_name = req.has_param("arena") ? req.get_param_value("arena") : "text-to-image";
  if (arena_name != "image-edit") arena_name = "text-to-image";
  std::string judge = req.has_param("judge") && req.get_param_value("judge") == "auto" ? "auto" : "human";
  std::string axis = req.has_param("axis") ? req.get_param_value("axis") : "overall";
  if (!valid_arena_axis(axis)) axis = "overall";
  const SiteData site = site_data(ctx);
  const auto rows = board_rows(leaderboard_json(ctx, arena_name, judge, axis));
  const auto board = ctx.arena->leaderboard(arena_name, judge, axis);

  Page p;
  p.title = "Leaderboard";
  p.nav = "leaderboard";
  p.description = "The image arena's leaderboards by arena, category and language.";
  p.scripts = {"tables.js"};
  std::string h = "<h1>Leaderboard</h1><p class=\"lead\">Blind votes between 2–4 anonymous images of one prompt. Score = "
                  "TrueSkill μ − 3σ (conservative); the interval and rank (UB) come from a Bradley–Terry fit with 100 "
                  "bootstrap rounds. A model is listed once it has 3 counted votes on the board.</p>";
  h += "<nav class=\"tabs arena-tabs\" aria-label=\"Arena\">";
  for (const char* a : kArenas)
    h += "<a href=\"/leaderboard?arena=" + std::string(a) + (judge == "auto" ? "&amp;judge=auto" : "") + "\"" +
         (arena_name == a ? " aria-current=\"page\"" : "") + ">" + esc(arena_title(a)) + "</a>";
  h += "</nav>";
  // Axis picker: every board this arena and judge have votes on.
  h += "<form class=\"filters\" method=\"get\" action=\"/leaderboard\"><input type=\"hidden\" name=\"arena\" value=\"" + arena_name +
       "\"><label for=\"axis\">Axis</label><select id=\"axis\" name=\"axis\" data-autosubmit>";
  std::vector<std::string> axes = {"overall"};
  for (const auto& k : ctx.arena->ratings().board_keys())
    if (k.arena == arena_name && k.judge == judge && k.axis != "overall") axes.push_back(k.axis);
  if (std::find(axes.begin(), axes.end(), axis) == axes.end()) axes.push_back(axis);
  for (const auto& a : axes)
    h += "<option value=\"" + esc(a) + "\"" + (a == axis ? " selected" : "") + ">" + esc(axis_label(a)) + "</option>";
  h += "</select><label for=\"judge\">Judge</label><select id=\"judge\" name=\"judge\" data-autosubmit>"
       "<option value=\"human\"" + std::string(judge == "human" ? " selected" : "") + ">People</option>"
       "<option value=\"auto\"" + (judge == "auto" ? " selected" : "") + ">Auto-judge (scene detector)</option></select>"
       "<noscript><button type=\"submit\">Show</button></noscript></form>";
  h += "<p class=\"muted\">" + esc(arena_title(arena_name)) + " · " + esc(axis_label(axis)) + " · " + integer(board.votes) +
       " counted votes" + (ctx.arena->ratings().stale() ? " · Bradley–Terry columns update a second after the last vote" : "") + "</p>";
  if (rows.empty()) {
    h += "<p class=\"empty\">No model has 3 counted votes on this board yet. <a href=\"/arena\">Vote in the arena</a> to fill it.</p>";
  } else {
    h += "<div class=\"table-scroll\" tabindex=\"0\"><table class=\"sortable board\"><caption class=\"sr-only\">" + esc(arena_title(arena_name)) +
         " leaderboard, " + esc(axis_label(axis)) + "</caption><thead><tr>"
         "<th scope=\"col\" class=\"num\">Rank</th><th scope=\"col\" class=\"num\">Rank (UB)</th><th scope=\"col\">Model</th>"
         "<th scope=\"col\" class=\"num\">Score</th><th scope=\"col\" class=\"num\">95 % interval</th><th scope=\"col\" class=\"num\">Votes</th>"
         "<th scope=\"col\" class=\"num\">$/image</th><th scope=\"col\" class=\"num\">Latency</th><th scope=\"col\">Licence</th></tr></thead><tbody>";
    for (const auto& r : rows) {
      const ModelCard* m = site.model_of(r.entry);
      // The entry's own quality (pictor-mini-fast draws at low).
      std::string quality = "medium";
      for (const auto& e : ctx.arena->entries())
        if (e.id == r.entry) quality = e.quality;
      double price = -1, lat = -1;
      if (m) {
        if (auto it = m->price.find(quality); it != m->price.end()) price = it->second;
        if (auto it = m->latency.find(quality); it != m->latency.end()) lat = it->second;
      }
      const bool bt = std::isfinite(r.bt_lo) && std::isfinite(r.bt_hi);
      h += "<tr>" + num_cell(r.rank, std::to_string(r.rank)) + num_cell(r.rank_ub, r.rank_ub > 0 ? std::to_string(r.rank_ub) : "—") +
           "<th scope=\"row\" data-sort=\"" + esc(r.entry) + "\">" + entry_link(site, r.entry) + "</th>" +
           num_cell(r.score, "<strong>" + score(r.score) + "</strong>") +
           num_cell(r.bt, bt ? score(r.bt_lo) + " – " + score(r.bt_hi) : "pending") + num_cell(double(r.votes), integer(r.votes)) +
           num_cell(price < 0 ? 1e9 : price, price < 0 ? "not set" : money(price)) +
           num_cell(lat < 0 ? 1e9 : lat, lat < 0 ? "not measured" : seconds(lat)) + "<td>" +
           esc(m && !m->license_name.empty() ? m->license_name : "not stated") + "</td></tr>";
    }
    h += "</tbody></table></div><p class=\"muted small\">Sort by any column with its header button. The interval is the "
         "Bradley–Terry rating's 95 % bootstrap range (on an Elo-like scale); rank (UB) is 1 + the number of models "
         "whose lower bound is above this one's upper bound.</p>";
  }
  p.body = h;
  send_page(res, p);
}

}  // namespace

void register_board_pages(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "GET", "/leaderboard", "/leaderboard", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { leaderboard_page(ctx, req, res); });
}

}  // namespace pictor::server::web
