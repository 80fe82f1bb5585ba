#pragma once
// What the pages show, gathered once per request from the same sources as the /v1 routes: the
// catalog (model_json), the providers table, and the arena's boards (leaderboard_json).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/context.h"

namespace pictor::server::web {

inline constexpr const char* kArenas[] = {"text-to-image", "image-edit"};
std::string arena_title(const std::string& arena);  // "Text to image", "Image edit"
// A string field of a JSON object; "" when it is null or missing.
std::string text_of(const nlohmann::json& j, const char* key);

// One row of an arena board (leaderboard_json's data[] entry).
struct BoardRow {
  int rank = 0, rank_ub = 0;
  std::string entry;  // the name on the board ("pictor-mini-fast")
  double score = 0, mu = 0, sigma = 0;
  int64_t votes = 0;
  double bt = NAN, bt_lo = NAN, bt_hi = NAN;
};
std::vector<BoardRow> board_rows(const nlohmann::json& leaderboard);

struct ModelCard {
  std::string id, name, organization, org_slug, description, release_date;
  std::string license_name, license_url;
  std::optional<bool> commercial_use;
  std::vector<std::string> inputs, outputs, sizes, qualities;
  bool edits = false, mask = false;
  std::map<std::string, double> price;    // quality → cheapest provider's $ per image (missing: unknown)
  std::map<std::string, double> latency;  // quality → median measured s per image (missing: none yet)
  double starts_at = -1;                  // the lowest price any provider asks, at any quality
  std::string starts_at_provider;
  std::vector<std::string> providers;
  std::vector<std::string> entries;       // its names in the arena (pictor-mini, pictor-mini-fast)
  nlohmann::json catalog;                 // model_json(ctx, id, false)
};

struct SiteData {
  std::vector<ModelCard> models;               // the server's order
  std::map<std::string, std::string> entry_model;  // arena name → model id
  std::map<std::string, std::vector<BoardRow>> overall;  // arena → its overall board (human votes)
  std::map<std::string, int64_t> overall_votes;          // arena → votes counted there
  const ModelCard* find(const std::string& id) const;
  // The model an arena name belongs to (itself when it is no entry of a local engine).
  const ModelCard* model_of(const std::string& entry) const;
  // The model's row on `arena`'s overall board under its main name (the entry named like the
  // model, else its first entry on the board); null when it has none there yet.
  const BoardRow* overall_row(const ModelCard& m, const std::string& arena) const;
};
SiteData site_data(ServerContext& ctx);

// "Text and image in, image out".
std::string modalities_sentence(const ModelCard& m);
// A model's name, linked to its page.
std::string model_link(const ModelCard& m);
// An arena name linked to its model's page (with the model's display name when they differ).
std::string entry_link(const SiteData& site, const std::string& entry);

void register_model_pages(httplib::Server& svr, ServerContext& ctx);  // /, /models/{id}, /organizations[/{org}]
void register_board_pages(httplib::Server& svr, ServerContext& ctx);  // /leaderboard
void register_app_pages(httplib::Server& svr, ServerContext& ctx);    // /arena, /playground, /static, 404s
// /models/{id} (web_model_page.cpp).
void model_page(ServerContext& ctx, const SiteData& site, const ModelCard& m, const httplib::Request& req,
                httplib::Response& res);

}  // namespace pictor::server::web
