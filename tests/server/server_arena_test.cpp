// The arena against the real server: battles answer at once and fill in, nothing a voter can see
// before the vote names a model, votes reveal them, every bad input gets its 4xx and changes
// nothing stored, integrity rules (too fast, exclusion), leaderboards equal a replay of the
// export, history, neighbours, examples, the pool, anonymous voter cookies, and image-edit.
#include <gtest/gtest.h>

#include <set>

#include "codecs/base64.h"
#include "server_harness.h"

namespace pictor::test {
namespace {

// Four arena entries from one tiny model: pictor-mini, pictor-mini-fast, mini-b, mini-b-fast.
std::string second_model() {
  static const std::string path = [] {
    const fs::path src = tiny_models_dir() / "pictor-mini" / "pictor-mini.safetensors";
    fs::path dst = scratch_dir() / "mini-b.safetensors";
    fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    return dst.string();
  }();
  return path;
}

class Arena : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = scratch_dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(data_);
  }
  bool start(std::vector<std::string> extra = {}, bool two_models = true) {
    if (two_models) {
      extra.insert(extra.end(), {"--model", "pictor-mini", "--model", second_model()});
    }
    extra.insert(extra.end(), {"--arena-pool", "0", "--arena-min-vote-ms", "300"});
    return server_.start(data_, extra);
  }
  httplib::Headers auth(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }
  httplib::Result post(const std::string& path, const json& body, const httplib::Headers& h = {}) {
    auto r = server_.client().Post(path, h, body.dump(), "application/json");
    record(r);
    return r;
  }
  httplib::Result get(const std::string& path, const httplib::Headers& h = {}) {
    auto r = server_.client().Get(path, h);
    record(r);
    return r;
  }
  // Everything a voter receives before voting, to search for model identities.
  void record(const httplib::Result& r) {
    if (!r || !recording_) return;
    seen_ += r->body + "\n";
    for (const auto& [k, v] : r->headers) seen_ += k + ": " + v + "\n";
  }
  json ready_battle(const json& body, const httplib::Headers& h) {
    auto r = post("/v1/arena/battles", body, h);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no response");
    json b = body_json(r);
    auto g = get("/v1/arena/battles/" + b["id"].get<std::string>() + "?wait=60", h);
    EXPECT_EQ(g->status, 200) << g->body;
    return body_json(g);
  }
  int vote_count() {
    auto r = server_.client().Get("/v1/arena/votes?format=jsonl", auth(admin_));
    if (!r || r->status != 200) return -1;
    return int(std::count(r->body.begin(), r->body.end(), '\n'));
  }
  fs::path data_;
  ServerProcess server_;
  std::string seen_;
  bool recording_ = false;
  std::string admin_;
};

TEST_F(Arena, BattleIsBlindUntilTheVoteThenRevealsAndRates) {
  const std::string key = create_key(data_, "voter");
  ASSERT_TRUE(start()) << server_.last_error();
  recording_ = true;
  auto r = post("/v1/arena/battles", {{"prompt", "two red circles above a blue square"}, {"contestants", 4}}, auth(key));
  ASSERT_EQ(r->status, 201) << r->body;
  json b = body_json(r);
  const std::string id = b["id"];
  EXPECT_EQ(b["object"], "arena.battle");
  EXPECT_EQ(b["arena"], "text-to-image");
  EXPECT_EQ(b["prompt"]["category"], "counting");  // counting comes before spatial (docs/arena-axes.md)
  EXPECT_EQ(b["prompt"]["language"], "en");
  ASSERT_EQ(b["slots"].size(), 4u);
  b = body_json(get("/v1/arena/battles/" + id + "?wait=60", auth(key)));
  ASSERT_EQ(b["status"], "ready") << b.dump();
  std::set<std::string> sizes;
  for (const auto& s : b["slots"]) {
    EXPECT_FALSE(s.contains("model"));
    auto img = get(s["image"]["url"].get<std::string>(), auth(key));
    ASSERT_EQ(img->status, 200);
    EXPECT_EQ(img->get_header_value("Content-Type"), "image/png");
    EXPECT_FALSE(img->has_header("Last-Modified"));
    EXPECT_FALSE(img->has_header("ETag"));
    auto dec = codecs::decode_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(img->body.data()), img->body.size()));
    ASSERT_TRUE(dec.is_ok());
    sizes.insert(std::to_string(dec->width) + "x" + std::to_string(dec->height) + "/" + std::to_string(dec->channels));
  }
  EXPECT_EQ(sizes.size(), 1u) << "every slot's image has the same size and format";
  // SSE replays the slots and the battle.
  auto ev = get("/v1/arena/battles/" + id + "/events", auth(key));
  ASSERT_EQ(ev->status, 200);
  EXPECT_EQ(std::count(ev->body.begin(), ev->body.end(), 'e') > 0, true);
  EXPECT_NE(ev->body.find("event: arena.slot"), std::string::npos);
  EXPECT_NE(ev->body.find("event: arena.battle"), std::string::npos);
  // Nothing seen so far names a model, a job or the engine.
  recording_ = false;
  for (const char* secret : {"pictor-mini", "mini-b", "gen_", "media_", "run_s", "queue_s", "seconds", "fast"})
    EXPECT_EQ(seen_.find(secret), std::string::npos) << "'" << secret << "' visible before the vote";
  // The export of votes (and the job list) shows nothing of this battle to the voter either.
  auto jobs = get("/v1/generations", auth(key));
  EXPECT_EQ(body_json(jobs)["data"].size(), 0u) << jobs->body;

  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  auto v = post("/v1/arena/battles/" + id + "/vote", {{"ranking", {{"c"}, {"a", "d"}, {"b"}}}}, auth(key));
  ASSERT_EQ(v->status, 200) << v->body;
  json out = body_json(v);
  EXPECT_EQ(out["status"], "voted");
  std::set<std::string> models;
  for (const auto& s : out["slots"]) models.insert(s["model"].get<std::string>());
  EXPECT_EQ(models, (std::set<std::string>{"pictor-mini", "pictor-mini-fast", "mini-b", "mini-b-fast"}));
  EXPECT_EQ(out["vote"]["ranks"]["c"], 0);
  EXPECT_EQ(out["vote"]["ranks"]["a"], 1);
  EXPECT_EQ(out["vote"]["ranks"]["d"], 1);
  EXPECT_EQ(out["vote"]["counted"], true);
  ASSERT_EQ(out["ratings"].size(), 4u);
  EXPECT_GT(out["ratings"][2]["after"]["mu"].get<double>(), 25.0);  // c won
  EXPECT_LT(out["ratings"][1]["after"]["mu"].get<double>(), 25.0);  // b last
  // One vote per battle.
  EXPECT_TRUE(is_error(post("/v1/arena/battles/" + id + "/vote", {{"winner", "a"}}, auth(key)), 409));
}

TEST_F(Arena, BadInputGetsItsErrorAndChangesNothing) {
  const std::string key = create_key(data_, "voter");
  const std::string other = create_key(data_, "other");
  ASSERT_TRUE(start({"--arena-battle-ttl-s", "3"})) << server_.last_error();
  json b = ready_battle({{"prompt", "a yellow star"}}, auth(key));
  const std::string id = b["id"];
  const std::string vote = "/v1/arena/battles/" + id + "/vote";
  EXPECT_TRUE(is_error(post("/v1/arena/battles/battle_nope/vote", {{"winner", "a"}}, auth(key)), 404));
  EXPECT_TRUE(is_error(post(vote, {{"winner", "c"}}, auth(key)), 400, "winner"));
  EXPECT_TRUE(is_error(post(vote, {{"winner", 1}}, auth(key)), 400, "winner"));
  EXPECT_TRUE(is_error(post(vote, json::object(), auth(key)), 400, "winner"));
  EXPECT_TRUE(is_error(post(vote, {{"winner", "a"}, {"ranking", {{"a"}, {"b"}}}}, auth(key)), 400));
  EXPECT_TRUE(is_error(post(vote, {{"ranking", {{"a"}, {"a"}}}}, auth(key)), 400, "ranking"));
  EXPECT_TRUE(is_error(post(vote, {{"ranking", {{"a"}}}}, auth(key)), 400, "ranking"));
  EXPECT_TRUE(is_error(post(vote, {{"winner", "a"}, {"model", "x"}}, auth(key)), 400, "model"));
  EXPECT_TRUE(is_error(server_.client().Post(vote, auth(key), "{not json", "application/json"), 400, "body"));
  EXPECT_TRUE(is_error(post(vote, {{"winner", "a"}}, auth(other)), 404)) << "another voter's battle does not exist";
  EXPECT_TRUE(is_error(post(vote, {{"winner", "a"}}, auth("pk-wrong")), 401));
  // Battle creation.
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"arena", "video"}}, auth(key)), 400, "arena"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"contestants", 5}}, auth(key)), 400, "contestants"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"contestants", "two"}}, auth(key)), 400, "contestants"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"prompt", "  "}}, auth(key)), 400, "prompt"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"prompt", "x"}, {"image", "data:image/png;base64,AAAA"}}, auth(key)), 400, "image"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"arena", "image-edit"}, {"prompt", "make it blue"}}, auth(key)), 400, "image"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"judge", "auto"}}, auth(key)), 403, "judge"));
  EXPECT_TRUE(is_error(post("/v1/arena/battles", {{"colour", "red"}}, auth(key)), 400, "colour"));
  // Reads.
  EXPECT_TRUE(is_error(get("/v1/arena/leaderboard?arena=video"), 400, "arena"));
  EXPECT_TRUE(is_error(get("/v1/arena/leaderboard?axis=category:nope"), 400, "axis"));
  EXPECT_TRUE(is_error(get("/v1/arena/leaderboard?judge=robot"), 400, "judge"));
  EXPECT_TRUE(is_error(get("/v1/arena/battles/battle_nope", auth(key)), 404));
  EXPECT_TRUE(is_error(get("/v1/arena/battles/" + id + "/images/e", auth(key)), 404));
  EXPECT_TRUE(is_error(get("/v1/arena/votes?format=csv", auth(key)), 400, "format"));
  EXPECT_TRUE(is_error(post("/v1/arena/replay", json::object(), auth(key)), 403));
  // None of it stored a vote. Then the battle expires: 410.
  auto exported = server_.client().Get("/v1/arena/votes?format=jsonl", auth(key));
  EXPECT_EQ(exported->body, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  EXPECT_TRUE(is_error(post(vote, {{"winner", "a"}}, auth(key)), 410));
  EXPECT_EQ(server_.client().Get("/v1/arena/votes?format=jsonl", auth(key))->body, "");
}

TEST_F(Arena, TooFewModelsIs409) {
  const std::string sd = std::string(PICTOR_TEST_FIXTURES) + "/sd-tiny-A";
  ASSERT_TRUE(start({"--model", sd, "--no-auth"}, false)) << server_.last_error();
  auto r = post("/v1/arena/battles", {{"prompt", "a cat"}});
  EXPECT_TRUE(is_error(r, 409, "arena"));
  EXPECT_NE(r->body.find("at least two"), std::string::npos) << r->body;
}

TEST_F(Arena, IntegrityLeaderboardReplayHistoryAndNeighbours) {
  const std::string alice = create_key(data_, "alice");
  const std::string bob = create_key(data_, "bob");
  {
    auto [code, out] = run_pictor("keys create --admin --name ops --data-dir " + data_.string());
    ASSERT_EQ(code, 0);
    admin_ = out.substr(0, out.find('\n'));
  }
  ASSERT_TRUE(start()) << server_.last_error();
  // Too fast: stored, not counted.
  json fast = ready_battle({{"prompt", "three blue squares"}}, auth(alice));
  auto v = post("/v1/arena/battles/" + fast["id"].get<std::string>() + "/vote", {{"winner", "a"}}, auth(alice));
  ASSERT_EQ(v->status, 200) << v->body;
  EXPECT_EQ(body_json(v)["vote"]["counted"], false);
  EXPECT_EQ(body_json(v)["vote"]["exclusion_reason"], "too_fast");
  // Counted votes: alice always prefers slot a, bob votes ties.
  for (int i = 0; i < 8; ++i) {
    const std::string& who = i % 2 ? bob : alice;
    json b = ready_battle({{"prompt", i % 3 ? "a green heart" : "deux cercles rouges"}, {"contestants", 2}}, auth(who));
    std::this_thread::sleep_for(std::chrono::milliseconds(320));
    auto r = post("/v1/arena/battles/" + b["id"].get<std::string>() + "/vote", {{"winner", i % 2 ? "tie" : "a"}}, auth(who));
    ASSERT_EQ(r->status, 200) << r->body;
    ASSERT_EQ(body_json(r)["vote"]["counted"], true) << r->body;
  }
  EXPECT_EQ(vote_count(), 9);
  auto lb = body_json(get("/v1/arena/leaderboard?arena=text-to-image"));
  ASSERT_GE(lb["data"].size(), 1u) << lb.dump();
  for (const auto& row : lb["data"]) {
    EXPECT_GE(row["votes"].get<int>(), 3);
    EXPECT_NEAR(row["score"].get<double>(), row["mu"].get<double>() - 3 * row["sigma"].get<double>(), 1e-9);
  }
  // The export replays to the same TrueSkill.
  auto exported = server_.client().Get("/v1/arena/votes?format=jsonl", auth(admin_));
  ASSERT_EQ(exported->status, 200);
  EXPECT_EQ(exported->body.find("key_"), std::string::npos) << "voters are pseudonymised";
  const fs::path log = data_ / "votes.jsonl";
  std::ofstream(log) << exported->body;
  auto [code, replay_out] = run_pictor("arena replay --bootstrap 0 " + log.string());
  ASSERT_EQ(code, 0) << replay_out;
  json replayed = json::parse(replay_out);
  bool compared = false;
  for (const auto& board : replayed["boards"])
    if (board["arena"] == "text-to-image" && board["judge"] == "human")
      for (const auto& m : board["models"])
        for (const auto& row : lb["data"])
          if (row["model"] == m["model"]) {
            EXPECT_NEAR(row["mu"].get<double>(), m["mu"].get<double>(), 1e-9);
            EXPECT_NEAR(row["sigma"].get<double>(), m["sigma"].get<double>(), 1e-9);
            compared = true;
          }
  EXPECT_TRUE(compared);
  // Language axis: the French prompt.
  auto fr = body_json(get("/v1/arena/leaderboard?axis=language:fr"));
  EXPECT_EQ(fr["axis"], "language:fr");
  // Neighbours and examples of the leader; history after a replay snapshot.
  const std::string top = lb["data"][0]["model"];
  auto nb = body_json(get("/v1/arena/models/" + top + "/neighbours"));
  ASSERT_EQ(nb["arenas"].size(), 1u) << nb.dump();
  EXPECT_TRUE(nb["arenas"][0]["above"].is_null());
  auto ex = body_json(get("/v1/arena/models/" + top + "/examples"));
  ASSERT_GE(ex["data"].size(), 1u) << ex.dump();
  EXPECT_EQ(server_.client().Get(ex["data"][0]["image"].get<std::string>())->status, 200) << "voted battles are public";
  ASSERT_EQ(post("/v1/arena/replay", json::object(), auth(admin_))->status, 200);
  auto hist = body_json(get("/v1/arena/models/" + top + "/history?arena=text-to-image"));
  ASSERT_EQ(hist["data"].size(), 1u);
  EXPECT_GE(hist["data"][0]["points"].size(), 2u) << hist.dump();  // the replay snapshot + live
  // Excluding alice re-rates everything from bob's ties alone.
  const int before = lb["data"][0]["votes"];
  auto ex_r = post("/v1/arena/voters/key:" + std::string("x") + "/exclusion", json::object(), auth(alice));
  EXPECT_TRUE(is_error(ex_r, 403));
  // Alice's pseudonym: the voter of the too-fast vote (her first).
  const std::string alice_voter = json::parse(exported->body.substr(0, exported->body.find('\n')))["voter"];
  auto exr = post("/v1/arena/voters/" + alice_voter + "/exclusion", {{"reason", "test"}}, auth(admin_));
  ASSERT_EQ(exr->status, 200) << exr->body;
  EXPECT_EQ(body_json(exr)["votes_changed"], 4);
  auto lb2 = body_json(get("/v1/arena/leaderboard?arena=text-to-image"));
  int total = 0;
  for (const auto& row : lb2["data"]) total += row["votes"].get<int>();
  EXPECT_LT(total, before * 2);
  EXPECT_EQ(vote_count(), 9) << "excluded votes are kept";
}

TEST_F(Arena, ANoAuthServerStillHidesTheContestantJobs) {
  // Without keys every caller sees every job: the arena's own jobs (which name their models) must
  // still stay out of the jobs routes, or a voter could unmask the slots by listing generations.
  ASSERT_TRUE(start({"--no-auth"})) << server_.last_error();
  json b = ready_battle({{"prompt", "a green star"}}, {});
  ASSERT_EQ(b["status"], "ready") << b.dump();
  auto jobs = body_json(get("/v1/generations?limit=100"));
  EXPECT_EQ(jobs["data"].size(), 0u) << jobs.dump();
  EXPECT_EQ(body_json(get("/v1/generations?status=succeeded"))["data"].size(), 0u);
}

TEST_F(Arena, PoolAnonymousCookieAndImageEdit) {
  ASSERT_TRUE(server_.start(data_, {"--model", "pictor-mini", "--model", second_model(), "--arena-pool", "1"}))
      << server_.last_error();
  // A web voter without a key gets a signed cookie; a forged one is a stranger.
  auto c = server_.client();
  auto r = c.Post("/v1/arena/battles", "{}", "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string set_cookie = r->get_header_value("Set-Cookie");
  ASSERT_NE(set_cookie.find("pictor_voter=v1.anon_"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string id = body_json(r)["id"];
  auto mine = c.Get("/v1/arena/battles/" + id + "?wait=60", {{"Cookie", cookie}});
  ASSERT_EQ(mine->status, 200);
  std::string forged = cookie;
  forged[forged.size() - 1] = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(c.Get("/v1/arena/battles/" + id, {{"Cookie", forged}})->status, 404);
  // The pool: after a while a battle without a prompt is ready at once.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  auto pooled = c.Post("/v1/arena/battles", {{"Cookie", cookie}}, "{}", "application/json");
  ASSERT_EQ(pooled->status, 201);
  EXPECT_EQ(body_json(pooled)["status"], "ready") << pooled->body;
  // Image-edit with an input image as a data URL.
  const std::string png = png_bytes(64, 64, 3);
  const std::string data_url = "data:image/png;base64," + codecs::base64_encode(std::span<const uint8_t>(
                                   reinterpret_cast<const uint8_t*>(png.data()), png.size()));
  auto e = c.Post("/v1/arena/battles", {{"Cookie", cookie}},
                  json{{"arena", "image-edit"}, {"prompt", "make the background yellow"}, {"image", data_url}}.dump(),
                  "application/json");
  ASSERT_EQ(e->status, 201) << e->body;
  json eb = body_json(e);
  ASSERT_TRUE(eb["input_image"].is_string());
  EXPECT_EQ(c.Get(eb["input_image"].get<std::string>(), {{"Cookie", cookie}})->status, 200);
  auto done = body_json(c.Get("/v1/arena/battles/" + eb["id"].get<std::string>() + "?wait=60", {{"Cookie", cookie}}));
  EXPECT_EQ(done["status"], "ready") << done.dump();
}

}  // namespace
}  // namespace pictor::test
