// API key generation, hashing and the default data directory.
#include "store/api_keys.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "store/data_dir.h"

namespace pictor::store {
namespace {

TEST(ApiKeys, GeneratedKeysLookRightAndDiffer) {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 500; ++i) {
    const std::string k = generate_api_key();
    ASSERT_EQ(k.size(), 43u) << k;
    ASSERT_EQ(k.rfind("pk-", 0), 0u);
    for (size_t c = 3; c < k.size(); ++c) {
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(k[c]))) << k;
      chars.insert(k[c]);
    }
    ASSERT_TRUE(seen.insert(k).second);
  }
  EXPECT_EQ(chars.size(), 62u) << "all 62 characters show up in 20,000 draws";
}

TEST(ApiKeys, HashIsHexSha256) {
  // Known vectors.
  EXPECT_EQ(hash_api_key(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_api_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string k = generate_api_key();
  EXPECT_EQ(hash_api_key(k), hash_api_key(k));
  EXPECT_NE(hash_api_key(k), hash_api_key(generate_api_key()));
}

TEST(ApiKeys, PrefixIsShortAndFromTheKey) {
  const std::string k = generate_api_key();
  EXPECT_EQ(key_prefix(k), k.substr(0, 8));
  EXPECT_EQ(key_prefix("pk-"), "pk-");
}

TEST(DataDir, FollowsPictorThenXdgThenHome) {
  auto set = [](const char* name, const char* v) { v ? setenv(name, v, 1) : unsetenv(name); };
  const char* saved_p = std::getenv("PICTOR_DATA_DIR");
  const char* saved_x = std::getenv("XDG_DATA_HOME");
  const char* saved_h = std::getenv("HOME");
  std::string sp = saved_p ? saved_p : "", sx = saved_x ? saved_x : "", sh = saved_h ? saved_h : "";

  set("PICTOR_DATA_DIR", "/srv/pictor");
  set("XDG_DATA_HOME", "/xdg");
  EXPECT_EQ(default_data_dir(), "/srv/pictor");
  set("PICTOR_DATA_DIR", nullptr);
  EXPECT_EQ(default_data_dir(), "/xdg/pictor");
  set("XDG_DATA_HOME", "relative/ignored");
  set("HOME", "/home/me");
  EXPECT_EQ(default_data_dir(), "/home/me/.local/share/pictor");
  set("XDG_DATA_HOME", nullptr);
  EXPECT_EQ(default_data_dir(), "/home/me/.local/share/pictor");
  EXPECT_EQ(sqlite_path("/srv/pictor"), "/srv/pictor/pictor.db");

  set("PICTOR_DATA_DIR", saved_p ? sp.c_str() : nullptr);
  set("XDG_DATA_HOME", saved_x ? sx.c_str() : nullptr);
  set("HOME", saved_h ? sh.c_str() : nullptr);
}

}  // namespace
}  // namespace pictor::store
