// Malformed request bodies against the real server: each must get a 4xx with the OpenAI error
// envelope, never a 5xx (issue 22; the fuzzers in fuzz/ hunt the same bugs in the parsers alone).
// Every endpoint that reads a body gets the same list of broken JSON; the edits endpoint also
// gets broken multipart bodies, sent as raw bytes so that boundaries can be wrong.
#include <gtest/gtest.h>

#include "server_harness.h"

namespace pictor::test {
namespace {

// Broken JSON: truncated, not JSON, NUL bytes, invalid UTF-8, numbers no type can hold, deep
// nesting. None may be accepted by any endpoint.
std::vector<std::string> broken_json() {
  return {
      "",
      "{",
      "{\"prompt\": \"a red ci",
      "{\"prompt\": \"x\",}",
      "nul",
      std::string("{\"prompt\": \"a\0b\"}", 17),  // a raw NUL inside a string
      std::string("\0\0\0\0", 4),
      "{\"prompt\": \"\xff\xfe\"}",  // invalid UTF-8: the parse error quotes it
      "\xef\xbb\xbf\xff{}",
      "{\"prompt\": \"x\", \"n\": 1e400}",  // past a double: out_of_range, not parse_error
      "{\"prompt\": \"x\", \"n\": -1e400}",
      "{\"prompt\": \"x\", \"ts\": 1" + std::string(400, '0') + "}",
      std::string(100000, '[') + std::string(100000, ']'),  // deep but valid: not an object
      "[1, 2, 3]",
      "\"a string\"",
      "null",
  };
}

// JSON that parses, with values of the wrong type or out of range for the images endpoints.
std::vector<std::string> bad_image_requests() {
  return {
      "{}",
      "{\"prompt\": 5}",
      "{\"prompt\": [\"x\"]}",
      "{\"prompt\": \"x\", \"n\": 18446744073709551616}",
      "{\"prompt\": \"x\", \"n\": 9223372036854775808}",
      "{\"prompt\": \"x\", \"n\": -9223372036854775809}",
      "{\"prompt\": \"x\", \"n\": 2.5}",
      "{\"prompt\": \"x\", \"seed\": -1}",
      "{\"prompt\": \"x\", \"seed\": 1e300}",
      "{\"prompt\": \"x\", \"size\": \"512\\u0000x512\"}",
      "{\"prompt\": \"x\", \"size\": \"99999999x1\"}",
      "{\"prompt\": \"x\", \"guidance\": \"high\"}",
      "{\"prompt\": \"x\", \"steps\": null, \"stream\": 1}",
      "{\"prompt\": \"x\", \"output_compression\": -1}",
      "{\"prompt\": \"x\", \"\\u0000\": 1}",
      "{\"prompt\": \"x\", \"images\": 5}",
      "{\"prompt\": \"x\", \"images\": []}",
      "{\"prompt\": \"x\", \"images\": [{\"file_id\": \"file_1\"}]}",
      "{\"prompt\": \"x\", \"images\": [\"data:image/png;base64,!!!!\"]}",
      "{\"prompt\": \"x\", \"images\": [\"aGVsbG8gd29ybGQ=\"]}",  // base64 of text, not an image
      "{\"prompt\": \"x\", \"images\": [\"data:image/png;base64,iVBORw0KGgo=\"]}",  // a PNG signature only
      "{\"prompt\": \"x\", \"images\": [\"/v1/media/med_nope\"]}",
      "{\"prompt\": \"x\", \"images\": [\"http://127.0.0.1:1/a.png\"]}",
      "{\"prompt\": \"x\", \"mask\": \"aGVsbG8=\"}",
  };
}

// Gateway jobs (POST /v1/generations).
std::vector<std::string> bad_gateway_requests() {
  return {
      "{}",
      "{\"input\": 5}",
      "{\"input\": {\"prompt\": \"x\"}, \"wait\": \"soon\"}",
      "{\"input\": {\"prompt\": \"x\"}, \"wait\": 18446744073709551615}",
      "{\"input\": {\"prompt\": \"x\"}, \"wait\": -1}",
      "{\"input\": {\"prompt\": \"x\", \"aspect_ratio\": \"0:0\"}}",
      "{\"input\": {\"prompt\": \"x\", \"aspect_ratio\": \"99999999:1\"}}",
      "{\"input\": {\"prompt\": \"x\", \"aspect_ratio\": 1.5}}",
      "{\"input\": {\"prompt\": \"x\"}, \"webhook\": {\"url\": 5}}",
      "{\"input\": {\"prompt\": \"x\"}, \"webhook\": {\"url\": \"https://example.com/\", \"events\": [1]}}",
      "{\"input\": {\"prompt\": \"x\", \"mask\": \"aGVsbG8=\"}}",
      "{\"model\": 5, \"input\": {\"prompt\": \"x\"}}",
  };
}

// Arena battle requests and votes.
std::vector<std::string> bad_arena_requests() {
  return {
      "{\"contestants\": 1e400}",
      "{\"contestants\": 18446744073709551616}",
      "{\"contestants\": \"two\"}",
      "{\"prompt\": 5}",
      "{\"winner\": \"\xc3\"}",
      "{\"winner\": \"tie\", \"ranking\": []}",
      "{\"ranking\": [[\"a\", \"a\"]]}",
      "{\"ranking\": [[]]}",
      "{\"ranking\": \"a\"}",
      "{\"ranking\": [[\"a\"], [\"b\"], [\"c\"], [\"d\"], [\"e\"]]}",
      "{\"winnér\": \"a\"}",
      "{\"" + std::string(39, 'k') + "\xc3\xa9\": 1}",  // echoed cut to 40 bytes: mid-character
  };
}

std::string multipart(const std::string& boundary, const std::vector<std::pair<std::string, std::string>>& parts,
                      bool close = true) {
  std::string out;
  for (const auto& [header, content] : parts) out += "--" + boundary + "\r\n" + header + "\r\n\r\n" + content + "\r\n";
  if (close) out += "--" + boundary + "--\r\n";
  return out;
}

std::string field(const std::string& name) { return "Content-Disposition: form-data; name=\"" + name + "\""; }
std::string file(const std::string& name) {
  return "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"a.png\"\r\nContent-Type: image/png";
}

class HostileBodies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = scratch_dir() / "hostile";
    fs::create_directories(data_);
    key_ = create_key(data_, "alice");
    auto [code, out] = run_pictor("keys create --admin --name ops --data-dir " + data_.string());
    admin_ = code == 0 ? out.substr(0, out.find('\n')) : "";
    ASSERT_FALSE(key_.empty());
    ASSERT_FALSE(admin_.empty());
    server_ = new ServerProcess();
    // Two models, so that a real battle can be made and sent broken votes.
    const fs::path second = data_ / "mini-b.safetensors";
    fs::copy_file(tiny_models_dir() / "pictor-mini" / "pictor-mini.safetensors", second,
                  fs::copy_options::overwrite_existing);
    ASSERT_TRUE(server_->start(data_, {"--max-body-mb", "1", "--max-input-pixels", "100000", "--arena-pool", "0",
                                        "--arena-votes-per-minute", "0", "--model", "pictor-mini", "--model",
                                        second.string()}))
        << server_->last_error();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    delete server_;
  }
  static httplib::Result send(const std::string& path, const std::string& body, const std::string& content_type,
                              const std::string& key = key_, const httplib::Headers& headers = {}) {
    auto c = server_->client(key);
    return c.Post(path, headers, body, content_type);
  }
  // A 4xx with the complete envelope; the message names what was sent, for the failure report.
  static ::testing::AssertionResult client_error(const httplib::Result& r, const std::string& sent) {
    if (!r) return ::testing::AssertionFailure() << "no response to " << printable(sent);
    auto envelope = is_error(r, r->status);
    if (r->status < 400 || r->status >= 500 || !envelope)
      return ::testing::AssertionFailure() << "HTTP " << r->status << " for " << printable(sent) << ": " << r->body
                                           << (envelope ? "" : " (no envelope)");
    return ::testing::AssertionSuccess();
  }
  static std::string printable(const std::string& s) {
    std::string out;
    for (unsigned char c : s.substr(0, 120)) {
      if (c >= 32 && c < 127) out += char(c);
      else out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    }
    return s.size() > 120 ? out + "..." : out;
  }
  static fs::path data_;
  static std::string key_, admin_;
  static ServerProcess* server_;
};
fs::path HostileBodies::data_;
std::string HostileBodies::key_, HostileBodies::admin_;
ServerProcess* HostileBodies::server_ = nullptr;

TEST_F(HostileBodies, BrokenJsonGets4xxEverywhere) {
  const std::vector<std::pair<std::string, std::string>> endpoints = {
      {"/v1/images/generations", key_}, {"/v1/images/edits", key_},         {"/v1/generations", key_},
      {"/v1/arena/battles", key_},      {"/v1/arena/battles/battle_nope/vote", key_},
      {"/v1/keys", admin_},             {"/v1/arena/voters/key:nope/exclusion", admin_}};
  for (const auto& [path, key] : endpoints)
    for (const std::string& body : broken_json()) {
      // A battle and an exclusion take an empty body as "the defaults".
      const bool body_optional = path == "/v1/arena/battles" || path.find("/exclusion") != std::string::npos;
      if (body.empty() && body_optional) continue;
      EXPECT_TRUE(client_error(send(path, body, "application/json", key), path + " " + body));
    }
}

TEST_F(HostileBodies, BadImageRequestsGet4xx) {
  for (const char* path : {"/v1/images/generations", "/v1/images/edits"})
    for (const std::string& body : bad_image_requests()) {
      // Generations take no images, so the image cases need the edits endpoint to be hostile.
      if (std::string(path) == "/v1/images/generations" && body.find("\"images\"") != std::string::npos) continue;
      EXPECT_TRUE(client_error(send(path, body, "application/json"), std::string(path) + " " + body));
    }
}

TEST_F(HostileBodies, BadGatewayRequestsGet4xx) {
  for (const std::string& body : bad_gateway_requests())
    EXPECT_TRUE(client_error(send("/v1/generations", body, "application/json"), body));
  // A valid job, so that only the Prefer header is wrong.
  const std::string ok_body = "{\"input\": {\"prompt\": \"x\"}}";
  for (const char* prefer : {"wait=abc", "wait=99999999999999999999", "wait=-1", "wait=\xff"})
    EXPECT_TRUE(client_error(send("/v1/generations", ok_body, "application/json", key_, {{"Prefer", prefer}}), prefer));
}

TEST_F(HostileBodies, BadArenaAndKeyBodiesGet4xx) {
  for (const std::string& body : bad_arena_requests()) {
    EXPECT_TRUE(client_error(send("/v1/arena/battles", body, "application/json"), "battles " + body));
    EXPECT_TRUE(client_error(send("/v1/arena/battles/battle_nope/vote", body, "application/json"), "vote " + body));
    EXPECT_TRUE(client_error(send("/v1/keys", body, "application/json", admin_), "keys " + body));
  }
}

TEST_F(HostileBodies, BrokenVotesOnARealBattleGet4xxAndLeaveItOpen) {
  // The vote parser behind a battle that exists and is ready (not only the 404 of a missing one).
  auto made = send("/v1/arena/battles", "{\"prompt\": \"a red circle\"}", "application/json");
  ASSERT_TRUE(made && made->status == 201) << (made ? made->body : "no response");
  const std::string id = json::parse(made->body)["id"];
  auto ready = server_->client(key_).Get("/v1/arena/battles/" + id + "?wait=60");
  ASSERT_TRUE(ready && ready->status == 200 && json::parse(ready->body)["status"] == "ready")
      << (ready ? ready->body : "no response");
  const std::string vote = "/v1/arena/battles/" + id + "/vote";
  for (const std::string& body : bad_arena_requests())
    EXPECT_TRUE(client_error(send(vote, body, "application/json"), "vote " + body));
  for (const std::string& body : broken_json())
    EXPECT_TRUE(client_error(send(vote, body, "application/json"), "vote " + body));
  // None of them was taken as a vote: the battle still accepts its one real vote, then no other.
  auto ok = send(vote, "{\"winner\": \"a\"}", "application/json");
  ASSERT_TRUE(ok && ok->status == 200) << (ok ? ok->body : "no response");
  EXPECT_TRUE(client_error(send(vote, "{\"winner\": \"b\"}", "application/json"), "second vote"));
}

TEST_F(HostileBodies, BrokenMultipartGets4xx) {
  const std::string png = png_bytes(16, 16, 3), mask = png_bytes(8, 8, 4);
  const std::string b = "pictor-boundary";
  const std::string ct = "multipart/form-data; boundary=" + b;
  struct Case {
    std::string what, content_type, body;
  };
  const std::vector<Case> cases = {
      {"no boundary parameter", "multipart/form-data", multipart(b, {{field("prompt"), "x"}, {file("image"), png}})},
      {"empty boundary", "multipart/form-data; boundary=", multipart(b, {{field("prompt"), "x"}})},
      {"another boundary", "multipart/form-data; boundary=other", multipart(b, {{field("prompt"), "x"}, {file("image"), png}})},
      {"empty body", ct, ""},
      {"only the closing boundary", ct, "--" + b + "--\r\n"},
      {"garbage", ct, std::string("\0\xff\xfe garbage \r\n\r\n--", 18)},
      {"no closing boundary", ct, multipart(b, {{field("prompt"), "x"}, {file("image"), png}}, false)},
      {"truncated in a part", ct, multipart(b, {{field("prompt"), "x"}, {file("image"), png}}).substr(0, 150)},
      {"part without headers", ct, "--" + b + "\r\n\r\nx\r\n--" + b + "--\r\n"},
      {"part without a name", ct, multipart(b, {{"Content-Disposition: form-data", "x"}, {file("image"), png}})},
      {"no image part", ct, multipart(b, {{field("prompt"), "x"}})},
      {"no prompt", ct, multipart(b, {{file("image"), png}})},
      {"text as the image", ct, multipart(b, {{field("prompt"), "x"}, {file("image"), "hello, not an image"}})},
      {"truncated PNG", ct, multipart(b, {{field("prompt"), "x"}, {file("image"), png.substr(0, 40)}})},
      {"GIF image", ct, multipart(b, {{field("prompt"), "x"}, {file("image"), "GIF89a\x01\x00\x01\x00"}})},
      {"mask of another size", ct, multipart(b, {{field("prompt"), "x"}, {file("image"), png}, {file("mask"), mask}})},
      {"mask without image", ct, multipart(b, {{field("prompt"), "x"}, {file("mask"), mask}})},
      {"seed past INT64_MAX", ct, multipart(b, {{field("prompt"), "x"}, {field("seed"), "9999999999999999999"}, {file("image"), png}})},
      {"seed of 20 digits", ct, multipart(b, {{field("prompt"), "x"}, {field("seed"), "99999999999999999999"}, {file("image"), png}})},
      {"negative n", ct, multipart(b, {{field("prompt"), "x"}, {field("n"), "-1"}, {file("image"), png}})},
      {"strength 1e999", ct, multipart(b, {{field("prompt"), "x"}, {field("strength"), "1e999"}, {file("image"), png}})},
      {"strength nan", ct, multipart(b, {{field("prompt"), "x"}, {field("strength"), "nan"}, {file("image"), png}})},
      {"stream maybe", ct, multipart(b, {{field("prompt"), "x"}, {field("stream"), "maybe"}, {file("image"), png}})},
      {"prompt not UTF-8", ct, multipart(b, {{field("prompt"), "a \xff\xfe b"}, {file("image"), png}})},
      {"user not UTF-8", ct, multipart(b, {{field("prompt"), "x"}, {field("user"), "\xc3"}, {file("image"), png}})},
      {"field name not UTF-8", ct, multipart(b, {{field("prompt"), "x"}, {field("\x96\x96"), "1"}, {file("image"), png}})},
      {"field name with a NUL", ct, multipart(b, {{field(std::string("a\0b", 3)), "1"}, {field("prompt"), "x"}, {file("image"), png}})},
      {"unknown field", ct, multipart(b, {{field("prompt"), "x"}, {field("style"), "vivid"}, {file("image"), png}})},
  };
  for (const Case& c : cases) EXPECT_TRUE(client_error(send("/v1/images/edits", c.body, c.content_type), c.what));
}

// Not a body, but the same class of 500: media URLs were built from the Host header as sent.
TEST_F(HostileBodies, HostHeaderThatIsNoHostIsNotEchoed) {
  auto c = server_->client(key_);
  auto r = c.Post("/v1/images/generations", {{"Host", "\xff\xfe\"><x>"}},
                  "{\"prompt\": \"a red circle\", \"steps\": 1, \"response_format\": \"url\"}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string url = body_json(r)["data"][0]["url"];
  EXPECT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
}

}  // namespace
}  // namespace pictor::test
