// The pages' data: catalog cards and the arenas' overall boards, read once per page.
#include "server/web_data.h"

#include <algorithm>
#include <cmath>

#include "arena/arena_service.h"
#include "server/arena_http.h"
#include "server/catalog_view.h"
#include "server/web_html.h"

namespace pictor::server::web {

using nlohmann::json;

// A string field that may be null or missing ("" then).
std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string arena_title(const std::string& arena) { return arena == "image-edit" ? "Image edit" : "Text to image"; }

std::vector<BoardRow> board_rows(const json& leaderboard) {
  std::vector<BoardRow> out;
  for (const auto& r : leaderboard.value("data", json::array())) {
    BoardRow b;
    b.rank = r.value("rank", 0);
    b.rank_ub = r.value("rank_ub", 0);
    b.entry = text_of(r, "model");
    auto d = [](const json& v) { return v.is_number() ? v.get<double>() : NAN; };
    b.score = d(r["score"]);
    b.mu = d(r["mu"]);
    b.sigma = d(r["sigma"]);
    b.votes = r.value("votes", int64_t(0));
    b.bt = d(r["bt"]["rating"]);
    b.bt_lo = d(r["bt"]["lo"]);
    b.bt_hi = d(r["bt"]["hi"]);
    out.push_back(b);
  }
  return out;
}

const ModelCard* SiteData::find(const std::string& id) const {
  for (const auto& m : models)
    if (m.id == id) return &m;
  return nullptr;
}

const ModelCard* SiteData::model_of(const std::string& entry) const {
  auto it = entry_model.find(entry);
  return find(it == entry_model.end() ? entry : it->second);
}

const BoardRow* SiteData::overall_row(const ModelCard& m, const std::string& arena) const {
  auto it = overall.find(arena);
  if (it == overall.end()) return nullptr;
  const BoardRow* first = nullptr;
  for (const auto& r : it->second) {
    if (r.entry == m.id) return &r;
    if (!first && std::find(m.entries.begin(), m.entries.end(), r.entry) != m.entries.end()) first = &r;
  }
  return first;
}

SiteData site_data(ServerContext& ctx) {
  SiteData site;
  std::map<std::string, std::vector<std::string>> entries_of;
  for (const auto& e : ctx.arena->entries()) {
    site.entry_model[e.id] = e.model;
    entries_of[e.model].push_back(e.id);
  }
  for (const auto& id : offered_models(ctx)) {
    ModelCard m;
    m.id = id;
    m.catalog = model_json(ctx, id, false);
    const json& c = m.catalog;
    m.name = text_of(c, "name");
    if (m.name.empty()) m.name = id;
    m.organization = text_of(c, "organization");
    if (m.organization.empty()) m.organization = text_of(c, "owned_by");
    if (m.organization.empty()) m.organization = "unknown";
    m.org_slug = slug(m.organization);
    m.description = text_of(c, "description");
    m.release_date = text_of(c, "release_date");
    if (c.contains("license") && c["license"].is_object()) {
      const json& l = c["license"];
      m.license_name = text_of(l, "name");
      m.license_url = text_of(l, "url");
      if (l.contains("commercial_use") && l["commercial_use"].is_boolean()) m.commercial_use = l["commercial_use"].get<bool>();
    }
    if (c.contains("modalities")) {
      m.inputs = c["modalities"].value("input", std::vector<std::string>{});
      m.outputs = c["modalities"].value("output", std::vector<std::string>{});
    }
    const json caps = c.value("capabilities", json::object());
    m.edits = caps.value("edits", false);
    m.mask = caps.value("mask", false);
    m.sizes = caps.value("sizes", std::vector<std::string>{});
    m.qualities = caps.value("qualities", std::vector<std::string>{});
    for (const auto& [q, v] : c["pricing"]["per_image"].items())
      if (v.is_number()) m.price[q] = v.get<double>();
    for (const auto& [q, v] : c["latency"]["median_seconds_per_image"].items())
      if (v.is_number()) m.latency[q] = v.get<double>();
    for (const auto& row : ctx.router->rows(id)) {
      m.providers.push_back(row.provider);
      for (const auto& [q, v] : row.prices.items())
        if (v.is_number() && (m.starts_at < 0 || v.get<double>() < m.starts_at)) {
          m.starts_at = v.get<double>();
          m.starts_at_provider = row.provider;
        }
    }
    auto e = entries_of.find(id);
    m.entries = e == entries_of.end() ? std::vector<std::string>{id} : e->second;
    site.models.push_back(std::move(m));
  }
  for (const char* a : kArenas) {
    const json board = leaderboard_json(ctx, a, "human", "overall");
    site.overall[a] = board_rows(board);
    site.overall_votes[a] = board.value("votes", int64_t(0));
  }
  return site;
}

std::string modalities_sentence(const ModelCard& m) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + v[i];
    return s;
  };
  std::string in = list(m.inputs), out = list(m.outputs);
  if (in.empty()) in = "text";
  if (out.empty()) out = "image";
  in[0] = char(std::toupper((unsigned char)in[0]));
  return in + " in, " + out + " out";
}

std::string model_link(const ModelCard& m) { return "<a href=\"/models/" + url_part(m.id) + "\">" + esc(m.name) + "</a>"; }

std::string entry_link(const SiteData& site, const std::string& entry) {
  const ModelCard* m = site.model_of(entry);
  if (!m) return esc(entry);
  std::string label = esc(m->name);
  if (entry != m->id) label += " <span class=\"muted\">(" + esc(entry) + ")</span>";
  return "<a href=\"/models/" + url_part(m->id) + "\">" + label + "</a>";
}

}  // namespace pictor::server::web
