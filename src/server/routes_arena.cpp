// The arena's battles and votes: POST /v1/arena/battles, GET /v1/arena/battles/{id}[?wait=N],
// GET …/events (SSE), GET …/images/{slot}, GET …/input, POST …/vote. See docs/arena.md.
#include <chrono>
#include <memory>
#include <set>

#include "arena/voter_token.h"
#include "codecs/codecs.h"
#include "core/utf8.h"
#include "server/arena_http.h"

namespace pictor::server {

using nlohmann::json;

namespace {

constexpr const char* kVoterCookie = "pictor_voter";

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::string all = req.get_header_value("Cookie");
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find(';', pos);
    if (end == std::string::npos) end = all.size();
    std::string part = all.substr(pos, end - pos);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}


bool wait_param(const httplib::Request& req, int& seconds, ApiError& err) {
  seconds = 0;
  if (!req.has_param("wait")) return true;
  const std::string v = req.get_param_value("wait");
  json jv = v;
  if (!v.empty() && v.size() < 6 && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit((unsigned char)c); }))
    jv = std::stoi(v);
  return parse_wait_value(jv, seconds, err, "wait");
}

// Votes and battle creation are limited per voter, per key and, for anonymous voters, per address.
bool take_arena_limits(ServerContext& ctx, const httplib::Request& req, const Voter& v, const char* what,
                       httplib::Response& res) {
  auto& limiter = ctx.auth->limiter();
  const int per_voter = ctx.options.arena_votes_per_minute;
  int wait = 0;
  if (per_voter > 0) {
    wait = std::max(wait, limiter.take(std::string("arena-") + what + ":" + v.id, per_voter));
    if (!v.key_id.empty()) wait = std::max(wait, limiter.take(std::string("arena-") + what + "-key:" + v.key_id, per_voter));
  }
  if (v.anonymous && ctx.options.arena_anonymous_per_minute > 0)
    wait = std::max(wait, limiter.take("arena-addr:" + req.remote_addr, ctx.options.arena_anonymous_per_minute));
  if (wait <= 0) return true;
  send_error(res, ApiError{429, std::string("Too many arena ") + what + "s; try again in " + std::to_string(wait) + " s",
                           "rate_limit_error", "", "rate_limit_exceeded", wait});
  return false;
}

void create_battle(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Voter voter;
  if (!identify_voter(ctx, req, res, voter)) return;
  json body = json::object();
  ApiError err;
  if (!req.body.empty() && !parse_json_body(req, body, err)) return send_error(res, err);
  if (!body.is_object()) return send_error(res, bad_request("The request body must be a JSON object", "body", "invalid_json"));
  arena::BattleRequest br;
  br.voter_id = voter.id;
  br.key_id = voter.key_id;
  for (const auto& [key, value] : body.items()) {
    if (key == "arena") {
      if (!value.is_string()) return send_error(res, bad_request("'arena' must be \"text-to-image\" or \"image-edit\"", "arena", "invalid_value"));
      br.arena = value.get<std::string>();
    } else if (key == "prompt") {
      if (!value.is_string()) return send_error(res, bad_request("'prompt' must be a string", "prompt", "invalid_type"));
      br.prompt = value.get<std::string>();
    } else if (key == "contestants") {
      if (!value.is_number_integer()) return send_error(res, bad_request("'contestants' must be 2, 3 or 4", "contestants", "invalid_value"));
      const int64_t n = value.get<int64_t>();
      br.contestants = n < 0 || n > 100 ? 0 : int(n);
    } else if (key == "judge") {
      if (!value.is_string()) return send_error(res, bad_request("'judge' must be \"human\" or \"auto\"", "judge", "invalid_value"));
      br.judge = value.get<std::string>();
      if (br.judge == "auto" && !voter.admin)
        return send_error(res, ApiError{403, "Only an admin key may create auto-judge battles", "permission_error", "judge", "forbidden"});
    } else if (key == "image") {
      UploadedImage up;
      if (!parse_json_image(value, "image", ctx.limits, up, err)) return send_error(res, err);
      auto img = codecs::decode_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(up.bytes.data()), up.bytes.size()),
                                      codecs::DecodeLimits{ctx.limits.max_input_pixels});
      if (!img.is_ok()) return send_error(res, bad_request("'image': " + img.status().message(), "image", "invalid_value"));
      br.image = std::move(*img);
    } else {
      return send_error(res, bad_request("Unknown field '" + std::string(utf8_prefix(key, 40)) + "'", std::string(utf8_prefix(key, 40)), "invalid_input"));
    }
  }
  if (!take_arena_limits(ctx, req, voter, "battle", res)) return;
  arena::ArenaError aerr;
  auto view = ctx.arena->create_battle(br, aerr);
  if (!view.is_ok()) return send_error(res, arena_error(aerr.status, aerr.param));
  send_json(res, 201, battle_json(*view));
}

void get_battle(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Voter voter;
  if (!identify_voter(ctx, req, res, voter)) return;
  ApiError err;
  int wait = 0;
  if (!wait_param(req, wait, err)) return send_error(res, err);
  auto view = ctx.arena->get_battle(req.matches[1], voter.id, voter.admin && !voter.anonymous && req.has_param("admin"),
                                    int64_t(wait) * 1000);
  if (!view.is_ok()) return send_error(res, arena_error(view.status()));
  send_json(res, 200, battle_json(*view));
}

// SSE: one `arena.slot` event per slot as it becomes ready (or fails), then `arena.battle` with
// the whole battle, and the stream ends.
void battle_events(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Voter voter;
  if (!identify_voter(ctx, req, res, voter)) return;
  const std::string id = req.matches[1];
  auto first = ctx.arena->get_battle(id, voter.id, false, 0);
  if (!first.is_ok()) return send_error(res, arena_error(first.status()));
  struct State {
    std::set<std::string> sent;
    bool done = false;
  };
  auto state = std::make_shared<State>();
  const std::string voter_id = voter.id;
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider("text/event-stream", [&ctx, id, voter_id, state](size_t, httplib::DataSink& sink) {
    if (state->done) {
      sink.done();
      return true;
    }
    auto view = ctx.arena->get_battle(id, voter_id, false, state->sent.empty() ? 0 : 15'000);
    std::string msg;
    if (!view.is_ok()) {
      msg = "event: error\ndata: " + error_body(arena_error(view.status())) + "\n\n";
      state->done = true;
    } else {
      bool pending = false;
      for (const auto& c : view->battle.contestants) {
        if (c.status == "pending") pending = true;
        else if (state->sent.insert(c.slot).second)
          msg += "event: arena.slot\ndata: " + json({{"slot", c.slot}, {"status", c.status}}).dump() + "\n\n";
      }
      if (!pending) {
        msg += "event: arena.battle\ndata: " + battle_json(*view).dump() + "\n\n";
        state->done = true;
      } else if (msg.empty()) {
        msg = ": keep-alive\n\n";
      }
    }
    return sink.write(msg.data(), msg.size());
  });
}

void slot_image(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Voter voter;
  if (!identify_voter(ctx, req, res, voter)) return;
  auto bytes = ctx.arena->slot_image(req.matches[1], req.matches[2], voter.id, false);
  if (!bytes.is_ok()) return send_error(res, arena_error(bytes.status()));
  // No Last-Modified or ETag: nothing about when (or by whom) the image was made.
  res.status = 200;
  res.set_header("Cache-Control", "private, max-age=3600");
  res.set_content(*bytes, "image/png");
}

void input_image(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Voter voter;
  if (!identify_voter(ctx, req, res, voter)) return;
  auto view = ctx.arena->get_battle(req.matches[1], voter.id, false, 0);
  if (!view.is_ok()) return send_error(res, arena_error(view.status()));
  if (view->prompt.image_media_id.empty()) return send_error(res, arena_error(not_found("this battle has no input image")));
  auto bytes = ctx.store->get_media_data(view->prompt.image_media_id);
  if (!bytes.is_ok()) return send_error(res, arena_error(bytes.status()));
  res.status = 200;
  res.set_header("Cache-Control", "private, max-age=3600");
  res.set_content(*bytes, "image/png");
}

void vote(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  Voter voter;
  if (!identify_voter(ctx, req, res, voter)) return;
  json body;
  ApiError err;
  if (!parse_json_body(req, body, err)) return send_error(res, err);
  if (!take_arena_limits(ctx, req, voter, "vote", res)) return;
  arena::VoteRequest vr;
  vr.battle_id = req.matches[1];
  vr.outcome = body;
  vr.voter_id = voter.id;
  vr.key_id = voter.key_id;
  arena::ArenaError aerr;
  auto result = ctx.arena->vote(vr, aerr);
  if (!result.is_ok()) return send_error(res, arena_error(aerr.status, aerr.param));
  json out = battle_json(result->view);
  json ratings = json::array();
  for (size_t i = 0; i < result->after.size(); ++i) {
    const auto& b = result->before[i];
    const auto& a = result->after[i];
    ratings.push_back({{"slot", arena::slot_name(int(i))},
                       {"model", a.model},
                       {"before", {{"mu", b.mu}, {"sigma", b.sigma}, {"score", b.score}}},
                       {"after", {{"mu", a.mu}, {"sigma", a.sigma}, {"score", a.score}, {"votes", a.votes}}}});
  }
  out["ratings"] = ratings;
  send_json(res, 200, out);
}

}  // namespace

bool identify_voter(ServerContext& ctx, const httplib::Request& req, httplib::Response& res, Voter& voter) {
  const std::string authz = req.get_header_value("Authorization");
  if (!authz.empty() || ctx.auth->no_auth()) {
    Caller caller;
    ApiError err;
    if (!ctx.auth->authenticate(authz, caller, err)) {
      send_error(res, err);
      return false;
    }
    voter.admin = caller.admin;
    if (!caller.key_id.empty()) {
      voter.id = "key:" + caller.key_id;
      voter.key_id = caller.key_id;
      return true;
    }
  }
  // Web voters: a signed anonymous cookie (HMAC); a missing or forged one gets a new identity.
  const std::string& secret = ctx.arena->options().secret;
  if (auto id = arena::verify_voter_token(secret, cookie_value(req, kVoterCookie)); id) {
    voter.id = *id;
    voter.anonymous = !ctx.auth->no_auth();
    return true;
  }
  if (ctx.auth->no_auth() && req.get_header_value("Cookie").empty() && req.get_header_value("Sec-Fetch-Mode").empty()) {
    voter.id = "local";  // the operator's own scripts (curl) under --no-auth
    return true;
  }
  const std::string token = arena::new_voter_token(secret);
  voter.id = *arena::verify_voter_token(secret, token);
  voter.anonymous = !ctx.auth->no_auth();
  res.set_header("Set-Cookie", std::string(kVoterCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000");
  return true;
}

ApiError arena_error(const Status& s, const std::string& param) {
  ApiError e = error_from_status(s, param);
  if (s.code() == StatusCode::kConflict) {
    e.http_status = 409;
    e.code = "conflict";
  }
  if (!param.empty()) e.param = param;
  return e;
}

json battle_json(const arena::BattleView& v) {
  const bool revealed = v.vote.has_value();
  const std::string base = "/v1/arena/battles/" + v.battle.id;
  json slots = json::array();
  for (const auto& c : v.battle.contestants) {
    json s = {{"slot", c.slot}, {"status", c.status}};
    s["image"] = c.status == "ready" ? json{{"url", base + "/images/" + c.slot},
                                            {"content_type", "image/png"},
                                            {"width", v.battle.width},
                                            {"height", v.battle.height}}
                                     : json(nullptr);
    if (revealed) {
      s["model"] = c.model;
      if (c.status == "failed") s["error"] = c.error;
    }
    slots.push_back(s);
  }
  std::string status = v.all_ready() ? "ready" : (v.any_failed() ? "failed" : "pending");
  if (revealed) status = "voted";
  else if (v.battle.expires_at_ms <= store::now_ms()) status = "expired";
  json out = {{"id", v.battle.id},
              {"object", "arena.battle"},
              {"arena", v.battle.arena},
              {"status", status},
              {"judge", v.battle.judge},
              {"prompt", {{"text", v.prompt.text}, {"category", v.prompt.category}, {"language", v.prompt.language}}},
              {"input_image", v.prompt.image_media_id.empty() ? json(nullptr) : json(base + "/input")},
              {"slots", slots},
              {"created_at", v.battle.created_at_ms / 1000},
              {"expires_at", v.battle.expires_at_ms / 1000},
              {"vote", nullptr}};
  if (revealed) {
    json ranks = json::object();
    for (size_t i = 0; i < v.vote->ranks.size(); ++i) ranks[arena::slot_name(int(i))] = v.vote->ranks[i];
    out["vote"] = {{"outcome", json::parse(v.vote->outcome_json, nullptr, false)},
                   {"ranks", ranks},
                   {"counted", v.vote->counted},
                   {"exclusion_reason", v.vote->exclusion_reason.empty() ? json(nullptr) : json(v.vote->exclusion_reason)},
                   {"weight", v.vote->weight}};
  }
  return out;
}

void register_arena_routes(httplib::Server& svr, ServerContext& ctx) {
  // Not `authenticated`: identify_voter() takes an API key or the voter cookie itself.
  add_route(svr, ctx, "POST", "/v1/arena/battles", "/v1/arena/battles", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { create_battle(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/battles/([A-Za-z0-9_]+))", "/v1/arena/battles/{id}", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { get_battle(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/battles/([A-Za-z0-9_]+)/events)", "/v1/arena/battles/{id}/events", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { battle_events(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/battles/([A-Za-z0-9_]+)/images/([^/]+))", "/v1/arena/battles/{id}/images/{slot}",
            false, [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { slot_image(ctx, req, res); });
  add_route(svr, ctx, "GET", R"(/v1/arena/battles/([A-Za-z0-9_]+)/input)", "/v1/arena/battles/{id}/input", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { input_image(ctx, req, res); });
  add_route(svr, ctx, "POST", R"(/v1/arena/battles/([A-Za-z0-9_]+)/vote)", "/v1/arena/battles/{id}/vote", false,
            [&ctx](const httplib::Request& req, httplib::Response& res, const Caller&) { vote(ctx, req, res); });
  register_arena_rating_routes(svr, ctx);
}

}  // namespace pictor::server
