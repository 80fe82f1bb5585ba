// The arena's ratings: GET /v1/arena/leaderboard, /v1/arena/models/{id}/history|neighbours|examples,
// /v1/arena/votes?format=jsonl (export), /v1/arena/entries; admin: POST /v1/arena/replay,
// POST|DELETE /v1/arena/voters/{id}/exclusion. See docs/arena.md.
#include <cmath>

#include "arena/axes/prompt_category.h"
#include "arena/axes/prompt_language.h"
#include "arena/voter_token.h"
#include "core/utf8.h"
#include "server/arena_http.h"

namespace pictor::server {

using nlohmann::json;

namespace {

bool param_one_of(const httplib::Request& req, const char* name, std::initializer_list<const char*> allowed,
                  std::string& out, ApiError& err) {
  if (!req.has_param(name)) return true;
  const std::string v = req.get_param_value(name);
  std::string list;
  for (const char* a : allowed) {
    if (v == a) {
      out = v;
      return true;
    }
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  err = bad_request(std::string("'") + name + "' must be one of " + list, name, "invalid_value");
  return false;
}

}  // namespace

bool valid_arena_axis(const std::string& axis) {
  if (axis == "overall") return true;
  if (axis.rfind("category:", 0) == 0) {
    for (const auto& c : arena::categories())
      if (axis == "category:" + c.id) return true;
    return false;
  }
  if (axis.rfind("language:", 0) == 0) {
    const std::string code = axis.substr(9);
    return code.size() >= 2 && code.size() <= 8 &&
           std::all_of(code.begin(), code.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
  }
  return false;
}

namespace {

json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json row_json(const arena::LeaderboardRow& r) {
  return {{"rank", r.rank},       {"rank_ub", r.rank_ub}, {"model", r.model},
          {"score", num(r.score)}, {"mu", num(r.mu)},      {"sigma", num(r.sigma)},
          {"votes", r.votes},      {"bt", {{"rating", num(r.bt)}, {"lo", num(r.bt_lo)}, {"hi", num(r.bt_hi)}}}};
}

// Common query: arena (text-to-image), judge (human).
bool board_params(const httplib::Request& req, std::string& arena_name, std::string& judge, ApiError& err) {
  arena_name = "text-to-image";
  judge = "human";
  return param_one_of(req, "arena", {"text-to-image", "image-edit"}, arena_name, err) &&
         param_one_of(req, "judge", {"human", "auto"}, judge, err);
}

void leaderboard(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string arena_name, judge;
  ApiError err;
  if (!board_params(req, arena_name, judge, err)) return send_error(res, err);
  const std::string axis = req.has_param("axis") ? req.get_param_value("axis") : "overall";
  if (!valid_arena_axis(axis))
    return send_error(res, bad_request("'axis' must be overall, category:<id> (see /v1/arena/entries) or language:<code>",
                                       "axis", "invalid_value"));
  send_json(res, 200, leaderboard_json(ctx, arena_name, judge, axis));
}

std::vector<std::string> arenas_of(const httplib::Request& req, ApiError& err, bool& ok) {
  ok = true;
  if (!req.has_param("arena")) return {"text-to-image", "image-edit"};
  std::string a;
  ok = param_one_of(req, "arena", {"text-to-image", "image-edit"}, a, err);
  return {a};
}

void history(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string model = req.matches[1];
  ApiError err;
  std::string judge = "human";
  if (!param_one_of(req, "judge", {"human", "auto"}, judge, err)) return send_error(res, err);
  const std::string axis = req.has_param("axis") ? req.get_param_value("axis") : "overall";
  if (!valid_arena_axis(axis)) return send_error(res, bad_request("'axis' is not a known axis", "axis", "invalid_value"));
  bool ok = true;
  const auto arenas = arenas_of(req, err, ok);
  if (!ok) return send_error(res, err);
  auto body = history_json(ctx, model, judge, axis, arenas);
  if (!body.is_ok()) return send_error(res, arena_error(body.status()));
  send_json(res, 200, *body);
}

void neighbours(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  ApiError err;
  std::string judge = "human";
  if (!param_one_of(req, "judge", {"human", "auto"}, judge, err)) return send_error(res, err);
  send_json(res, 200, neighbours_json(ctx, req.matches[1], judge));
}

void examples(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  int limit = 6;
  if (req.has_param("limit")) {
    const std::string v = req.get_param_value("limit");
    if (v.empty() || v.size() > 2 || !std::all_of(v.begin(), v.end(), ::isdigit) || std::stoi(v) < 1 || std::stoi(v) > 50)
      return send_error(res, bad_request("'limit' must be 1–50", "limit", "invalid_value"));
    limit = std::stoi(v);
  }
  send_json(res, 200, examples_json(ctx, req.matches[1], limit));
}

// JSON lines in the replay format (`pictor arena replay`), voters pseudonymised.
void export_votes(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string format = "jsonl";
  ApiError err;
  if (!param_one_of(req, "format", {"jsonl"}, format, err)) return send_error(res, err);
  auto votes = ctx.store->list_arena_votes({});
  if (!votes.is_ok()) return send_error(res, arena_error(votes.status()));
  const std::string& secret = ctx.arena->options().secret;
  std::string out;
  for (const auto& v : *votes) {
    json line = {{"models", v.models},
                 {"ranks", v.ranks},
                 {"ts", double(v.created_at_ms) / 1000.0},
                 {"arena", v.arena},
                 {"judge", v.judge},
                 {"category", v.category},
                 {"language", v.language},
                 {"weight", v.weight},
                 {"counted", v.counted},
                 {"battle", v.battle_id},
                 {"voter", arena::voter_pseudonym(secret, v.voter_id)}};
    if (!v.counted) line["exclusion_reason"] = v.exclusion_reason;
    out += line.dump() + "\n";
  }
  res.status = 200;
  res.set_header("Content-Disposition", "attachment; filename=\"arena-votes.jsonl\"");
  res.set_content(out, "application/x-ndjson");
}

void entries(ServerContext& ctx, const httplib::Request&, httplib::Response& res) {
  json models = json::array();
  for (const auto& e : ctx.arena->entries())
    models.push_back({{"id", e.id}, {"model", e.model}, {"quality", e.quality},
                      {"arenas", e.edits ? json{"text-to-image", "image-edit"} : json{"text-to-image"}}});
  json cats = json::array();
  for (const auto& c : arena::categories()) cats.push_back({{"id", c.id}, {"name", c.display_name}, {"rule", c.rule}});
  json axes = json::array();
  for (const auto& k : ctx.arena->ratings().board_keys()) axes.push_back({{"arena", k.arena}, {"judge", k.judge}, {"axis", k.axis}});
  send_json(res, 200, {{"object", "arena.entries"}, {"data", models}, {"categories", cats}, {"boards", axes}});
}

bool require_admin(const Caller& caller, httplib::Response& res) {
  if (caller.admin) return true;
  send_error(res, ApiError{403, "This needs a key with the admin scope (pictor keys create --admin)", "permission_error", "",
                           "forbidden"});
  return false;
}

}  // namespace

json leaderboard_json(ServerContext& ctx, const std::string& arena_name, const std::string& judge, const std::string& axis) {
  const auto board = ctx.arena->leaderboard(arena_name, judge, axis);
  json rows = json::array();
  for (const auto& r : board.rows)
    if (r.shown) rows.push_back(row_json(r));
  return {{"object", "arena.leaderboard"},
          {"arena", arena_name},
          {"judge", judge},
          {"axis", axis},
          {"min_votes", ctx.arena->options().ratings.min_votes},
          {"votes", board.votes},
          {"bt_stale", ctx.arena->ratings().stale()},
          {"data", rows}};
}

Result<json> history_json(ServerContext& ctx, const std::string& model, const std::string& judge, const std::string& axis,
                          const std::vector<std::string>& arenas) {
  json data = json::array();
  for (const auto& a : arenas) {
    store::RatingHistoryQuery q;
    q.model = model;
    q.arena = a;
    q.judge = judge;
    q.axis = axis;
    auto rows = ctx.store->rating_history(q);
    if (!rows.is_ok()) return rows.status();
    json points = json::array();
    for (const auto& r : *rows)
      points.push_back({{"t", r.taken_at_ms / 1000}, {"score", r.score}, {"mu", r.mu}, {"sigma", r.sigma},
                        {"rank", r.rank > 0 ? json(r.rank) : json(nullptr)}, {"votes", r.votes}, {"reason", r.reason}});
    // The live value as the last point, so the tracker ends at today.
    for (const auto& r : ctx.arena->leaderboard(a, judge, axis).rows)
      if (r.model == model)
        points.push_back({{"t", store::now_ms() / 1000}, {"score", r.score}, {"mu", r.mu}, {"sigma", r.sigma},
                          {"rank", r.shown ? json(r.rank) : json(nullptr)}, {"votes", r.votes}, {"reason", "live"}});
    data.push_back({{"arena", a}, {"points", points}});
  }
  return json{{"object", "arena.history"}, {"model", model}, {"judge", judge}, {"axis", axis}, {"data", data}};
}

json neighbours_json(ServerContext& ctx, const std::string& model, const std::string& judge) {
  json arenas = json::array();
  std::map<std::string, std::vector<double>> gaps;  // other model → |score gap| per shared arena
  for (const char* a : {"text-to-image", "image-edit"}) {
    const auto board = ctx.arena->leaderboard(a, judge, "overall");
    std::vector<arena::LeaderboardRow> shown;
    for (const auto& r : board.rows)
      if (r.shown) shown.push_back(r);
    auto me = std::find_if(shown.begin(), shown.end(), [&](const auto& r) { return r.model == model; });
    if (me == shown.end()) continue;
    auto entry = [&](const arena::LeaderboardRow& other) {
      const auto h = ctx.arena->ratings().head_to_head(a, judge, model, other.model);
      return json{{"model", other.model},
                  {"rank", other.rank},
                  {"score", other.score},
                  {"gap", other.score - me->score},
                  {"head_to_head", {{"wins", h.wins}, {"losses", h.losses}, {"ties", h.ties}}}};
    };
    json above = me == shown.begin() ? json(nullptr) : entry(*(me - 1));
    json below = me + 1 == shown.end() ? json(nullptr) : entry(*(me + 1));
    for (const auto& r : shown)
      if (r.model != model) gaps[r.model].push_back(std::fabs(r.score - me->score));
    arenas.push_back({{"arena", a}, {"rank", me->rank}, {"score", me->score}, {"above", above}, {"below", below}});
  }
  std::vector<std::pair<double, std::string>> closest;
  for (const auto& [m, g] : gaps) {
    double sum = 0;
    for (double x : g) sum += x;
    closest.push_back({sum / double(g.size()), m});
  }
  std::sort(closest.begin(), closest.end());
  json across = json::array();
  for (size_t i = 0; i < closest.size() && i < 5; ++i)
    across.push_back({{"model", closest[i].second}, {"mean_gap", closest[i].first}, {"arenas", gaps[closest[i].second].size()}});
  return {{"object", "arena.neighbours"}, {"model", model}, {"judge", judge}, {"arenas", arenas}, {"closest", across}};
}

json examples_json(ServerContext& ctx, const std::string& model, int limit) {
  // Its wins and first-place ties, best-scored opponents first, then newest.
  struct Example {
    double opponent_score;
    int64_t ts;
    json body;
  };
  std::map<std::string, std::map<std::string, arena::LeaderboardRow>> boards;  // per arena, read once
  std::vector<Example> found;
  for (const auto& win : ctx.arena->ratings().wins_of(model, "human", 500)) {
    const auto& v = win.vote;
    auto b = boards.find(v.arena);
    if (b == boards.end()) b = boards.emplace(v.arena, ctx.arena->ratings().overall(v.arena, "human")).first;
    double best = -1e9;
    std::string opponent;
    for (const auto& m : v.models)
      if (m != model) {
        auto it = b->second.find(m);
        const double s = it == b->second.end() ? 0 : it->second.score;
        if (s > best) best = s, opponent = m;
      }
    found.push_back({best, v.ts_ms, json{{"battle", win.meta.battle_id}, {"arena", v.arena}, {"opponent", opponent}}});
  }
  std::stable_sort(found.begin(), found.end(), [](const Example& a, const Example& b) {
    return a.opponent_score != b.opponent_score ? a.opponent_score > b.opponent_score : a.ts > b.ts;
  });
  json data = json::array();
  int looked = 0;
  for (const auto& e : found) {
    // Votes replayed from a log may name battles this store never had: look at a bounded number.
    if (int(data.size()) >= limit || ++looked > limit * 8) break;
    const std::string id = e.body["battle"];
    auto b = ctx.store->get_arena_battle(id);
    if (!b.is_ok()) continue;
    auto p = ctx.store->get_arena_prompt(b->prompt_id);
    auto vote = ctx.store->get_arena_vote_for_battle(id);
    if (!p.is_ok() || !vote.is_ok() || !vote->has_value()) continue;
    std::string mine, theirs;
    std::string outcome = "win";
    for (size_t i = 0; i < b->contestants.size(); ++i) {
      if (b->contestants[i].model == model) mine = b->contestants[i].slot;
      if (b->contestants[i].model == e.body["opponent"]) theirs = b->contestants[i].slot;
    }
    const auto& ranks = (**vote).ranks;
    const int r_me = ranks[size_t(arena::slot_index(mine))], r_op = ranks[size_t(arena::slot_index(theirs))];
    if (r_me == r_op) outcome = "tie";
    json ex = e.body;
    ex["prompt"] = p->text;
    ex["category"] = p->category;
    ex["language"] = p->language;
    ex["outcome"] = outcome;
    ex["image"] = "/v1/arena/battles/" + id + "/images/" + mine;
    ex["opponent_image"] = "/v1/arena/battles/" + id + "/images/" + theirs;
    ex["input_image"] = p->image_media_id.empty() ? json(nullptr) : json("/v1/arena/battles/" + id + "/input");
    ex["voted_at"] = e.ts / 1000;
    data.push_back(ex);
  }
  return {{"object", "arena.examples"}, {"model", model}, {"data", data}};
}

void register_arena_rating_routes(httplib::Server& svr, ServerContext& ctx) {
  // Public reads (web pages show them): a key is not needed.
  add_route(svr, ctx, "GET", "/v1/arena/leaderboard", "/v1/arena/leaderboard", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { leaderboard(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/models/([A-Za-z0-9._-]+)/history)", "/v1/arena/models/{id}/history", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { history(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/models/([A-Za-z0-9._-]+)/neighbours)", "/v1/arena/models/{id}/neighbours", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { neighbours(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/models/([A-Za-z0-9._-]+)/examples)", "/v1/arena/models/{id}/examples", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { examples(ctx, req, res); });
  add_route(svr, ctx, "GET", "/v1/arena/entries", "/v1/arena/entries", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { entries(ctx, req, res); });
  add_route(svr, ctx, "GET", "/v1/arena/votes", "/v1/arena/votes", true,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { export_votes(ctx, req, res); });
  add_route(svr, ctx, "POST", "/v1/arena/replay", "/v1/arena/replay", true,
            [&ctx](const httplib::Request&, httplib::Response& res, const Caller& caller) {
              if (!require_admin(caller, res)) return;
              if (Status s = ctx.arena->replay(); !s.is_ok()) return send_error(res, arena_error(s));
              send_json(res, 200, {{"object", "arena.replay"}, {"votes", ctx.arena->ratings().votes_held()}});
            });
  auto exclusion = [&ctx](bool exclude) {
    return [&ctx, exclude](const httplib::Request& req, httplib::Response& res, const Caller& caller) {
      if (!require_admin(caller, res)) return;
      std::string reason = "excluded by an operator";
      if (exclude && !req.body.empty()) {
        json body;
        ApiError err;
        if (!parse_json_body(req, body, err)) return send_error(res, err);
        if (!body.is_object() || (body.contains("reason") && !body["reason"].is_string()))
          return send_error(res, bad_request("the body must be {\"reason\": \"…\"}", "reason", "invalid_value"));
        reason = std::string(utf8_prefix(body.value("reason", reason), 200));
      }
      // Exports name voters by pseudonym: accept that too.
      std::string voter = req.matches[1];
      if (voter.rfind("voter_", 0) == 0) {
        auto votes = ctx.store->list_arena_votes({});
        if (!votes.is_ok()) return send_error(res, arena_error(votes.status()));
        for (const auto& v : *votes)
          if (arena::voter_pseudonym(ctx.arena->options().secret, v.voter_id) == voter) {
            voter = v.voter_id;
            break;
          }
      }
      auto n = ctx.arena->set_voter_excluded(voter, exclude, reason);
      if (!n.is_ok()) return send_error(res, arena_error(n.status()));
      send_json(res, 200, {{"object", "arena.voter"}, {"voter", std::string(req.matches[1])}, {"excluded", exclude}, {"votes_changed", *n}});
    };
  };
  add_route(svr, ctx, "POST", R"(/v1/arena/voters/([A-Za-z0-9:_-]+)/exclusion)", "/v1/arena/voters/{id}/exclusion", true,
            exclusion(true));
  add_route(svr, ctx, "DELETE", R"(/v1/arena/voters/([A-Za-z0-9:_-]+)/exclusion)", "/v1/arena/voters/{id}/exclusion", true,
            exclusion(false));
}

}  // namespace pictor::server
