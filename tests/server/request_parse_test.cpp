// Request parsing at the edge without a server: bodies that once escaped as 500s (found by the
// fuzzers, fuzz/regressions/) are 400s with an envelope that renders.
#include <gtest/gtest.h>
#include <httplib.h>

#include "codecs/codecs.h"
#include "server/api_error.h"
#include "server/request_parse.h"

namespace pictor::server {
namespace {

using nlohmann::json;

ApiError json_body_error(const std::string& body) {
  httplib::Request req;
  req.body = body;
  json out;
  ApiError err;
  EXPECT_FALSE(parse_json_body(req, out, err)) << body;
  return err;
}

TEST(RequestParse, NumbersPastADoubleAreInvalidJson) {
  const ApiError e = json_body_error("{\"prompt\": \"x\", \"n\": 1e400}");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.param, "body");
  EXPECT_EQ(e.code, "invalid_json");
}

TEST(RequestParse, ErrorBodiesRenderInvalidUtf8AsReplacementCharacters) {
  // The parser's message quotes the bytes it choked on.
  const ApiError e = json_body_error("{\"prompt\": \"\xff\xfe\"}");
  EXPECT_EQ(e.http_status, 400);
  const json body = json::parse(error_body(e));
  EXPECT_NE(body["error"]["message"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);
  ApiError cut = bad_request("unknown field 'kkk\xc3'", "kkk\xc3");
  EXPECT_EQ(json::parse(error_body(cut))["error"]["param"], "kkk\xef\xbf\xbd");
}

httplib::MultipartFormData text_part(const std::string& name, const std::string& value) {
  return {name, value, "", ""};
}

std::string png16() {
  Image img(16, 16, 3);
  auto bytes = codecs::encode_image(img, codecs::ImageFormat::kPng);
  return std::string(bytes->begin(), bytes->end());
}

ApiError multipart_error(std::vector<httplib::MultipartFormData> fields) {
  std::multimap<std::string, httplib::MultipartFormData> parts;
  parts.emplace("image", httplib::MultipartFormData{"image", png16(), "a.png", "image/png"});
  for (auto& f : fields) parts.emplace(f.name, f);
  ParseLimits limits;
  limits.default_model = "pictor-mini";
  ParsedImageRequest out;
  ApiError err;
  EXPECT_FALSE(parse_images_multipart(parts, limits, out, err));
  return err;
}

TEST(RequestParse, MultipartIntegersPastInt64AreTooLarge) {
  const ApiError e = multipart_error({text_part("prompt", "x"), text_part("seed", "9999999999999999999")});
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.param, "seed");
  EXPECT_NE(e.message.find("too large"), std::string::npos) << e.message;
  EXPECT_EQ(multipart_error({text_part("prompt", "x"), text_part("n", "99999999999999999999")}).code, "invalid_type");
}

TEST(RequestParse, MultipartTextMustBeUtf8) {
  const ApiError prompt = multipart_error({text_part("prompt", "a \xff b")});
  EXPECT_EQ(prompt.http_status, 400);
  EXPECT_EQ(prompt.param, "prompt");
  const ApiError name = multipart_error({text_part("prompt", "x"), text_part("\x96\x96", "1")});
  EXPECT_EQ(name.http_status, 400);
  EXPECT_EQ(name.param, "body");
  EXPECT_NO_THROW(json::parse(error_body(name)));
}

TEST(RequestParse, MultipartAcceptsAValidEdit) {
  std::multimap<std::string, httplib::MultipartFormData> parts;
  parts.emplace("image", httplib::MultipartFormData{"image", png16(), "a.png", "image/png"});
  parts.emplace("prompt", text_part("prompt", "make it gr\xc3\xbcn"));
  parts.emplace("seed", text_part("seed", "9223372036854775807"));
  ParseLimits limits;
  limits.default_model = "pictor-mini";
  ParsedImageRequest out;
  ApiError err;
  ASSERT_TRUE(parse_images_multipart(parts, limits, out, err)) << err.message;
  EXPECT_EQ(out.input.seed, 9223372036854775807ull);
  EXPECT_EQ(out.images.size(), 1u);
}

}  // namespace
}  // namespace pictor::server
