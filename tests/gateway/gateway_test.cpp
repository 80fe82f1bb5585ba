#include <gtest/gtest.h>

#include <deque>

#include "codecs/codecs.h"
#include "gateway/backoff.h"
#include "gateway/catalog.h"
#include "gateway/circuit_breaker.h"
#include "gateway/provider_config.h"
#include "gateway/router.h"
#include "gateway/sse_reader.h"
#include "gateway/url_fetch.h"
#include "gateway/webhook_signature.h"

namespace pictor::gateway {
namespace {

const EnvLookup kEnv = [](const char* name) -> const char* {
  return std::string(name) == "KEY_SET" ? "sk-secret" : nullptr;
};

std::string file_with(const std::string& providers, const std::string& extra = "") {
  return R"({"providers": [)" + providers + "]" + extra + "}";
}
const char* kA = R"({"name": "a", "kind": "openai", "base_url": "http://127.0.0.1:1/v1", "models": {"m": "up-m"},
                     "prices": {"low": 0.01, "1024x1024": {"low": 0.02}}, "priority": 2})";
const char* kB = R"({"name": "b", "kind": "pictor", "base_url": "http://127.0.0.1:2/v1/", "models": {"m": "m"},
                     "prices": {"low": 0.005}, "priority": 1})";

TEST(ProvidersFile, ParsesAndChecksEveryKey) {
  auto f = parse_providers(file_with(kA + std::string(",") + kB), kEnv);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  ASSERT_EQ(f->providers.size(), 2u);
  EXPECT_EQ(f->providers[1].base_url, "http://127.0.0.1:2/v1");  // trailing slash dropped
  EXPECT_EQ(f->providers[0].models.at("m"), "up-m");
  EXPECT_DOUBLE_EQ(f->providers[0].prices.price("low", "1024x1024"), 0.02);
  EXPECT_DOUBLE_EQ(f->providers[0].prices.price("low", "auto"), 0.01);
  EXPECT_DOUBLE_EQ(f->providers[0].prices.price("high", "auto"), -1);
  auto err = [&](const std::string& text) { return parse_providers(text, kEnv).status().message(); };
  EXPECT_NE(err(file_with(R"({"name": "x", "kind": "openai", "base_url": "ftp://h", "models": {"m": "m"}})")).find("providers[0].base_url"), std::string::npos);
  EXPECT_NE(err(file_with(R"({"name": "local", "kind": "openai", "base_url": "http://h", "models": {"m": "m"}})")).find("pictor's own engines"), std::string::npos);
  EXPECT_NE(err(file_with(kA, R"(, "routing": "random")")).find("routing"), std::string::npos);
  EXPECT_NE(err(file_with(kA, R"(, "retry": {"max_attempts": 0})")).find("retry.max_attempts"), std::string::npos);
  EXPECT_NE(err(file_with(R"({"name": "x", "kind": "openai", "base_url": "http://h", "models": {"m": "m"}, "api_key_env": "KEY_UNSET"})")).find("KEY_UNSET is not set"), std::string::npos);
  auto keyed = parse_providers(file_with(R"({"name": "x", "kind": "openai", "base_url": "http://h", "models": {"m": "m"}, "api_key_env": "KEY_SET"})"), kEnv);
  ASSERT_TRUE(keyed.is_ok());
  EXPECT_EQ(keyed->providers[0].api_key, "sk-secret");
  EXPECT_EQ(keyed->providers[0].prices.to_json().dump().find("sk-"), std::string::npos);
}

TEST(Catalog, AppliesFieldsAndRefusesUnknownOnes) {
  CatalogEntry e = upstream_catalog_entry("m");
  ASSERT_TRUE(e.apply(nlohmann::json::parse(R"({"name": "M", "license": {"name": "L", "commercial_use": false},
                                                 "capabilities": {"sizes": ["64x64"], "max_n": 4}})"), "catalog.m").is_ok());
  EXPECT_EQ(e.to_json()["name"], "M");
  EXPECT_EQ(e.to_json()["license"]["commercial_use"], false);
  EXPECT_EQ(e.to_json()["capabilities"]["max_n"], 4);
  EXPECT_NE(e.apply(nlohmann::json::parse(R"({"colour": 1})"), "catalog.m").message().find("catalog.m.colour"), std::string::npos);
  auto local = local_catalog_entry("pictor-mini", "pictor-mini", 64, 64, true, {{"pictor.card.release_date", "2026-11-28"}});
  EXPECT_EQ(local.release_date, "2026-11-28");
  EXPECT_EQ(local.capabilities.sizes, (std::vector<std::string>{"auto", "64x64"}));
}

TEST(SseReader, JoinsEventsAcrossArbitraryChunks) {
  std::vector<std::pair<std::string, std::string>> got;
  SseReader r([&](const std::string& e, const std::string& d) {
    got.push_back({e, d});
    return true;
  });
  const std::string text = ": ping\r\nevent: a\r\ndata: {\"x\":1}\r\n\r\nevent: b\ndata: one\ndata: two\n\n";
  for (char c : text) ASSERT_TRUE(r.feed(&c, 1));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"a", "{\"x\":1}"}));
  EXPECT_EQ(got[1].second, "one\ntwo");
}

TEST(UrlFetch, ParsesUrlsAndKnowsInternalAddresses) {
  auto u = parse_http_url("https://Example.com:8443/a/b.png?x=1#frag");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/a/b.png?x=1");
  EXPECT_FALSE(parse_http_url("http://user:pw@example.com/").is_ok());
  EXPECT_FALSE(parse_http_url("file:///etc/passwd").is_ok());
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                         "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1"})
    EXPECT_TRUE(is_internal_address(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "2001:4860:4860::8888"}) EXPECT_FALSE(is_internal_address(ip)) << ip;
  FetchPolicy off;
  EXPECT_NE(fetch_url("http://8.8.8.8/x.png", off).status().message().find("does not fetch"), std::string::npos);
  FetchPolicy only_a;
  only_a.allow = {"*.example.com"};
  EXPECT_NE(fetch_url("http://example.org/x.png", only_a).status().message().find("allow-list"), std::string::npos);
  FetchPolicy loop;
  loop.allow = {"localhost"};
  EXPECT_NE(fetch_url("http://localhost:9/x.png", loop).status().message().find("loopback"), std::string::npos);
}

TEST(UrlFetch, WebhookUrlsAreCheckedBeforeAnythingIsSent) {
  FetchPolicy hooks;
  hooks.allow = {"hooks.example.com", "127.0.0.1"};
  EXPECT_TRUE(check_url_allowed("https://hooks.example.com/pictor", hooks).is_ok());
  EXPECT_TRUE(check_url_allowed("http://127.0.0.1:8000/hook", hooks).is_ok()) << "a listed loopback address";
  EXPECT_NE(check_url_allowed("https://evil.example.org/", hooks).message().find("allow-list"), std::string::npos);
  EXPECT_NE(check_url_allowed("ftp://hooks.example.com/", hooks).message().find("http"), std::string::npos);
  FetchPolicy wildcard;
  wildcard.allow = {"*"};  // a bare "*" is no wildcard: only "*.domain" is
  EXPECT_FALSE(check_url_allowed("https://hooks.example.com/", wildcard).is_ok());
  FetchPolicy v6;
  v6.allow = {"::1"};
  EXPECT_TRUE(check_url_allowed("http://[::1]:9/h", v6).is_ok());
  FetchPolicy names_only;
  names_only.allow = {"10.0.0.5"};
  EXPECT_TRUE(check_url_allowed("http://10.0.0.5/h", names_only).is_ok());
  // Sending re-checks the address the name resolves to: a listed name pointing at loopback is refused.
  FetchPolicy by_name;
  by_name.allow = {"localhost"};
  auto sent = post_url("http://localhost:9/h", {}, "{}", "application/json", by_name);
  ASSERT_FALSE(sent.is_ok());
  EXPECT_EQ(sent.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sent.status().message().find("loopback"), std::string::npos);
  // Nothing listening: unavailable (worth retrying), not invalid_argument.
  FetchPolicy loop;
  loop.allow = {"127.0.0.1"};
  loop.timeout_s = 2;
  auto refused = post_url("http://127.0.0.1:9/h", {}, "{}", "application/json", loop);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
}

TEST(Backoff, DoublesUpToTheCapWithinTheJitter) {
  EXPECT_DOUBLE_EQ(backoff_delay(5, 1, 3600, 0.2, 0.5), 5);
  EXPECT_DOUBLE_EQ(backoff_delay(5, 2, 3600, 0.2, 0.5), 10);
  EXPECT_DOUBLE_EQ(backoff_delay(5, 4, 3600, 0.2, 0.5), 40);
  EXPECT_DOUBLE_EQ(backoff_delay(5, 30, 3600, 0.2, 0.5), 3600);
  EXPECT_DOUBLE_EQ(backoff_delay(5, 1000, 3600, 0.2, 0.5), 3600) << "no overflow far out";
  EXPECT_DOUBLE_EQ(backoff_delay(5, 1, 3600, 0.2, 0.0), 4);
  EXPECT_NEAR(backoff_delay(5, 1, 3600, 0.2, 0.999999), 6, 1e-4);
  EXPECT_DOUBLE_EQ(backoff_delay(200, 3, 1000, 0.5, 0.0), 400);
  EXPECT_DOUBLE_EQ(backoff_delay(200, 0, 1000, 0.5, 0.5), 200) << "retry 0 counts as the first";
}

TEST(WebhookSignature, MatchesTheStandardWebhooksVector) {
  // The Standard Webhooks specification's example (and its reference libraries' tests).
  auto sig = webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                               R"({"test": 2432232314})");
  ASSERT_TRUE(sig.is_ok());
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Any change to id, time or body changes it.
  EXPECT_NE(*webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                               R"({"test": 2432232314})"), *sig);
  EXPECT_NE(*webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                               R"({"test": 2432232315})"), *sig);
  EXPECT_FALSE(webhook_signature("whsec_not base64!", "id", 1, "{}").is_ok());
  const std::string s1 = new_webhook_secret(), s2 = new_webhook_secret();
  EXPECT_EQ(s1.rfind("whsec_", 0), 0u);
  EXPECT_EQ(s1.size(), 6u + 44u);
  EXPECT_NE(s1, s2);
  EXPECT_TRUE(webhook_signature(s1, "id", 1, "{}").is_ok());
}

TEST(CircuitBreaker, OpensHalfOpensAndCloses) {
  CircuitBreaker b({2, 0.05});
  EXPECT_TRUE(b.allow());
  b.on_failure();
  EXPECT_EQ(b.state(), "closed");
  b.on_failure();
  EXPECT_EQ(b.state(), "open");
  EXPECT_FALSE(b.would_allow());
  std::this_thread::sleep_for(std::chrono::milliseconds(70));
  EXPECT_TRUE(b.allow());   // the half-open trial
  EXPECT_FALSE(b.allow());  // only one at a time
  b.on_failure();           // the trial failed: open again
  EXPECT_EQ(b.state(), "open");
  std::this_thread::sleep_for(std::chrono::milliseconds(70));
  EXPECT_TRUE(b.allow());
  b.on_success();
  EXPECT_EQ(b.state(), "closed");
}

// The router with scripted attempts: each provider answers from its own list of outcomes.
struct Script {
  std::map<std::string, std::deque<AttemptOutcome>> next;
  std::vector<std::string> calls;
  Router::Attempt attempt() {
    return [this](const Candidate& c) {
      calls.push_back(c.provider);
      auto& q = next[c.provider];
      if (q.empty()) return AttemptOutcome{};  // ok
      AttemptOutcome o = q.front();
      q.pop_front();
      return o;
    };
  }
};

AttemptOutcome failure(bool retryable, double retry_after = -1, bool produced = false, bool failover = true) {
  AttemptOutcome o;
  o.status = unavailable("injected");
  o.failure.retryable = retryable;
  o.failure.failover = failover;
  o.failure.retry_after_s = retry_after;
  o.failure.produced_image = produced;
  return o;
}

Router make_router(const std::string& extra = R"(, "retry": {"max_attempts": 2, "base_delay_ms": 1, "max_delay_ms": 2, "max_retry_after_s": 1},
                                               "circuit_breaker": {"failure_threshold": 3, "cooldown_s": 60})") {
  auto f2 = parse_providers(file_with(kA + std::string(",") + kB, extra), kEnv);
  LocalProvider local;
  return Router(std::move(*f2), local);
}

TEST(Router, OrdersByPriceThenPriorityAndHonoursTheOverride) {
  Router r = make_router();
  RoutePrefs p;
  p.quality = "low";
  auto plan = r.plan("m", p);
  ASSERT_TRUE(plan.is_ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].provider, "b");  // $0.005 < $0.01
  p.size = "1024x1024";
  EXPECT_EQ((*r.plan("m", p))[0].provider, "b");
  p.quality = "high";  // neither prices high: priority decides (b = 1)
  EXPECT_EQ((*r.plan("m", p))[0].provider, "b");
  p.provider = "a";
  ASSERT_EQ(r.plan("m", p)->size(), 1u);
  p.provider = "zzz";
  EXPECT_FALSE(r.plan("m", p).is_ok());
}

TEST(Router, RetriesThenFailsOverButNeverAfterAnImage) {
  Router r = make_router(R"(, "retry": {"max_attempts": 2, "base_delay_ms": 1, "max_delay_ms": 2, "max_retry_after_s": 1},
                            "circuit_breaker": {"failure_threshold": 100, "cooldown_s": 60})");
  RoutePrefs p;
  p.quality = "low";
  Script s;
  s.next["b"] = {failure(true), failure(true)};
  auto res = r.run("m", p, s.attempt(), nullptr);
  EXPECT_TRUE(res.status.is_ok());
  EXPECT_EQ(res.provider, "a");
  EXPECT_EQ(s.calls, (std::vector<std::string>{"b", "b", "a"}));
  // An image was produced before the failure: the request is not run elsewhere.
  Script once;
  once.next["b"] = {failure(true, -1, /*produced=*/true)};
  res = r.run("m", p, once.attempt(), nullptr);
  EXPECT_FALSE(res.status.is_ok());
  EXPECT_EQ(once.calls, (std::vector<std::string>{"b"}));
  // A request error stays with the request.
  Script bad;
  bad.next["b"] = {failure(false, -1, false, /*failover=*/false)};
  res = r.run("m", p, bad.attempt(), nullptr);
  EXPECT_FALSE(res.status.is_ok());
  EXPECT_EQ(bad.calls.size(), 1u);
  // Retry-After beyond max_retry_after_s: the next provider at once, no retry.
  Script later;
  later.next["b"] = {failure(true, 120)};
  res = r.run("m", p, later.attempt(), nullptr);
  EXPECT_TRUE(res.status.is_ok());
  EXPECT_EQ(later.calls, (std::vector<std::string>{"b", "a"}));
}

TEST(Router, OpenCircuitsAreSkippedAndNoneLeftIsUnavailable) {
  Router r = make_router();
  RoutePrefs p;
  p.quality = "low";
  Script s;
  for (int i = 0; i < 10; ++i) {
    s.next["a"].push_back(failure(true));
    s.next["b"].push_back(failure(true));
  }
  auto res = r.run("m", p, s.attempt(), nullptr);  // b ×2, a ×2
  EXPECT_EQ(res.error_code, "upstream_error");
  res = r.run("m", p, s.attempt(), nullptr);       // b's 3rd failure opens it; a's too
  EXPECT_EQ(res.error_code, "upstream_error");
  const size_t calls = s.calls.size();
  res = r.run("m", p, s.attempt(), nullptr);
  EXPECT_EQ(res.error_code, "providers_unavailable");
  EXPECT_EQ(res.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.calls.size(), calls);  // nothing was attempted
  ASSERT_EQ(res.attempts.size(), 2u);
  EXPECT_EQ(res.attempts[0].outcome, "circuit_open");
  auto rows = r.rows("m");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].circuit, "open");
  EXPECT_EQ(rows[0].stats.availability, 0.0);
  EXPECT_EQ(rows[0].stats.error_rate, 1.0);
}

TEST(ProbeImage, ReadsDimensionsFromHeaders) {
  Image img(37, 21, 3);
  for (auto fmt : {codecs::ImageFormat::kPng, codecs::ImageFormat::kJpeg, codecs::ImageFormat::kWebp}) {
    auto bytes = codecs::encode_image(img, fmt, 90);
    ASSERT_TRUE(bytes.is_ok());
    auto d = codecs::probe_image(*bytes);
    ASSERT_TRUE(d.is_ok()) << d.status().message();
    EXPECT_EQ(d->width, 37);
    EXPECT_EQ(d->height, 21);
    EXPECT_EQ(d->format, fmt);
  }
  const uint8_t junk[] = {0x89, 'P', 'N', 'G', 0, 0};
  EXPECT_FALSE(codecs::probe_image(junk).is_ok());
}

}  // namespace
}  // namespace pictor::gateway
