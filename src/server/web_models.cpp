// GET / (every model with its arena scores, price and latency), /organizations,
// /organizations/{org} and the route of /models/{id} (rendered in web_model_page.cpp).
#include <algorithm>
#include <set>

#include "server/web_data.h"
#include "server/web_html.h"

namespace pictor::server::web {

namespace {

std::string score_cell(const SiteData& site, const ModelCard& m, const std::string& arena) {
  const BoardRow* r = site.overall_row(m, arena);
  if (!r) {
    const bool competes = arena == "text-to-image" || m.edits;
    return "<td class=\"num muted\" data-sort=\"-1e9\">" + std::string(competes ? "not rated yet" : "does not edit") + "</td>";
  }
  return "<td class=\"num\" data-sort=\"" + score(r->score) + "\"><strong>" + score(r->score) + "</strong> <span class=\"muted\">#" +
         std::to_string(r->rank) + " · " + integer(r->votes) + " votes</span></td>";
}

std::string price_cell(const ModelCard& m) {
  if (m.starts_at < 0) return "<td class=\"num muted\" data-sort=\"1e9\">no price set</td>";
  return "<td class=\"num\" data-sort=\"" + std::to_string(m.starts_at) + "\">" + money(m.starts_at) + "</td>";
}

std::string latency_cell(const ModelCard& m) {
  auto it = m.latency.find("medium");
  if (it == m.latency.end()) {
    for (const auto& [q, s] : m.latency) return "<td class=\"num\" data-sort=\"" + std::to_string(s) + "\">" + seconds(s) +
                                                " <span class=\"muted\">(" + esc(q) + ")</span></td>";
    return "<td class=\"num muted\" data-sort=\"1e9\">none measured</td>";
  }
  return "<td class=\"num\" data-sort=\"" + std::to_string(it->second) + "\">" + seconds(it->second) + "</td>";
}

std::string license_text(const ModelCard& m) { return m.license_name.empty() ? "not stated" : m.license_name; }

// The models table of the home page and of an organisation's page.
std::string models_table(const SiteData& site, const std::vector<const ModelCard*>& models, bool with_org) {
  std::string h = "<div class=\"table-scroll\" tabindex=\"0\"><table class=\"sortable\"><caption class=\"sr-only\">Models</caption><thead><tr>"
                  "<th scope=\"col\">Model</th>";
  if (with_org) h += "<th scope=\"col\">Organization</th>";
  h += "<th scope=\"col\" class=\"num\">Text-to-image score</th><th scope=\"col\" class=\"num\">Image-edit score</th>"
       "<th scope=\"col\" class=\"num\">From $/image</th><th scope=\"col\" class=\"num\">Latency (median)</th>"
       "<th scope=\"col\">Licence</th></tr></thead><tbody>";
  for (const ModelCard* m : models) {
    h += "<tr><th scope=\"row\">" + model_link(*m) + "<div class=\"muted small\">" + esc(modalities_sentence(*m)) + "</div></th>";
    if (with_org) h += "<td><a href=\"/organizations/" + url_part(m->org_slug) + "\">" + esc(m->organization) + "</a></td>";
    h += score_cell(site, *m, "text-to-image") + score_cell(site, *m, "image-edit") + price_cell(*m) + latency_cell(*m);
    h += "<td>" + esc(license_text(*m)) + "</td></tr>";
  }
  h += "</tbody></table></div>";
  return h;
}

void home(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  const SiteData site = site_data(ctx);
  std::vector<const ModelCard*> models;
  for (const auto& m : site.models) models.push_back(&m);
  // Best text-to-image score first; unrated models keep the server's order after them.
  std::stable_sort(models.begin(), models.end(), [&](const ModelCard* a, const ModelCard* b) {
    const BoardRow* ra = site.overall_row(*a, "text-to-image");
    const BoardRow* rb = site.overall_row(*b, "text-to-image");
    if (!ra || !rb) return ra && !rb;
    return ra->score > rb->score;
  });
  Page p;
  p.title = "Image models";
  p.nav = "models";
  p.description = "The image models this pictor server offers, with their arena scores, prices and measured latency.";
  p.scripts = {"tables.js"};
  const int64_t votes = site.overall_votes.at("text-to-image") + site.overall_votes.at("image-edit");
  p.body = "<section class=\"hero\"><h1>Image models</h1><p class=\"lead\">" + integer(int64_t(site.models.size())) +
           (site.models.size() == 1 ? " model" : " models") + " served here, rated by " + integer(votes) +
           " counted arena votes. Scores are conservative TrueSkill (μ − 3σ) from people's blind votes; prices come from "
           "this server's price table and providers; latency is the median of measured jobs.</p>"
           "<p><a class=\"button\" href=\"/arena\">Vote in the arena</a> <a class=\"button ghost\" href=\"/playground\">"
           "Try a model</a></p></section>";
  p.body += models_table(site, models, true);
  if (votes == 0)
    p.body += "<p class=\"note\">No arena votes yet: a model gets a score once it has 3 counted votes. "
              "<a href=\"/arena\">Cast the first ones.</a></p>";
  send_page(res, p);
}

struct Org {
  std::string name, slug;
  std::vector<const ModelCard*> models;
};

std::vector<Org> organizations(const SiteData& site) {
  std::vector<Org> orgs;
  for (const auto& m : site.models) {
    auto it = std::find_if(orgs.begin(), orgs.end(), [&](const Org& o) { return o.slug == m.org_slug; });
    if (it == orgs.end()) {
      orgs.push_back({m.organization, m.org_slug, {}});
      it = orgs.end() - 1;
    }
    it->models.push_back(&m);
  }
  std::sort(orgs.begin(), orgs.end(), [](const Org& a, const Org& b) { return a.name < b.name; });
  return orgs;
}

void organizations_page(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  const SiteData site = site_data(ctx);
  Page p;
  p.title = "Organizations";
  p.nav = "organizations";
  p.description = "Who made the image models this server offers.";
  p.body = "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li aria-current=\"page\">Organizations</li></ol></nav>"
           "<h1>Organizations</h1><p class=\"lead\">Who made the models served here.</p><ul class=\"cards\">";
  for (const auto& o : organizations(site)) {
    std::string best;
    double top = -1e300;
    for (const ModelCard* m : o.models)
      if (const BoardRow* r = site.overall_row(*m, "text-to-image"); r && r->score > top) top = r->score, best = m->name;
    p.body += "<li class=\"card\"><h2><a href=\"/organizations/" + url_part(o.slug) + "\">" + esc(o.name) + "</a></h2><p>" +
              std::to_string(o.models.size()) + (o.models.size() == 1 ? " model" : " models") + "</p><p class=\"muted\">" +
              (best.empty() ? std::string("No text-to-image score yet") : "Best text-to-image score: " + score(top) + " (" + esc(best) + ")") +
              "</p></li>";
  }
  p.body += "</ul>";
  send_page(res, p);
}

void organization_page(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const SiteData site = site_data(ctx);
  const std::string wanted = req.matches[1];
  for (const auto& o : organizations(site)) {
    if (o.slug != wanted) continue;
    Page p;
    p.title = o.name;
    p.nav = "organizations";
    p.description = "Image models by " + o.name + " served here, with their arena scores.";
    p.scripts = {"tables.js"};
    p.body = "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><ol><li><a href=\"/organizations\">Organizations</a></li>"
             "<li aria-current=\"page\">" + esc(o.name) + "</li></ol></nav><h1>" + esc(o.name) + "</h1><p class=\"lead\">" +
             std::to_string(o.models.size()) + (o.models.size() == 1 ? " model" : " models") + " by " + esc(o.name) +
             " served here.</p>" + models_table(site, o.models, false);
    return send_page(res, p);
  }
  send_not_found(res, "No organization called “" + wanted + "” here",
                 "This server offers no model by that organization. The organizations it has are listed on the Organizations page.");
}

}  // namespace

void register_model_pages(httplib::Server& svr, ServerContext& ctx) {
  add_route(svr, ctx, "GET", "/", "/", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { home(ctx, req, res); });
  add_route(svr, ctx, "GET", "/organizations", "/organizations", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { organizations_page(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/organizations/([^/]+))", "/organizations/{org}", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { organization_page(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/models/([^/]+))", "/models/{id}", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) {
              const SiteData site = site_data(ctx);
              const std::string id = req.matches[1];
              const ModelCard* m = site.find(id);
              if (!m) {
                // An arena name (pictor-mini-fast) leads to its model's page.
                if (const ModelCard* owner = site.model_of(id); owner && site.entry_model.count(id)) {
                  res.status = 302;
                  res.set_header("Location", "/models/" + url_part(owner->id));
                  return;
                }
                return send_not_found(res, "No model called “" + id + "” here",
                                      "This server does not offer a model with that id. Every model it offers is listed on the models page.");
              }
              model_page(ctx, site, *m, req, res);
            });
}

}  // namespace pictor::server::web
