// GET /models/{id}: one page per model, top to bottom as the seed's page (DESIGN.md §6): who made
// it and what it is, arena examples, the API with code for this server, pricing and providers,
// benchmarks by category and language, leaderboard rankings, the quality tracker, similar models,
// licence, models like it and an FAQ. Every section is drawn from measured data or says it has none.
#include <algorithm>
#include <cmath>

#include "arena/arena_service.h"
#include "arena/axes/prompt_category.h"
#include "arena/axes/prompt_language.h"
#include "server/arena_http.h"
#include "server/catalog_view.h"
#include "server/web_data.h"
#include "server/web_html.h"

namespace pictor::server::web {

using nlohmann::json;

namespace {

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section class=\"block\" id=\"" + id + "\" aria-labelledby=\"" + id + "-h\"><h2 id=\"" + id + "-h\">" + esc(title) +
         "</h2>" + body + "</section>";
}

std::string empty_note(const std::string& text) { return "<p class=\"empty\">" + esc(text) + "</p>"; }

bool competes_in(const ModelCard& m, const std::string& arena) { return arena == "text-to-image" || m.edits; }

std::string axis_name(const std::string& axis) {
  if (axis.rfind("category:", 0) == 0) {
    for (const auto& c : arena::categories())
      if ("category:" + c.id == axis) return c.display_name;
    return axis.substr(9);
  }
  if (axis.rfind("language:", 0) == 0) return arena::language_name(axis.substr(9));
  return "Overall";
}

std::string header(const ModelCard& m) {
  std::string h = "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/organizations\">Organizations</a></li>"
                  "<li><a href=\"/organizations/" + url_part(m.org_slug) + "\">" + esc(m.organization) + "</a></li>"
                  "<li aria-current=\"page\">" + esc(m.name) + "</li></ol></nav>";
  h += "<header class=\"model-head\"><p class=\"eyebrow\">by <a href=\"/organizations/" + url_part(m.org_slug) + "\">" +
       esc(m.organization) + "</a></p><h1>" + esc(m.name) + "</h1>";
  if (!m.description.empty()) h += "<p class=\"lead\">" + esc(m.description) + "</p>";
  h += "<dl class=\"facts\"><div><dt>Model id</dt><dd><code>" + esc(m.id) + "</code></dd></div>";
  h += "<div><dt>What it is</dt><dd>" + esc(modalities_sentence(m)) + (m.edits ? "; edits images" : "") +
       (m.mask ? " with a mask" : "") + "</dd></div>";
  h += "<div><dt>Released</dt><dd>" + (m.release_date.empty() ? std::string("not stated") : esc(m.release_date)) + "</dd></div>";
  h += "<div><dt>Price</dt><dd>" +
       (m.starts_at < 0 ? std::string("no price set")
                        : "starts at " + money(m.starts_at) + " per generated image via " + esc(m.starts_at_provider)) +
       "</dd></div></dl></header>";
  return h;
}

std::string examples(ServerContext& ctx, const SiteData& site, const ModelCard& m) {
  std::vector<json> all;
  for (const auto& e : m.entries) {
    const json found = examples_json(ctx, e, 6);  // kept: a range-for over found["data"] of a temporary would dangle
    for (const auto& ex : found["data"]) {
      json x = ex;
      x["entry"] = e;
      all.push_back(x);
    }
  }
  if (all.empty())
    return section("examples", "Examples",
                   empty_note("No arena battle won by " + m.name + " yet. Its wins appear here once people have voted on them.") +
                       "<p><a href=\"/arena\">Vote in the arena</a></p>");
  if (all.size() > 6) all.resize(6);
  std::string h = "<p class=\"muted\">Recent arena outputs from its strongest matchups (blind votes by people).</p><ul class=\"gallery\">";
  for (const auto& ex : all) {
    const std::string prompt = ex.value("prompt", "");
    const std::string opponent = ex.value("opponent", "");
    h += "<li><figure><img src=\"" + esc(ex.value("image", "")) + "\" alt=\"" + esc(m.name + "'s image for: " + prompt) +
         "\" loading=\"lazy\" width=\"256\" height=\"256\"><figcaption><q>" + esc(prompt) + "</q><span class=\"muted small\">" +
         esc(arena_title(ex.value("arena", ""))) + " · " + (ex.value("outcome", "") == "tie" ? "tied with " : "won against ") +
         entry_link(site, opponent) + "</span></figcaption></figure></li>";
  }
  return section("examples", "Examples", h + "</ul>");
}

std::string default_size(const ModelCard& m) {
  for (const auto& s : m.sizes)
    if (s != "auto") return s;
  return "";
}

// The API section's code, one block per (language, mode), for this server's own address.
std::string api_section(const ModelCard& m, const std::string& base) {
  const std::string prompt = "two red circles above a blue square";
  const std::string size = default_size(m);
  const std::string size_json = size.empty() ? "" : ", \"size\": \"" + size + "\"";
  struct Code {
    std::string lang, label, mode, text;
  };
  std::vector<Code> codes;
  auto python = [&](bool edit) {
    std::string s = "import time\nimport requests\n";
    if (edit) s += "import base64\n";
    s += "\nBASE = \"" + base + "/v1\"\nHEADERS = {\"Authorization\": \"Bearer YOUR_API_KEY\"}\n";
    if (edit) s += "image = \"data:image/png;base64,\" + base64.b64encode(open(\"input.png\", \"rb\").read()).decode()\n";
    s += "\njob = requests.post(f\"{BASE}/generations\", headers=HEADERS, json={\n    \"model\": \"" + m.id +
         "\",\n    \"input\": {\"prompt\": \"" + (edit ? std::string("make the circles green") : prompt) + "\"" + size_json +
         (edit ? ", \"images\": [image]" : "") + "},\n    \"wait\": \"auto\",\n}).json()\n"
         "while job[\"status\"] in (\"queued\", \"running\"):\n    time.sleep(1)\n"
         "    job = requests.get(f\"{BASE}/generations/{job['id']}?wait=30\", headers=HEADERS).json()\n"
         "if job[\"status\"] != \"completed\":\n    raise SystemExit(job[\"error\"][\"message\"])\n"
         "print(job[\"output\"][\"media\"][0][\"url\"])\n";
    return s;
  };
  auto curl = [&](bool edit) {
    if (edit)
      return "curl -s " + base + "/v1/images/edits \\\n  -H \"Authorization: Bearer $PICTOR_API_KEY\" \\\n  -F model=" + m.id +
             " -F image=@input.png -F prompt=\"make the circles green\"" + (size.empty() ? "" : " -F size=" + size) + "\n";
    return "curl -s " + base + "/v1/generations \\\n  -H \"Authorization: Bearer $PICTOR_API_KEY\" \\\n"
           "  -H 'Content-Type: application/json' \\\n  -d '{\"model\": \"" + m.id + "\", \"input\": {\"prompt\": \"" + prompt + "\"" +
           size_json + "}, \"wait\": \"auto\"}'\n";
  };
  auto js = [&](bool edit) {
    std::string s = "import fs from \"node:fs\";\nimport OpenAI from \"openai\";\n\nconst client = new OpenAI({ baseURL: \"" + base +
                    "/v1\", apiKey: process.env.PICTOR_API_KEY });\n";
    if (edit)
      s += "const result = await client.images.edit({\n  model: \"" + m.id +
           "\",\n  image: fs.createReadStream(\"input.png\"),\n  prompt: \"make the circles green\",\n});\n";
    else
      s += "const result = await client.images.generate({\n  model: \"" + m.id + "\",\n  prompt: \"" + prompt + "\",\n" +
           (size.empty() ? "" : "  size: \"" + size + "\",\n") + "});\n";
    return s + "fs.writeFileSync(\"out.png\", Buffer.from(result.data[0].b64_json, \"base64\"));\n";
  };
  auto openai_py = [&](bool edit) {
    std::string s = "import base64\nfrom openai import OpenAI\n\nclient = OpenAI(base_url=\"" + base + "/v1\", api_key=\"YOUR_API_KEY\")\n";
    if (edit)
      s += "result = client.images.edit(model=\"" + m.id + "\", image=open(\"input.png\", \"rb\"), prompt=\"make the circles green\")\n";
    else
      s += "result = client.images.generate(model=\"" + m.id + "\", prompt=\"" + prompt + "\"" +
           (size.empty() ? "" : ", size=\"" + size + "\"") + ")\n";
    return s + "open(\"out.png\", \"wb\").write(base64.b64decode(result.data[0].b64_json))\n";
  };
  for (bool edit : {false, true}) {
    if (edit && !m.edits) break;
    const std::string mode = edit ? "edit" : "generate";
    codes.push_back({"python", "Python", mode, python(edit)});
    codes.push_back({"curl", "curl", mode, curl(edit)});
    codes.push_back({"openai-js", "OpenAI JS", mode, js(edit)});
    codes.push_back({"openai-python", "OpenAI Python", mode, openai_py(edit)});
  }
  std::string h = "<p>Run a request to see the response. The code below calls this server (<code>" + esc(base) +
                  "</code>); the OpenAI SDKs only need their base URL changed. Need an API key? Create one in the "
                  "<a href=\"/playground#keys\">playground</a>.</p>";
  h += "<div class=\"api\" data-api><div class=\"toolbar\">";
  if (m.edits)
    h += "<fieldset class=\"modes\"><legend class=\"sr-only\">Request kind</legend>"
         "<label><input type=\"radio\" name=\"api-mode\" value=\"generate\" checked> Text to image</label>"
         "<label><input type=\"radio\" name=\"api-mode\" value=\"edit\"> Image edit</label></fieldset>";
  h += "<div class=\"tabs\" role=\"tablist\" aria-label=\"Language\">";
  bool first = true;
  for (const char* lang : {"python", "curl", "openai-js", "openai-python"}) {
    const char* label = std::string(lang) == "python" ? "Python" : std::string(lang) == "curl" ? "curl"
                        : std::string(lang) == "openai-js" ? "OpenAI JS" : "OpenAI Python";
    h += "<button type=\"button\" role=\"tab\" id=\"tab-" + std::string(lang) + "\" data-lang=\"" + lang + "\" aria-selected=\"" +
         (first ? "true" : "false") + "\"" + (first ? "" : " tabindex=\"-1\"") + ">" + label + "</button>";
    first = false;
  }
  h += "</div></div>";
  for (const auto& c : codes) {
    const bool shown = c.lang == "python" && c.mode == "generate";
    h += "<div class=\"code\" role=\"tabpanel\" aria-labelledby=\"tab-" + c.lang + "\" data-lang=\"" + c.lang + "\" data-mode=\"" +
         c.mode + "\"" + (shown ? "" : " hidden") + "><pre tabindex=\"0\"><code>" + esc(c.text) +
         "</code></pre><button type=\"button\" class=\"copy ghost small\">Copy</button></div>";
  }
  // Run: the visitor's own key, kept in this tab's session storage (common.js).
  h += "<form class=\"run\" data-run data-model=\"" + esc(m.id) + "\" data-size=\"" + esc(size) + "\">"
       "<label for=\"run-prompt\">Prompt</label><textarea id=\"run-prompt\" name=\"prompt\" rows=\"2\">" + esc(prompt) +
       "</textarea>";
  if (m.edits)
    h += "<div class=\"edit-only\" hidden><label for=\"run-image\">Image to edit</label>"
         "<input id=\"run-image\" name=\"image\" type=\"file\" accept=\"image/png,image/jpeg,image/webp\"></div>";
  h += "<label for=\"run-key\">API key</label><input id=\"run-key\" name=\"key\" type=\"password\" autocomplete=\"off\" "
       "placeholder=\"pk-… (kept only in this tab)\" data-key-input>"
       "<p><button type=\"submit\">Run</button> <span class=\"status\" role=\"status\" aria-live=\"polite\"></span></p>"
       "<progress max=\"1\" value=\"0\" hidden></progress><div class=\"run-out\" hidden><img alt=\"The generated image\" "
       "class=\"result\"><pre tabindex=\"0\"><code class=\"json\"></code></pre></div></form></div>";
  return section("api", "API", h);
}

std::string pricing(ServerContext& ctx, const ModelCard& m) {
  const json full = model_json(ctx, m.id, true);
  std::string h = m.starts_at < 0 ? empty_note("No price is set for " + m.name + " on this server.")
                                  : "<p class=\"callout\">Starts at <strong>" + money(m.starts_at) + "</strong> per generated image via <strong>" +
                                        esc(m.starts_at_provider) + "</strong>.</p>";
  h += "<div class=\"table-scroll\" tabindex=\"0\"><table><caption class=\"sr-only\">Providers of " + esc(m.name) +
       "</caption><thead><tr><th scope=\"col\">Provider</th><th scope=\"col\">Price $/image</th>"
       "<th scope=\"col\" class=\"num\">Latency p50</th><th scope=\"col\" class=\"num\">p95</th><th scope=\"col\" class=\"num\">Error rate</th>"
       "<th scope=\"col\">Input</th><th scope=\"col\">Output</th></tr></thead><tbody>";
  for (const auto& r : full["providers"]) {
    std::string prices;
    for (const char* q : {"low", "medium", "high"})
      if (r["price_per_image"].contains(q) && r["price_per_image"][q].is_number())
        prices += (prices.empty() ? "" : " · ") + std::string(q) + " " + money(r["price_per_image"][q].get<double>());
    auto lat = [&](const char* k) {
      const json& v = r["latency_s"][k];
      return v.is_number() ? seconds(v.get<double>()) : std::string("not measured yet");
    };
    auto list = [](const json& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + esc(x.get<std::string>());
      return s;
    };
    const bool measured = r.value("attempts", 0) > 0;
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f %%", r.value("error_rate", 0.0) * 100);
    h += "<tr><th scope=\"row\">" + esc(r.value("provider", "")) + "</th><td>" + (prices.empty() ? "not priced" : prices) +
         "</td><td class=\"num\">" + lat("p50") + "</td><td class=\"num\">" + lat("p95") + "</td><td class=\"num\">" +
         (measured ? std::string(rate) : "no requests yet") + "</td><td>" + list(r["input"]) + "</td><td>" + list(r["output"]) +
         "</td></tr>";
  }
  h += "</tbody></table></div>";
  return section("pricing", "Pricing and providers", h);
}

// One board row of `entry` on each category and language axis of `arena` (human votes, shown only).
struct AxisScore {
  std::string axis;
  arena::LeaderboardRow row;
  size_t of = 0;
};

std::vector<AxisScore> axis_scores(ServerContext& ctx, const std::string& arena_name, const std::string& entry) {
  std::vector<AxisScore> out;
  for (const auto& k : ctx.arena->ratings().board_keys()) {
    if (k.arena != arena_name || k.judge != "human" || k.axis == "overall") continue;
    const auto board = ctx.arena->leaderboard(k.arena, k.judge, k.axis);
    size_t shown = 0;
    for (const auto& r : board.rows) shown += r.shown;
    for (const auto& r : board.rows)
      if (r.model == entry && r.shown) out.push_back({k.axis, r, shown});
  }
  return out;
}

std::string benchmarks(ServerContext& ctx, const ModelCard& m) {
  std::string h = "<p class=\"muted\">Image arena performance by prompt category and language: conservative TrueSkill "
                  "(μ − 3σ) from people's votes; an axis is shown once it has 3 or more votes for this model.</p>";
  bool any = false;
  for (const char* a : kArenas) {
    if (!competes_in(m, a)) continue;
    for (const auto& entry : m.entries) {
      const auto scores = axis_scores(ctx, a, entry);
      if (scores.empty()) continue;
      any = true;
      h += "<h3>" + esc(arena_title(a)) + (m.entries.size() > 1 ? " · " + esc(entry) : "") + "</h3>";
      for (const char* kind : {"category:", "language:"}) {
        std::vector<Bar> bars;
        std::string rows;
        for (const auto& s : scores) {
          if (s.axis.rfind(kind, 0) != 0) continue;
          bars.push_back({axis_name(s.axis), s.row.score, integer(s.row.votes) + " votes"});
          rows += "<tr><th scope=\"row\">" + esc(axis_name(s.axis)) + "</th><td class=\"num\">" + score(s.row.score) +
                  "</td><td class=\"num\">" + score(s.row.mu) + " ± " + score(3 * s.row.sigma) + "</td><td class=\"num\">" +
                  integer(s.row.votes) + "</td><td class=\"num\">#" + std::to_string(s.row.rank) + " of " + std::to_string(s.of) +
                  "</td></tr>";
        }
        const std::string what = std::string(kind) == "category:" ? "Category" : "Language";
        if (bars.empty()) {
          h += empty_note("No " + std::string(what == "Category" ? "category" : "language") + " has 3 votes for it yet.");
          continue;
        }
        h += "<div class=\"split\"><div class=\"table-scroll\" tabindex=\"0\"><table><caption>" + what + "</caption><thead><tr><th scope=\"col\">" +
             what + "</th><th scope=\"col\" class=\"num\">Score</th><th scope=\"col\" class=\"num\">μ ± 3σ</th>"
             "<th scope=\"col\" class=\"num\">Votes</th><th scope=\"col\" class=\"num\">Rank</th></tr></thead><tbody>" + rows +
             "</tbody></table></div><div>" + bar_chart(bars, arena_title(a) + " score by " + (what == "Category" ? "category" : "language")) +
             "</div></div>";
      }
    }
  }
  if (!any) h += empty_note("No category or language has 3 counted votes for " + m.name + " yet.");
  return section("benchmarks", "Benchmarks", h);
}

std::string rankings(const SiteData& site, const ModelCard& m) {
  std::string rows;
  for (const char* a : kArenas) {
    if (!competes_in(m, a)) continue;
    const auto& board = site.overall.at(a);
    for (const auto& r : board)
      if (std::find(m.entries.begin(), m.entries.end(), r.entry) != m.entries.end())
        rows += "<tr><th scope=\"row\"><a href=\"/leaderboard?arena=" + std::string(a) + "\">" + esc(arena_title(a)) + "</a></th><td>" +
                esc(r.entry) + "</td><td class=\"num\">#" + std::to_string(r.rank) + " of " + std::to_string(board.size()) +
                "</td><td class=\"num\">" + (r.rank_ub > 0 ? std::to_string(r.rank_ub) : "—") + "</td><td class=\"num\">" +
                score(r.score) + "</td><td class=\"num\">" + integer(r.votes) + "</td></tr>";
  }
  if (rows.empty())
    return section("rankings", "Leaderboard rankings",
                   empty_note(m.name + " is on no leaderboard yet: a model is ranked once it has 3 counted votes."));
  return section("rankings", "Leaderboard rankings",
                 "<div class=\"table-scroll\" tabindex=\"0\"><table><thead><tr><th scope=\"col\">Arena</th><th scope=\"col\">As</th>"
                 "<th scope=\"col\" class=\"num\">Rank</th><th scope=\"col\" class=\"num\">Rank (UB)</th>"
                 "<th scope=\"col\" class=\"num\">Score</th><th scope=\"col\" class=\"num\">Votes</th></tr></thead><tbody>" + rows +
                     "</tbody></table></div>");
}

std::string tracker(ServerContext& ctx, const ModelCard& m) {
  std::string h = "<p class=\"muted\">Score and rank over time on each arena's overall board: one point per daily snapshot "
                  "and replay, then today's live value.</p>";
  bool any = false;
  for (const char* a : kArenas) {
    if (!competes_in(m, a)) continue;
    std::vector<ChartSeries> scores, ranks;
    for (const auto& entry : m.entries) {
      auto hist = history_json(ctx, entry, "human", "overall", {a});
      if (!hist.is_ok()) continue;
      ChartSeries s{entry, {}, {}}, r{entry, {}, {}};
      for (const auto& p : (*hist)["data"][0]["points"]) {
        s.x.push_back(double(p.value("t", int64_t(0))));
        s.y.push_back(p.value("votes", 0) >= 3 ? p["score"].get<double>() : NAN);
        r.x.push_back(double(p.value("t", int64_t(0))));
        r.y.push_back(p["rank"].is_number() ? p["rank"].get<double>() : NAN);
      }
      const bool has = std::any_of(s.y.begin(), s.y.end(), [](double v) { return std::isfinite(v); });
      if (has) scores.push_back(s), ranks.push_back(r);
    }
    if (scores.empty()) continue;
    any = true;
    h += "<h3>" + esc(arena_title(a)) + "</h3><div class=\"split\"><div>" +
         line_chart(scores, {arena_title(a) + ": score (μ − 3σ) over time", "score", false, false}) + "</div><div>" +
         line_chart(ranks, {arena_title(a) + ": rank over time (1 = best)", "rank", true, true}) + "</div></div>";
  }
  if (!any) h += empty_note("No rating history yet: the tracker starts with " + m.name + "'s third counted vote.");
  return section("tracker", "Quality tracker", h);
}

std::string similar(ServerContext& ctx, const SiteData& site, const ModelCard& m) {
  std::string h;
  for (const auto& entry : m.entries) {
    const json n = neighbours_json(ctx, entry, "human");
    for (const auto& a : n["arenas"]) {
      h += "<h3>" + esc(arena_title(a.value("arena", ""))) + (m.entries.size() > 1 ? " · " + esc(entry) : "") + " · #" +
           std::to_string(a.value("rank", 0)) + "</h3><ul class=\"neighbours\">";
      for (const char* side : {"above", "below"}) {
        const json& o = a[side];
        if (o.is_null()) {
          h += "<li class=\"muted\">" + std::string(std::string(side) == "above" ? "Nobody ranks above it." : "Nobody ranks below it.") + "</li>";
          continue;
        }
        const json& hh = o["head_to_head"];
        h += "<li><span class=\"muted\">" + std::string(side) + ":</span> " + entry_link(site, o.value("model", "")) + " — #" +
             std::to_string(o.value("rank", 0)) + ", score " + score(o.value("score", 0.0)) + " (" +
             (o.value("gap", 0.0) >= 0 ? "+" : "") + score(o.value("gap", 0.0)) + "); head to head " +
             std::to_string(hh.value("wins", 0)) + " wins, " + std::to_string(hh.value("losses", 0)) + " losses, " +
             std::to_string(hh.value("ties", 0)) + " ties</li>";
      }
      h += "</ul>";
    }
  }
  if (h.empty())
    return section("similar", "Similar models", empty_note("No neighbours yet: " + m.name + " is on no arena board (3 counted votes)."));
  return section("similar", "Similar models", "<p class=\"muted\">Its closest neighbours on each arena it competes in.</p>" + h);
}

std::string license(const ModelCard& m) {
  std::string h = "<dl class=\"facts\"><div><dt>Licence</dt><dd>" + (m.license_name.empty() ? "not stated" : esc(m.license_name)) +
                  "</dd></div><div><dt>Commercial use</dt><dd>" +
                  (m.commercial_use ? (*m.commercial_use ? "allowed" : "not allowed") : "not stated") + "</dd></div>";
  if (!m.license_url.empty()) h += "<div><dt>Terms</dt><dd><a href=\"" + esc(m.license_url) + "\" rel=\"noopener\">" + esc(m.license_url) + "</a></dd></div>";
  return section("licence", "Licence", h + "</dl>");
}

std::string alike(const SiteData& site, const ModelCard& m) {
  const BoardRow* mine = site.overall_row(m, "text-to-image");
  std::vector<std::pair<double, const ModelCard*>> like;
  for (const auto& o : site.models) {
    if (o.id == m.id || o.edits != m.edits) continue;
    const BoardRow* r = site.overall_row(o, "text-to-image");
    like.push_back({mine && r ? std::fabs(r->score - mine->score) : 1e9, &o});
  }
  std::stable_sort(like.begin(), like.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (like.empty())
    return section("alike", "Models like it",
                   empty_note(std::string("No other model served here ") + (m.edits ? "also edits images." : "is text-to-image only, like it.")));
  std::string h = "<p class=\"muted\">Models served here that take the same kind of request" +
                  std::string(mine ? ", closest text-to-image score first." : ".") + "</p><ul class=\"cards\">";
  for (size_t i = 0; i < like.size() && i < 6; ++i) {
    const ModelCard& o = *like[i].second;
    const BoardRow* r = site.overall_row(o, "text-to-image");
    h += "<li class=\"card\"><h3>" + model_link(o) + "</h3><p class=\"muted\">" + esc(o.organization) + " · " +
         esc(modalities_sentence(o)) + "</p><p>" + (r ? "score " + score(r->score) : std::string("not rated yet")) + " · " +
         (o.starts_at < 0 ? std::string("no price set") : "from " + money(o.starts_at)) + "</p></li>";
  }
  return section("alike", "Models like it", h + "</ul>");
}

std::string faq(const SiteData& site, const ModelCard& m) {
  auto qa = [](const std::string& q, const std::string& a) {
    return "<details><summary>" + esc(q) + "</summary><p>" + a + "</p></details>";
  };
  std::string prices, lat;
  for (const char* q : {"low", "medium", "high"}) {
    if (auto it = m.price.find(q); it != m.price.end()) prices += (prices.empty() ? "" : ", ") + std::string(q) + " " + money(it->second);
    if (auto it = m.latency.find(q); it != m.latency.end()) lat += (lat.empty() ? "" : ", ") + std::string(q) + " " + seconds(it->second);
  }
  std::string h;
  h += qa("How much does " + m.name + " cost?",
          prices.empty() ? "No price is set for it on this server."
                         : "Per generated image, by quality: " + prices + " (the cheapest provider's price). It starts at " +
                               money(m.starts_at) + " via " + esc(m.starts_at_provider) + ".");
  h += qa("How fast is it?", lat.empty() ? "No job has run on it here yet; the median appears after the first one."
                                         : "Median seconds per image over its last measured jobs here: " + lat + ".");
  h += qa("Can it edit images?", m.edits ? std::string("Yes: send an input image to /v1/images/edits (or input.images to /v1/generations)") +
                                               (m.mask ? ", optionally with a mask whose transparent pixels mark the area to change." : ".")
                                         : "No: it only draws from text.");
  std::string rated;
  for (const char* a : kArenas)
    if (const BoardRow* r = site.overall_row(m, a))
      rated += (rated.empty() ? "" : "; ") + arena_title(a) + ": #" + std::to_string(r->rank) + " with " + score(r->score) +
               " from " + integer(r->votes) + " votes";
  h += qa("How is it rated?", "By people's blind votes in this server's arena: each battle shows 2–4 anonymous images of one "
                              "prompt, and the score is TrueSkill's μ − 3σ, shown once a model has 3 counted votes. " +
                                  (rated.empty() ? std::string("It has no score yet.") : esc(rated) + "."));
  h += qa("Which sizes can it draw?", m.sizes.empty() ? "Any size the server allows." : [&] {
    std::string s;
    for (const auto& x : m.sizes) s += (s.empty() ? "" : ", ") + esc(x);
    return s + ".";
  }());
  h += qa("What may I do with its images?", m.license_name.empty() ? "The licence is not stated in its catalog entry."
                                                                    : "It is under " + esc(m.license_name) + "; commercial use is " +
                                                                          (m.commercial_use ? (*m.commercial_use ? "allowed" : "not allowed") : "not stated") + ".");
  return section("faq", "FAQ", h);
}

}  // namespace

void model_page(ServerContext& ctx, const SiteData& site, const ModelCard& m, const httplib::Request& req, httplib::Response& res) {
  Page p;
  p.title = m.name;
  p.nav = "models";
  p.description = m.name + " by " + m.organization + ": examples, API, pricing, arena scores.";
  p.scripts = {"model.js"};
  p.body = header(m);
  p.body += "<nav class=\"toc\" aria-label=\"On this page\"><ul><li><a href=\"#examples\">Examples</a></li><li><a href=\"#api\">API</a></li>"
            "<li><a href=\"#pricing\">Pricing</a></li><li><a href=\"#benchmarks\">Benchmarks</a></li><li><a href=\"#rankings\">Rankings</a></li>"
            "<li><a href=\"#tracker\">Quality tracker</a></li><li><a href=\"#similar\">Similar</a></li><li><a href=\"#licence\">Licence</a></li>"
            "<li><a href=\"#alike\">Models like it</a></li><li><a href=\"#faq\">FAQ</a></li></ul></nav>";
  p.body += examples(ctx, site, m);
  p.body += api_section(m, base_url(req));
  p.body += pricing(ctx, m);
  p.body += benchmarks(ctx, m);
  p.body += rankings(site, m);
  p.body += tracker(ctx, m);
  p.body += similar(ctx, site, m);
  p.body += license(m);
  p.body += alike(site, m);
  p.body += faq(site, m);
  send_page(res, p);
}

}  // namespace pictor::server::web
