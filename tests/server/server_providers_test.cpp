// The gateway's upstream providers against real servers on loopback: two more `pictor serve`
// processes act as upstreams (alpha: an `openai`-kind provider behind API-key auth; beta: a
// `pictor`-kind one), each behind a fault-injecting proxy (fault_proxy.h) that makes it slow,
// failing (500, 429 + Retry-After, 400) or cut mid-stream. Covers the catalog, forwarding of
// generations / edits / jobs / streams, usage and cost mapping, price and latency routing, the
// `provider` override, retries, failover, circuit breakers, concurrency spill-over, cancellation,
// the providers table and metrics, and that the upstream key never shows.
#include <gtest/gtest.h>

#include <cstdlib>
#include <future>
#include <random>

#include "fault_proxy.h"
#include "server_harness.h"

namespace pictor::test {
namespace {

using Mode = FaultProxy::Mode;
constexpr const char* kModel = "gpt-image-1-mini";

struct Upstreams {
  ServerProcess alpha, beta;
  std::string alpha_key;
  std::unique_ptr<FaultProxy> alpha_proxy, beta_proxy;
};

Upstreams* g_up = nullptr;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class Providers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_up = new Upstreams;
    const fs::path a = scratch_dir() / "upstream-alpha", b = scratch_dir() / "upstream-beta";
    fs::create_directories(a);
    fs::create_directories(b);
    g_up->alpha_key = create_key(a, "gateway");
    ASSERT_FALSE(g_up->alpha_key.empty());
    ASSERT_TRUE(g_up->alpha.start(a, {"--workers", "2"})) << g_up->alpha.last_error();
    ASSERT_TRUE(g_up->beta.start(b, {"--no-auth", "--workers", "2"})) << g_up->beta.last_error();
    g_up->alpha_proxy = std::make_unique<FaultProxy>(g_up->alpha.port());
    g_up->beta_proxy = std::make_unique<FaultProxy>(g_up->beta.port());
    ::setenv("PICTOR_TEST_ALPHA_KEY", g_up->alpha_key.c_str(), 1);
  }
  static void TearDownTestSuite() {
    delete g_up;
    g_up = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(g_up, nullptr);
    g_up->alpha_proxy->set(Mode::kPass);
    g_up->beta_proxy->set(Mode::kPass);
    data_ = scratch_dir() / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(data_);
  }

  static json provider(const std::string& name, const std::string& kind, int port, int priority, json prices) {
    json p = {{"name", name},
              {"kind", kind},
              {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/v1"},
              {"models", {{kModel, "pictor-mini"}}},
              {"priority", priority},
              {"timeout_s", 20},
              {"max_concurrency", 4}};
    if (!prices.is_null()) p["prices"] = prices;
    if (kind == "openai") p["api_key_env"] = "PICTOR_TEST_ALPHA_KEY";
    return p;
  }
  // alpha (openai kind, cheaper) then beta (pictor kind), both through their proxies.
  static json two_providers() {
    return {{"providers",
             {provider("alpha", "openai", g_up->alpha_proxy->port(), 1, {{"low", 0.005}, {"medium", 0.011}, {"high", 0.036}}),
              provider("beta", "pictor", g_up->beta_proxy->port(), 2, {{"low", 0.006}, {"medium", 0.012}, {"high", 0.04}})}},
            {"retry", {{"max_attempts", 2}, {"base_delay_ms", 20}, {"max_delay_ms", 100}, {"max_retry_after_s", 5}}},
            {"circuit_breaker", {{"failure_threshold", 3}, {"cooldown_s", 60}}},
            {"catalog",
             {{kModel,
               {{"name", "GPT Image 1 Mini"},
                {"organization", "OpenAI"},
                {"description", "served here by two stand-in upstreams"},
                {"release_date", "2025-10-06"},
                {"license", {{"name", "Proprietary"}, {"commercial_use", true}, {"url", "https://openai.com/policies/"}}},
                {"capabilities", {{"edits", true}, {"mask", true}, {"sizes", {"64x64", "96x64", "64x96"}}}}}}}}};
  }
  bool start(const json& providers_file) {
    const fs::path file = data_.string() + "-providers.json";
    std::ofstream(file) << providers_file.dump(2);
    return gateway_.start(data_, {"--no-auth", "--providers", file.string(), "--workers", "1"});
  }
  httplib::Result post(const std::string& path, const json& body) {
    return gateway_.client().Post(path, body.dump(), "application/json");
  }
  static json gen(const std::string& provider_name = "") {
    json b = {{"model", kModel}, {"prompt", "a red circle"}, {"quality", "low"}};
    if (!provider_name.empty()) b["provider"] = provider_name;
    return b;
  }
  json job(const std::string& id) { return body_json(gateway_.client().Get("/v1/generations/" + id)); }
  json provider_row(const std::string& name, const std::string& model = kModel) {
    json t = body_json(gateway_.client().Get("/v1/providers"));
    for (const auto& r : t["data"])
      if (r["provider"] == name && r["model"] == model) return r;
    return json();
  }
  // The sync images answer carries its job id: which provider served it, and how.
  std::string served_by(const httplib::Result& r) {
    if (!r || r->status != 200) return "";
    return job(body_json(r)["id"])["provider"].get<std::string>();
  }

  fs::path data_;
  ServerProcess gateway_;
};

TEST_F(Providers, CatalogListsLocalAndUpstreamModels) {
  ASSERT_TRUE(start(two_providers())) << gateway_.last_error();
  json list = body_json(gateway_.client().Get("/v1/models"));
  ASSERT_EQ(list["object"], "list");
  std::map<std::string, json> by_id;
  for (const auto& m : list["data"]) by_id[m["id"]] = m;
  ASSERT_TRUE(by_id.count("pictor-mini") && by_id.count(kModel)) << list.dump();
  for (const auto& [id, m] : by_id) {
    EXPECT_EQ(m["object"], "model");
    EXPECT_TRUE(m["created"].is_number_integer());
    EXPECT_TRUE(m["owned_by"].is_string());
    for (const char* k : {"name", "organization", "description", "release_date", "license", "modalities", "capabilities", "providers"})
      EXPECT_TRUE(m.contains(k)) << id << " lacks " << k;
  }
  const json& local = by_id["pictor-mini"];
  EXPECT_EQ(local["organization"], "pictor");
  EXPECT_EQ(local["providers"], json::array({"local"}));
  EXPECT_EQ(local["modalities"]["input"], json::array({"text", "image"}));
  EXPECT_TRUE(local["capabilities"]["edits"].get<bool>());
  const json& up = by_id[kModel];
  EXPECT_EQ(up["name"], "GPT Image 1 Mini");
  EXPECT_EQ(up["owned_by"], "OpenAI");
  EXPECT_EQ(up["license"]["commercial_use"], true);
  EXPECT_EQ(up["release_date"], "2025-10-06");
  EXPECT_EQ(up["capabilities"]["sizes"].size(), 3u);
  EXPECT_EQ(up["providers"], json::array({"alpha", "beta"}));
  EXPECT_DOUBLE_EQ(up["pricing"]["per_image"]["low"].get<double>(), 0.005);  // the cheapest provider
  // The whole entry: providers with prices, modalities and (not yet measured) figures.
  json one = body_json(gateway_.client().Get(std::string("/v1/models/") + kModel));
  ASSERT_EQ(one["providers"].size(), 2u) << one.dump();
  EXPECT_EQ(one["providers"][0]["provider"], "alpha");
  EXPECT_EQ(one["providers"][0]["kind"], "openai");
  EXPECT_DOUBLE_EQ(one["providers"][1]["price_per_image"]["high"].get<double>(), 0.04);
  EXPECT_TRUE(one["providers"][0]["latency_s"]["p50"].is_null());
  EXPECT_EQ(one["providers"][0]["circuit"], "closed");
  EXPECT_TRUE(is_error(gateway_.client().Get("/v1/models/nope"), 404, "model", "model_not_found"));
  EXPECT_TRUE(is_error(gateway_.client().Get("/v1/providers?model=nope"), 404, "model", "model_not_found"));
}

TEST_F(Providers, BadProvidersFilesAreRefusedNamingTheKey) {
  auto serve_error = [&](const json& file, const std::string& env = "") {
    const fs::path p = data_ / "bad.json";
    std::ofstream(p) << file.dump();
    const std::string cmd = "timeout 30 " + env + " " + std::string(PICTOR_BINARY) + " serve --port 0 --no-auth --data-dir " +
                            (data_ / "d").string() + " --providers " + p.string() + " 2>&1";
    std::string out;
    FILE* f = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    const int status = pclose(f);
    EXPECT_NE(WEXITSTATUS(status), 0) << out;
    return out;
  };
  json base = two_providers();
  json bad = base;
  bad["providers"][0]["kind"] = "azure";
  EXPECT_NE(serve_error(bad).find("providers[0].kind"), std::string::npos);
  bad = base;
  bad["providers"][1]["prices"] = {{"ultra", 1}};
  EXPECT_NE(serve_error(bad).find("providers[1].prices.ultra"), std::string::npos);
  bad = base;
  bad["providers"][1]["name"] = "alpha";
  EXPECT_NE(serve_error(bad).find("named twice"), std::string::npos);
  bad = base;
  bad["providers"][0]["api_key"] = "sk-inline";  // keys live in the environment, never in the file
  EXPECT_NE(serve_error(bad).find("providers[0].api_key"), std::string::npos);
  bad = base;
  bad["catalog"][kModel]["license"]["commercial_use"] = "yes";
  EXPECT_NE(serve_error(bad).find("catalog.gpt-image-1-mini.license.commercial_use"), std::string::npos);
  const std::string unset = serve_error(base, "env -u PICTOR_TEST_ALPHA_KEY");
  EXPECT_NE(unset.find("PICTOR_TEST_ALPHA_KEY is not set"), std::string::npos) << unset;
}

TEST_F(Providers, ForwardsGenerationsEditsAndJobsWithUsageAndCost) {
  ASSERT_TRUE(start(two_providers())) << gateway_.last_error();
  // Price routing: alpha (openai kind, key from the environment) is cheaper.
  auto r = post("/v1/images/generations", gen());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json body = body_json(r);
  ASSERT_EQ(body["data"].size(), 1u);
  auto bytes = codecs::base64_decode(body["data"][0]["b64_json"].get<std::string>());
  ASSERT_TRUE(bytes.is_ok());
  EXPECT_TRUE(codecs::decode_image(*bytes).is_ok());
  EXPECT_DOUBLE_EQ(body["usage"]["cost_usd"].get<double>(), 0.005);
  EXPECT_GT(body["usage"]["output_tokens"].get<int>(), 0);
  json j = job(body["id"]);
  EXPECT_EQ(j["provider"], "alpha");
  EXPECT_EQ(j["cost"]["source"], "providers_file");
  EXPECT_EQ(j["routing"]["attempts"].size(), 1u);
  EXPECT_EQ(g_up->alpha_proxy->requests.load() > 0, true);

  // The provider override, n = 2, and an async job.
  auto jr = post("/v1/generations", {{"model", kModel}, {"provider", "beta"}, {"input", {{"prompt", "two blue squares"}, {"n", 2}, {"quality", "low"}}}, {"wait", 60}});
  ASSERT_TRUE(jr);
  json gj = body_json(jr);
  ASSERT_EQ(gj["status"], "completed") << jr->body;
  EXPECT_EQ(gj["provider"], "beta");
  ASSERT_EQ(gj["output"]["media"].size(), 2u);
  EXPECT_DOUBLE_EQ(gj["cost"]["usd"].get<double>(), 0.012);
  auto media = gateway_.client().Get(gj["output"]["media"][0]["url"].get<std::string>().substr(gj["output"]["media"][0]["url"].get<std::string>().find("/v1/")));
  ASSERT_EQ(media->status, 200);
  auto img = codecs::decode_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(media->body.data()), media->body.size()));
  ASSERT_TRUE(img.is_ok());
  EXPECT_EQ(img->width, gj["output"]["media"][0]["width"].get<int>());
  // A pictor-kind provider without prices: its own reported cost is the job's cost.
  json f = two_providers();
  f["providers"][1].erase("prices");
  gateway_.stop();
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  auto up = post("/v1/images/generations", gen("beta"));
  ASSERT_EQ(up->status, 200) << up->body;
  json uj = job(body_json(up)["id"]);
  EXPECT_EQ(uj["cost"]["source"], "upstream");
  EXPECT_DOUBLE_EQ(uj["cost"]["usd"].get<double>(), 0.0005);  // the upstream's pictor-mini low price

  // Edits: multipart with two image[] parts and a mask, forwarded to both kinds.
  for (const char* p : {"alpha", "beta"}) {
    httplib::MultipartFormDataItems items = {{"model", kModel, "", ""},     {"prompt", "make it green", "", ""},
                                             {"provider", p, "", ""},       {"quality", "low", "", ""},
                                             {"image[]", png_bytes(64, 64, 3), "a.png", "image/png"},
                                             {"image[]", png_bytes(64, 64, 3), "b.png", "image/png"},
                                             {"mask", png_bytes(64, 64, 4, 255), "m.png", "image/png"}};
    auto e = gateway_.client().Post("/v1/images/edits", items);
    ASSERT_TRUE(e);
    ASSERT_EQ(e->status, 200) << p << ": " << e->body;
    EXPECT_EQ(job(body_json(e)["id"])["provider"], p);
    EXPECT_EQ(job(body_json(e)["id"])["kind"], "edit");
  }
  // input.aspect_ratio: the nearest size the catalog lists for the model.
  auto ar = post("/v1/generations", {{"model", kModel}, {"input", {{"prompt", "a star"}, {"aspect_ratio", "16:9"}, {"quality", "low"}}}, {"wait", 60}});
  json aj = body_json(ar);
  ASSERT_EQ(aj["status"], "completed") << ar->body;
  EXPECT_EQ(aj["output"]["media"][0]["width"], 96);
  EXPECT_EQ(aj["output"]["media"][0]["height"], 64);
  EXPECT_TRUE(is_error(post("/v1/generations", {{"model", kModel}, {"input", {{"prompt", "x"}, {"aspect_ratio", "wide"}}}}), 400,
                       "input.aspect_ratio", "invalid_value"));
  EXPECT_TRUE(is_error(post("/v1/generations", {{"model", kModel}, {"input", {{"prompt", "x"}, {"aspect_ratio", "1:1"}, {"size", "64x64"}}}}),
                       400, "input.aspect_ratio"));
  EXPECT_TRUE(is_error(post("/v1/generations", {{"model", kModel}, {"input", {{"prompt", "x"}, {"colour", "red"}}}}), 400,
                       "input.colour", "invalid_input"));
  // An unknown provider is the caller's error, named.
  EXPECT_TRUE(is_error(post("/v1/images/generations", gen("gamma")), 400, "provider", "invalid_value"));
  EXPECT_TRUE(is_error(post("/v1/generations", {{"model", kModel}, {"provider", 7}, {"input", {{"prompt", "x"}}}}), 400, "provider"));
}

TEST_F(Providers, LocalIsAProviderTooAndPriceRoutingPicksIt) {
  json f = two_providers();
  f["providers"][1]["models"]["pictor-mini"] = "pictor-mini";  // beta also offers the local model
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  json b = gen();
  b["model"] = "pictor-mini";
  EXPECT_EQ(served_by(post("/v1/images/generations", b)), "local");  // $0.0005 < beta's $0.006
  b["provider"] = "beta";
  EXPECT_EQ(served_by(post("/v1/images/generations", b)), "beta");
  json one = body_json(gateway_.client().Get("/v1/models/pictor-mini"));
  ASSERT_EQ(one["providers"].size(), 2u);
  EXPECT_EQ(one["providers"][0]["provider"], "local");
}

TEST_F(Providers, StreamsPartialImagesThroughAndFailsOverACutStream) {
  ASSERT_TRUE(start(two_providers())) << gateway_.last_error();
  auto stream = [&](const json& body, int& partials, int& completed) {
    partials = completed = 0;
    std::string all;
    auto c = gateway_.client();
    auto r = c.Post("/v1/images/generations", body.dump(), "application/json");
    if (!r || r->status != 200) return std::string(r ? r->body : "no answer");
    all = r->body;
    for (size_t p = 0; (p = all.find("event: image_generation.partial_image", p)) != std::string::npos; ++p) ++partials;
    for (size_t p = 0; (p = all.find("event: image_generation.completed", p)) != std::string::npos; ++p) ++completed;
    return std::string();
  };
  json b = gen("beta");
  b["stream"] = true;
  b["partial_images"] = 2;
  b["steps"] = 4;
  int partials = 0, completed = 0;
  ASSERT_EQ(stream(b, partials, completed), "");
  EXPECT_EQ(completed, 1);
  // The same request straight to the upstream makes as many previews.
  json direct = b;
  direct.erase("provider");
  direct["model"] = "pictor-mini";
  auto d = g_up->beta.client().Post("/v1/images/generations", direct.dump(), "application/json");
  ASSERT_TRUE(d);
  int direct_partials = 0;
  for (size_t p = 0; (p = d->body.find("event: image_generation.partial_image", p)) != std::string::npos; ++p) ++direct_partials;
  EXPECT_EQ(partials, direct_partials);
  EXPECT_GE(partials, 1);
  // alpha cuts its stream before the final image: the gateway's client still gets a whole one.
  g_up->alpha_proxy->set(Mode::kCutStream);
  b.erase("provider");
  ASSERT_EQ(stream(b, partials, completed), "");
  EXPECT_EQ(completed, 1);
  json alpha = provider_row("alpha");
  EXPECT_GE(alpha["failed_attempts"].get<int>(), 1) << alpha.dump();
  EXPECT_EQ(provider_row("beta")["requests"], 2);
}

TEST_F(Providers, FailsOverOn500And429AndDownHonouringRetryAfter) {
  json f = two_providers();
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  // 500: two tries on alpha (the retry policy), then beta.
  g_up->alpha_proxy->set(Mode::kStatus500);
  int before = g_up->alpha_proxy->requests;
  auto r = post("/v1/images/generations", gen());
  EXPECT_EQ(served_by(r), "beta");
  EXPECT_EQ(g_up->alpha_proxy->requests - before, 2);
  json attempts = job(body_json(r)["id"])["routing"]["attempts"];
  ASSERT_EQ(attempts.size(), 3u) << attempts.dump();
  EXPECT_EQ(attempts[0]["http_status"], 500);
  EXPECT_EQ(attempts[2]["provider"], "beta");
  gateway_.stop();

  // 429 with Retry-After: 1 — the retry waits at least that long.
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  g_up->alpha_proxy->set(Mode::kStatus429, 1);
  before = g_up->alpha_proxy->requests;
  auto t0 = std::chrono::steady_clock::now();
  r = post("/v1/images/generations", gen());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(served_by(r), "beta");
  EXPECT_EQ(g_up->alpha_proxy->requests - before, 2);
  EXPECT_GE(took, 0.95);
  // A Retry-After past max_retry_after_s (5 s): straight to the next provider.
  g_up->alpha_proxy->set(Mode::kStatus429, 600);
  before = g_up->alpha_proxy->requests;
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");
  EXPECT_EQ(g_up->alpha_proxy->requests - before, 1);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  gateway_.stop();

  // Down (connection refused) and slow past its timeout.
  DeadPort dead;
  f["providers"][0]["base_url"] = "http://127.0.0.1:" + std::to_string(dead.port) + "/v1";
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");
  gateway_.stop();
  f = two_providers();
  f["providers"][0]["timeout_s"] = 0.5;
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  g_up->alpha_proxy->set(Mode::kSlow, 2000);
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");
  // A request error (the upstream's 400) is the caller's: no retry, no failover.
  g_up->alpha_proxy->set(Mode::kStatus400);
  before = g_up->beta_proxy->requests;
  EXPECT_TRUE(is_error(post("/v1/images/generations", gen()), 400, "", "invalid_request"));
  EXPECT_EQ(g_up->beta_proxy->requests, before);
}

TEST_F(Providers, CircuitBreakerOpensAndNoneLeftAnswersOneClearError) {
  ASSERT_TRUE(start(two_providers())) << gateway_.last_error();
  g_up->alpha_proxy->set(Mode::kStatus500);
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");  // alpha: 2 failures
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");  // alpha: 3rd failure opens it
  EXPECT_EQ(provider_row("alpha")["circuit"], "open");
  const int before = g_up->alpha_proxy->requests;
  auto r = post("/v1/images/generations", gen());
  EXPECT_EQ(served_by(r), "beta");
  EXPECT_EQ(g_up->alpha_proxy->requests, before);  // skipped while open
  EXPECT_EQ(job(body_json(r)["id"])["routing"]["attempts"][0]["outcome"], "circuit_open");
  std::string metrics = gateway_.client().Get("/metrics")->body;
  EXPECT_NE(metrics.find("pictor_provider_circuit_open{provider=\"alpha\"} 1"), std::string::npos);
  // Beta fails too: one 502 envelope, quickly; once its circuit opens as well, 503.
  g_up->beta_proxy->set(Mode::kStatus500);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(is_error(post("/v1/images/generations", gen()), 502, "", "upstream_error"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  EXPECT_TRUE(is_error(post("/v1/images/generations", gen()), 502, "", "upstream_error"));  // beta opens
  auto none = post("/v1/images/generations", gen());
  EXPECT_TRUE(is_error(none, 503, "", "providers_unavailable"));
  EXPECT_TRUE(none->has_header("Retry-After"));
  auto jr = post("/v1/generations", {{"model", kModel}, {"input", {{"prompt", "x"}}}, {"wait", 30}});
  json failed = body_json(jr);
  EXPECT_EQ(failed["status"], "failed");
  EXPECT_EQ(failed["error"]["code"], "providers_unavailable");
}

TEST_F(Providers, LatencyRoutingConcurrencySpillOverAndCancel) {
  json f = two_providers();
  f["catalog"][kModel]["routing"] = "latency";
  f["providers"][0]["max_concurrency"] = 1;
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  g_up->alpha_proxy->set(Mode::kSlow, 400);
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "alpha");  // unmeasured: priority order
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");   // beta not measured yet
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");   // measured faster
  json alpha = provider_row("alpha"), beta = provider_row("beta");
  EXPECT_GT(alpha["latency_s"]["p50"].get<double>(), 0.4);
  EXPECT_LT(beta["latency_s"]["p50"].get<double>(), alpha["latency_s"]["p50"].get<double>());
  EXPECT_EQ(beta["availability"], 1.0);
  EXPECT_DOUBLE_EQ(beta["measured_cost_per_image"].get<double>(), 0.006);
  // Cancelling a job waiting on a slow upstream closes that request at once.
  g_up->alpha_proxy->set(Mode::kSlow, 5000);
  auto jr = post("/v1/generations", {{"model", kModel}, {"provider", "alpha"}, {"input", {{"prompt", "x"}, {"quality", "low"}}}});
  ASSERT_TRUE(jr);
  const std::string id = body_json(jr)["id"];
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  auto c = post("/v1/generations/" + id + "/cancel", json::object());
  ASSERT_TRUE(c);
  EXPECT_EQ(body_json(c)["status"], "canceled") << c->body;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
  // Concurrency: alpha takes one request at a time; with it busy, price routing spills to beta.
  gateway_.stop();
  f["catalog"][kModel].erase("routing");
  ASSERT_TRUE(start(f)) << gateway_.last_error();
  g_up->alpha_proxy->set(Mode::kSlow, 1500);
  const int alpha_before = g_up->alpha_proxy->requests.load();
  auto first = std::async(std::launch::async, [&] { return served_by(post("/v1/images/generations", gen())); });
  // Until the first request reaches alpha (it holds alpha's one slot from then on): a fixed sleep
  // lost this race on a loaded machine (tests run two at a time).
  for (int i = 0; i < 500 && g_up->alpha_proxy->requests.load() == alpha_before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GT(g_up->alpha_proxy->requests.load(), alpha_before);
  EXPECT_EQ(served_by(post("/v1/images/generations", gen())), "beta");
  EXPECT_EQ(first.get(), "alpha");
}

TEST_F(Providers, FiguresInProvidersTableAndMetricsAndTheKeyNeverShows) {
  ASSERT_TRUE(start(two_providers())) << gateway_.last_error();
  for (int i = 0; i < 4; ++i) ASSERT_EQ(served_by(post("/v1/images/generations", gen())), "alpha");
  json row = provider_row("alpha");
  EXPECT_EQ(row["requests"], 4);
  EXPECT_EQ(row["error_rate"], 0.0);
  EXPECT_EQ(row["availability"], 1.0);
  EXPECT_GT(row["latency_s"]["p50"].get<double>(), 0.0);
  EXPECT_GE(row["latency_s"]["p95"].get<double>(), row["latency_s"]["p50"].get<double>());
  EXPECT_DOUBLE_EQ(row["measured_cost_per_image"].get<double>(), 0.005);
  EXPECT_EQ(row["input"], json::array({"text", "image"}));
  EXPECT_EQ(row["output"], json::array({"image"}));
  json local = provider_row("local", "pictor-mini");
  EXPECT_EQ(local["kind"], "local");
  const std::string metrics = gateway_.client().Get("/metrics")->body;
  EXPECT_NE(metrics.find("pictor_provider_latency_seconds{provider=\"alpha\",model=\"gpt-image-1-mini\",quantile=\"0.5\"}"),
            std::string::npos);
  EXPECT_NE(metrics.find("pictor_provider_requests_total{provider=\"alpha\",model=\"gpt-image-1-mini\",outcome=\"served\"} 4"),
            std::string::npos);
  // The upstream key: not in any answer, not in the log.
  const std::string& key = g_up->alpha_key;
  ASSERT_GT(key.size(), 20u);
  for (const char* path : {"/v1/providers", "/v1/models", "/v1/models/gpt-image-1-mini", "/metrics"})
    EXPECT_EQ(gateway_.client().Get(path)->body.find(key), std::string::npos) << path;
  g_up->alpha_proxy->set(Mode::kStatus500);
  (void)post("/v1/images/generations", gen());
  gateway_.stop();
  const std::string log = read_file(data_.parent_path() / (data_.filename().string() + "-server.log"));
  EXPECT_NE(log.find("provider.attempt_failed"), std::string::npos);
  EXPECT_EQ(log.find(key), std::string::npos);
}


TEST_F(Providers, ImageUrlsAreFetchedOnlyUnderTheAllowList) {
  // An image host on loopback: a small PNG, a large one, redirects, a slow answer.
  httplib::Server images;
  const std::string ok_png = png_bytes(64, 64, 3);
  Image noise(300, 300, 3);
  std::mt19937 rng(7);  // incompressible: the PNG stays large
  for (auto& p : noise.pixels) p = uint8_t(rng());
  auto big = codecs::encode_image(noise, codecs::ImageFormat::kPng);
  const std::string big_png(big->begin(), big->end());
  ASSERT_GT(big_png.size(), 60'000u);
  int port = 0;
  images.Get("/ok.png", [&](const httplib::Request&, httplib::Response& res) { res.set_content(ok_png, "image/png"); });
  images.Get("/big.png", [&](const httplib::Request&, httplib::Response& res) { res.set_content(big_png, "image/png"); });
  images.Get("/to-ok", [&](const httplib::Request&, httplib::Response& res) { res.set_redirect("/ok.png"); });
  images.Get("/to-localhost", [&](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("http://localhost:" + std::to_string(port) + "/ok.png");
  });
  images.Get("/slow.png", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    res.set_content(ok_png, "image/png");
  });
  port = images.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { images.listen_after_bind(); });
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  auto edit_job = [&](const std::string& url) {
    return post("/v1/generations",
                {{"model", "pictor-mini"}, {"input", {{"prompt", "make it green"}, {"images", {url}}, {"steps", 1}}}, {"wait", 60}});
  };
  auto refused = [&](const httplib::Result& r, const std::string& words) {
    if (!is_error(r, 400, "input.images[0]", "invalid_value")) return is_error(r, 400, "input.images[0]", "invalid_value");
    if (r->body.find(words) == std::string::npos) return ::testing::AssertionFailure() << r->body << " lacks " << words;
    return ::testing::AssertionSuccess();
  };

  const fs::path file = data_.string() + "-providers.json";
  std::ofstream(file) << two_providers().dump();
  ASSERT_TRUE(gateway_.start(data_, {"--no-auth", "--fetch-allow", "127.0.0.1", "--fetch-max-mb", "0.05", "--fetch-timeout", "1"}))
      << gateway_.last_error();
  auto r = edit_job(base + "/ok.png");
  ASSERT_TRUE(r);
  json done = body_json(r);
  EXPECT_EQ(done["status"], "completed") << r->body;
  EXPECT_EQ(done["kind"], "edit");
  EXPECT_EQ(body_json(edit_job(base + "/to-ok"))["status"], "completed");  // a redirect within the list
  EXPECT_TRUE(refused(edit_job("http://localhost:" + std::to_string(port) + "/ok.png"), "allow-list"));
  EXPECT_TRUE(refused(edit_job(base + "/to-localhost"), "allow-list"));  // each hop is checked
  EXPECT_TRUE(refused(edit_job(base + "/big.png"), "larger than"));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(refused(edit_job(base + "/slow.png"), "longer than"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.4);
  EXPECT_TRUE(refused(edit_job("ftp://127.0.0.1/x.png"), ""));
  // A media URL of this server is read from its store, not fetched.
  const std::string media_url = done["output"]["media"][0]["url"];
  EXPECT_EQ(body_json(edit_job(media_url))["status"], "completed");
  EXPECT_TRUE(refused(edit_job("/v1/media/media_nope"), "no media"));
  gateway_.stop();

  // Listing the name is not enough for a loopback address: the address must be listed.
  ASSERT_TRUE(gateway_.start(data_, {"--no-auth", "--fetch-allow", "localhost"})) << gateway_.last_error();
  EXPECT_TRUE(refused(edit_job("http://localhost:" + std::to_string(port) + "/ok.png"), "loopback"));
  gateway_.stop();
  ASSERT_TRUE(gateway_.start(data_, {"--no-auth"})) << gateway_.last_error();
  EXPECT_TRUE(refused(edit_job(base + "/ok.png"), "does not fetch"));
  images.stop();
  serving.join();
}

}  // namespace
}  // namespace pictor::test
