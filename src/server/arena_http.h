#pragma once
// What the arena route files share: who the voter is (an API key, or a signed anonymous cookie
// for web voters), the JSON a voter may see of a battle, and error mapping.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>

#include "arena/arena_service.h"
#include "server/context.h"

namespace pictor::server {

struct Voter {
  std::string id;       // "key:<key id>", "anon_…" (cookie) or "local" (--no-auth without a cookie)
  std::string key_id;
  bool admin = false;
  bool anonymous = false;
};

// Arena routes take an API key or, without one, the voter cookie (issued on first use). Answers
// 401/403/429 like other routes when a key is given and wrong. Returns false after sending an error.
bool identify_voter(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, Voter& voter);

// Status → envelope for arena errors: conflict is 409 here (one vote per battle, too few models).
ApiError arena_error(const Status& s, const std::string& param = "");

// The battle as a voter sees it: slots a–d with anonymous image URLs, no model, job, provider or
// timing before the vote; after it, each slot's model and the vote.
nlohmann::json battle_json(const arena::BattleView& v);

void register_arena_rating_routes(httplib::Server& svr, ServerContext& ctx);

// The rating reads as JSON, shared by the /v1/arena routes and the web pages (src/server/web_*.cpp).
// overall, category:<id> (a known category) or language:<code>.
bool valid_arena_axis(const std::string& axis);
// GET /v1/arena/leaderboard's body: the models shown on (arena, judge, axis), best first.
nlohmann::json leaderboard_json(ServerContext& ctx, const std::string& arena, const std::string& judge, const std::string& axis);
// GET /v1/arena/models/{id}/history's body: snapshots then the live value, per arena.
Result<nlohmann::json> history_json(ServerContext& ctx, const std::string& model, const std::string& judge,
                                    const std::string& axis, const std::vector<std::string>& arenas);
// GET /v1/arena/models/{id}/neighbours's body.
nlohmann::json neighbours_json(ServerContext& ctx, const std::string& model, const std::string& judge);
// GET /v1/arena/models/{id}/examples's body: its voted wins, best-scored opponents first.
nlohmann::json examples_json(ServerContext& ctx, const std::string& model, int limit);

}  // namespace pictor::server
