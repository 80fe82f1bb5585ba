// The OpenAI-compatible endpoints, auth, limits and operations against the real server.
#include <gtest/gtest.h>

#include "server_harness.h"

namespace pictor::test {
namespace {

class ServerApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = scratch_dir() / "api";
    fs::create_directories(data_);
    key_ = create_key(data_, "alice");
    revoked_ = create_key(data_, "mallory");
    limited_ = create_key(data_, "slowpoke", 3);
    ASSERT_FALSE(key_.empty());
    ASSERT_EQ(run_pictor("keys revoke mallory --data-dir " + data_.string()).first, 0);
    server_ = new ServerProcess();
    ASSERT_TRUE(server_->start(data_, {"--max-body-mb", "1", "--max-input-pixels", "100000"})) << server_->last_error();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    delete server_;
  }
  static httplib::Result post(const std::string& path, const json& body, const std::string& key = key_) {
    auto c = server_->client(key);
    return c.Post(path, body.dump(), "application/json");
  }
  static fs::path data_;
  static std::string key_, revoked_, limited_;
  static ServerProcess* server_;
};
fs::path ServerApi::data_;
std::string ServerApi::key_, ServerApi::revoked_, ServerApi::limited_;
ServerProcess* ServerApi::server_ = nullptr;

TEST_F(ServerApi, OperationsEndpointsAnswerWithoutAKey) {
  auto c = server_->client();
  auto h = c.Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_TRUE(h->has_header("x-request-id"));
  auto r = c.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto o = c.Get("/openapi.json");
  ASSERT_TRUE(o);
  EXPECT_TRUE(body_json(o)["paths"].contains("/v1/images/generations"));
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("pictor_queue_depth"), std::string::npos);
  EXPECT_NE(m->body.find("pictor_http_request_duration_seconds_bucket"), std::string::npos);
  // A caller's request id is echoed; unknown routes get the envelope too.
  EXPECT_TRUE(is_error(c.Get("/v1/nothing-here"), 404, "", "unknown_route"));
  EXPECT_TRUE(is_error(c.Post("/v1/images/variations", "{}", "application/json"), 404, "", "unknown_route"));
  auto e = c.Get("/healthz", {{"X-Request-Id", "trace-123"}});
  EXPECT_EQ(e->get_header_value("x-request-id"), "trace-123");
}

TEST_F(ServerApi, AuthenticationAndRateLimit) {
  EXPECT_TRUE(is_error(post("/v1/images/generations", {{"prompt", "a red circle"}}, ""), 401, "", "missing_api_key"));
  EXPECT_TRUE(is_error(post("/v1/images/generations", {{"prompt", "a red circle"}}, "pk-wrong"), 401, "", "invalid_api_key"));
  EXPECT_TRUE(is_error(post("/v1/images/generations", {{"prompt", "a red circle"}}, revoked_), 403, "", "revoked_api_key"));
  auto c = server_->client(limited_);
  for (int i = 0; i < 3; ++i) {
    auto r = c.Get("/v1/models");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  auto r = c.Get("/v1/models");
  EXPECT_TRUE(is_error(r, 429, "", "rate_limit_exceeded"));
  EXPECT_TRUE(r->has_header("Retry-After"));
}

TEST_F(ServerApi, GeneratesPngWithUsageAndCost) {
  auto r = post("/v1/images/generations", {{"prompt", "two red circles"}, {"n", 2}, {"quality", "low"}, {"seed", 7}, {"steps", 2}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = body_json(r);
  ASSERT_EQ(j["data"].size(), 2u);
  for (const auto& d : j["data"]) {
    auto bytes = codecs::base64_decode(d["b64_json"].get<std::string>());
    ASSERT_TRUE(bytes.is_ok());
    auto img = codecs::decode_image(*bytes);
    ASSERT_TRUE(img.is_ok());
    EXPECT_GT(img->width, 0);
  }
  EXPECT_EQ(j["quality"], "low");
  EXPECT_EQ(j["output_format"], "png");
  EXPECT_GT(j["created"].get<int64_t>(), 1700000000);
  EXPECT_GT(j["usage"]["total_tokens"].get<int>(), 0);
  EXPECT_GT(j["usage"]["compute_seconds"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(j["usage"]["cost_usd"].get<double>(), 2 * 0.0005);
  // Same seed, same pixels.
  auto again = post("/v1/images/generations", {{"prompt", "two red circles"}, {"n", 2}, {"quality", "low"}, {"seed", 7}, {"steps", 2}});
  EXPECT_EQ(body_json(again)["data"][0]["b64_json"], j["data"][0]["b64_json"]);
  // JPEG output and url responses.
  auto jpg = post("/v1/images/generations", {{"prompt", "a blue square"}, {"output_format", "jpeg"}, {"output_compression", 50},
                                             {"steps", 1}, {"response_format", "url"}});
  ASSERT_EQ(jpg->status, 200) << jpg->body;
  const std::string url = body_json(jpg)["data"][0]["url"];
  auto media = server_->client(key_).Get(url.substr(url.find("/v1/")));
  ASSERT_TRUE(media);
  EXPECT_EQ(media->status, 200);
  EXPECT_EQ(media->get_header_value("Content-Type"), "image/jpeg");
}

TEST_F(ServerApi, StreamsPartialImagesThenTheCompletedImage) {
  auto c = server_->client(key_);
  std::string stream;
  json body = {{"prompt", "a red circle"}, {"stream", true}, {"partial_images", 2}, {"steps", 6}, {"seed", 2}};
  auto r = c.Post("/v1/images/generations", body.dump(), "application/json");  // the whole stream
  ASSERT_TRUE(r);
  stream = r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  std::vector<json> events;
  for (size_t pos = 0; (pos = stream.find("data: ", pos)) != std::string::npos;) {
    const size_t end = stream.find('\n', pos);
    events.push_back(json::parse(stream.substr(pos + 6, end - pos - 6)));
    pos = end;
  }
  ASSERT_EQ(events.size(), 3u) << stream.substr(0, 400);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(events[size_t(k)]["type"], "image_generation.partial_image");
    EXPECT_EQ(events[size_t(k)]["partial_image_index"], k);
    auto png = codecs::base64_decode(events[size_t(k)]["b64_json"].get<std::string>());
    ASSERT_TRUE(png.is_ok());
    EXPECT_TRUE(codecs::decode_image(*png).is_ok());
  }
  EXPECT_EQ(events[2]["type"], "image_generation.completed");
  EXPECT_GT(events[2]["usage"]["total_tokens"].get<int>(), 0);
  // The streamed image is the one the non-streaming endpoint makes for the same seed.
  body.erase("stream");
  body.erase("partial_images");
  auto plain = c.Post("/v1/images/generations", body.dump(), "application/json");
  EXPECT_EQ(body_json(plain)["data"][0]["b64_json"], events[2]["b64_json"]);
}

TEST_F(ServerApi, BadGenerationRequestsNameTheParam) {
  const std::string p = "/v1/images/generations";
  EXPECT_TRUE(is_error(post(p, json::object()), 400, "prompt"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", 5}}), 400, "prompt", "invalid_type"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"n", "2"}}), 400, "n", "invalid_type"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"n", 11}}), 400, "n"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"n", 0}}), 400, "n"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"size", "big"}}), 400, "size"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"size", "8000x8000"}}), 400, "size"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"quality", "hd"}}), 400, "quality"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"output_format", "gif"}}), 400, "output_format"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"output_compression", 101}}), 400, "output_compression"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"background", "transparent"}}), 400, "background"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"stream", "yes"}}), 400, "stream", "invalid_type"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"guidance", 99}}), 400, "guidance"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"bogus", 1}}), 400, "bogus"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "x"}, {"model", "dall-e-9"}}), 404, "model", "model_not_found"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", std::string(32001, 'a')}}), 400, "prompt"));
  EXPECT_TRUE(is_error(post(p, {{"prompt", "   "}}), 400, "prompt"));
  auto c = server_->client(key_);
  EXPECT_TRUE(is_error(c.Post(p, "{not json", "application/json"), 400, "body", "invalid_json"));
  EXPECT_TRUE(is_error(c.Post(p, "[1,2]", "application/json"), 400));
  // Over --max-body-mb 1.
  EXPECT_TRUE(is_error(c.Post(p, std::string(2 << 20, 'x'), "application/json"), 413));
}

TEST_F(ServerApi, EditsMultipartAndJsonWithMaskInpainting) {
  auto c = server_->client(key_);
  const std::string image = png_bytes(64, 64, 3), mask = png_bytes(64, 64, 4);
  httplib::MultipartFormDataItems items = {{"image", image, "in.png", "image/png"},
                                           {"mask", mask, "mask.png", "image/png"},
                                           {"prompt", "a yellow star", "", ""},
                                           {"steps", "2", "", ""},
                                           {"seed", "3", "", ""}};
  auto r = c.Post("/v1/images/edits", items);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto out = codecs::base64_decode(body_json(r)["data"][0]["b64_json"].get<std::string>());
  auto img = codecs::decode_image(*out);
  ASSERT_TRUE(img.is_ok());
  auto in = codecs::decode_image(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(image.data()), image.size()));
  ASSERT_EQ(img->width, 64);
  // Outside the mask (its right half is opaque) the pixels are the input's.
  for (int y = 0; y < 64; ++y)
    for (int x = 32; x < 64; ++x)
      for (int k = 0; k < 3; ++k) ASSERT_EQ(img->at(x, y)[k], in->at(x, y)[k]) << x << "," << y;
  // JSON form with data URLs.
  const std::string data_url = "data:image/png;base64," + codecs::base64_encode(std::span<const uint8_t>(
                                                             reinterpret_cast<const uint8_t*>(image.data()), image.size()));
  auto j = post("/v1/images/edits", {{"prompt", "make it blue"}, {"images", {{{"image_url", data_url}}}}, {"steps", 1}, {"strength", 0.5}});
  ASSERT_EQ(j->status, 200) << j->body;
}

TEST_F(ServerApi, BadEditsAreRefusedWithNothingStored) {
  auto c = server_->client(key_);
  const std::string image = png_bytes(64, 64, 3);
  auto edit = [&](httplib::MultipartFormDataItems items) { return c.Post("/v1/images/edits", items); };
  EXPECT_TRUE(is_error(edit({{"prompt", "x", "", ""}}), 400, "image"));
  EXPECT_TRUE(is_error(edit({{"image", "not an image at all", "a.png", "image/png"}, {"prompt", "x", "", ""}}), 400, "image"));
  EXPECT_TRUE(is_error(edit({{"image", "GIF89a.......", "a.gif", "image/gif"}, {"prompt", "x", "", ""}}), 400, "image"));
  EXPECT_TRUE(is_error(edit({{"image", image, "a.png", "image/png"}, {"mask", png_bytes(32, 32, 4), "m.png", "image/png"}, {"prompt", "x", "", ""}}),
                       400, "mask"));
  EXPECT_TRUE(is_error(edit({{"image", image, "a.png", "image/png"}, {"mask", png_bytes(64, 64, 3), "m.png", "image/png"}, {"prompt", "x", "", ""}}),
                       400, "mask"));
  // Over --max-input-pixels 100000 (a decompression-bomb cap).
  EXPECT_TRUE(is_error(edit({{"image", png_bytes(400, 400, 3), "big.png", "image/png"}, {"prompt", "x", "", ""}}), 400, "image"));
  httplib::MultipartFormDataItems many = {{"prompt", "x", "", ""}};
  for (int i = 0; i < 17; ++i) many.push_back({"image[]", image, "a.png", "image/png"});
  EXPECT_TRUE(is_error(edit(many), 400, "image"));
  EXPECT_TRUE(is_error(edit({{"image", image, "a.png", "image/png"}, {"prompt", "x", "", ""}, {"n", "two", "", ""}}), 400, "n", "invalid_type"));
}

TEST_F(ServerApi, ModelsListPricesAndMeasuredLatency) {
  ASSERT_EQ(post("/v1/images/generations", {{"prompt", "a red circle"}, {"steps", 1}, {"quality", "high"}})->status, 200);
  auto c = server_->client(key_);
  auto r = c.Get("/v1/models");
  ASSERT_TRUE(r);
  json j = body_json(r);
  ASSERT_EQ(j["data"].size(), 1u);
  const json& m = j["data"][0];
  EXPECT_EQ(m["id"], "pictor-mini");
  EXPECT_TRUE(m["capabilities"]["generations"].get<bool>());
  EXPECT_DOUBLE_EQ(m["pricing"]["per_image"]["high"].get<double>(), 0.002);
  EXPECT_GT(m["latency"]["median_seconds_per_image"]["high"].get<double>(), 0.0);
  EXPECT_EQ(c.Get("/v1/models/pictor-mini")->status, 200);
  EXPECT_TRUE(is_error(c.Get("/v1/models/nope"), 404, "model", "model_not_found"));
}

TEST_F(ServerApi, UsageCountsImagesPerKey) {
  ASSERT_EQ(post("/v1/images/generations", {{"prompt", "a green ring"}, {"n", 3}, {"steps", 1}})->status, 200);
  auto c = server_->client(key_);
  auto r = c.Get("/v1/usage?bucket_width=1h");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = body_json(r);
  EXPECT_GE(j["total"]["images"].get<int>(), 3);
  EXPECT_GT(j["total"]["cost_usd"].get<double>(), 0.0);
  for (const auto& b : j["data"]) EXPECT_EQ(b["model"], "pictor-mini");
  EXPECT_TRUE(is_error(c.Get("/v1/usage?bucket_width=1y"), 400, "bucket_width"));
  EXPECT_TRUE(is_error(c.Get("/v1/usage?start_time=yesterday"), 400, "start_time"));
}

}  // namespace
}  // namespace pictor::test
