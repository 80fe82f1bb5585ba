// pictor_hub's pure parts: URLs, SHA-256 and ETags, the built-in manifests, the models directory
// pull picks, and what `pictor models` lists.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "hub/installed.h"
#include "hub/manifest.h"
#include "hub/pull.h"
#include "hub/sha256.h"
#include "hub/url.h"

namespace {

namespace fs = std::filesystem;
using namespace pictor::hub;

const fs::path kFixture = fs::path(PICTOR_TEST_FIXTURES) / "sd-tiny-A";

fs::path scratch(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("pictor-hub-test-" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(HubUrl, ParsesOriginAndTarget) {
  auto u = parse_url("https://huggingface.co");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->host, "huggingface.co");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->origin(), "https://huggingface.co");
  u = parse_url("http://127.0.0.1:8123/a/b?x=1");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->port, 8123);
  EXPECT_EQ(u->target, "/a/b?x=1");
  EXPECT_EQ(u->origin(), "http://127.0.0.1:8123");
  u = parse_url("http://[::1]:9000/x");
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->origin(), "http://[::1]:9000");
  for (const char* bad : {"huggingface.co", "ftp://x/y", "http://", "http://h:0/", "http://h:99999/", "http://u@h/",
                          "http://h:12a/"})
    EXPECT_FALSE(parse_url(bad).is_ok()) << bad;
}

TEST(HubUrl, ResolvesRedirectLocations) {
  const Url base = *parse_url("https://huggingface.co/org/repo/resolve/main/unet/w.safetensors");
  EXPECT_EQ(resolve_location(base, "https://cdn-lfs.hf.co/x?sig=1")->str(), "https://cdn-lfs.hf.co/x?sig=1");
  EXPECT_EQ(resolve_location(base, "//cdn.example/y")->str(), "https://cdn.example/y");
  EXPECT_EQ(resolve_location(base, "/org/repo/resolve/abc/unet/w.safetensors")->str(),
            "https://huggingface.co/org/repo/resolve/abc/unet/w.safetensors");
  EXPECT_EQ(resolve_location(base, "other.bin")->str(), "https://huggingface.co/org/repo/resolve/main/unet/other.bin");
  EXPECT_FALSE(resolve_location(base, "").is_ok());
}

TEST(HubUrl, BuildsResolveUrls) {
  EXPECT_EQ(resolve_url("https://huggingface.co/", "stabilityai/sd-turbo", "unet/config.json"),
            "https://huggingface.co/stabilityai/sd-turbo/resolve/main/unet/config.json");
  EXPECT_EQ(resolve_url("http://127.0.0.1:5", "a/b", "dir/with space+plus.json"),
            "http://127.0.0.1:5/a/b/resolve/main/dir/with%20space%2Bplus.json");
}

TEST(HubSha256, MatchesKnownDigestsIncrementally) {
  Sha256 h;
  EXPECT_EQ(h.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  h.reset();
  h.update("a", 1);
  h.update("bc", 2);
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const fs::path f = scratch("sha") / "abc.txt";
  std::ofstream(f) << "abcdef";
  h.reset();
  ASSERT_TRUE(hash_file(f.string(), h, 3).is_ok());
  EXPECT_EQ(h.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  h.reset();
  EXPECT_FALSE(hash_file(f.string(), h, 10).is_ok());  // shorter than asked
  EXPECT_FALSE(hash_file((f.parent_path() / "missing").string(), h).is_ok());
}

TEST(HubSha256, ReadsSha256EtagsOnly) {
  const std::string sha = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  EXPECT_EQ(sha256_from_etag("\"" + sha + "\""), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_from_etag("W/\"" + sha + "\""), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_from_etag("\"0123456789abcdef0123456789abcdef01234567\""), "");  // git SHA-1
  EXPECT_EQ(sha256_from_etag("\"" + std::string(63, 'a') + "g\""), "");
  EXPECT_EQ(sha256_from_etag(""), "");
}

TEST(HubManifest, KnowsTheDocumentedModels) {
  ASSERT_EQ(known_models().size(), 3u);
  auto turbo = find_model("sd-turbo");
  ASSERT_TRUE(turbo.is_ok());
  EXPECT_EQ(turbo->repo, "stabilityai/sd-turbo");
  EXPECT_EQ(find_model("sd-1.5")->repo, "stable-diffusion-v1-5/stable-diffusion-v1-5");
  EXPECT_EQ(find_model("taesd")->repo, "madebyollin/taesd");
  auto bad = find_model("sdxl");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), pictor::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sd-turbo, sd-1.5, taesd"), std::string::npos) << bad.status().message();
}

// The files a pipeline manifest writes are the ones the engine's folder loader reads, under the
// plain names (the VAE loader reads no fp16 variant), with the folder-marking file last.
TEST(HubManifest, PipelinesWriteWhatTheLoaderReads) {
  for (const char* name : {"sd-turbo", "sd-1.5"}) {
    auto m = find_model(name);
    ASSERT_TRUE(m.is_ok());
    EXPECT_EQ(m->files.back().local, "model_index.json") << name;
    std::set<std::string> locals;
    for (const auto& f : m->files) {
      locals.insert(f.local);
      EXPECT_EQ(f.local.find(".fp16."), std::string::npos) << f.local;
      if (f.local.ends_with(".safetensors")) EXPECT_NE(f.remote.find(".fp16.safetensors"), std::string::npos) << f.remote;
      else EXPECT_EQ(f.remote, f.local);
    }
    // Every file of the tiny diffusers fixture the engine loads (its taesd/ aside) is in the manifest.
    for (const auto& e : fs::recursive_directory_iterator(kFixture)) {
      const std::string rel = fs::relative(e.path(), kFixture).string();
      if (!e.is_regular_file() || rel.find('/') == std::string::npos || rel.starts_with("taesd/") ||
          rel.starts_with("reference/"))
        continue;
      EXPECT_TRUE(locals.count(rel)) << name << " lacks " << rel;
    }
  }
  auto taesd = find_model("taesd");
  EXPECT_EQ(taesd->files.back().local, "config.json");  // the engine looks for taesd/config.json
}

TEST(HubPull, PicksTheFirstWritableModelsDir) {
  const fs::path base = scratch("pick");
  const fs::path missing = base / "missing", file = base / "file", ok = base / "ok", ro = base / "ro";
  std::ofstream(file) << "x";
  fs::create_directories(ok);
  fs::create_directories(ro);
  ::chmod(ro.c_str(), 0555);
  const bool root = ::geteuid() == 0;  // root writes anywhere: the read-only case cannot be tested
  auto dir = pick_models_dir({missing.string(), file.string(), ro.string(), ok.string()});
  ASSERT_TRUE(dir.is_ok()) << dir.status().message();
  EXPECT_EQ(*dir, root ? ro.string() : ok.string());
  auto none = pick_models_dir({missing.string(), file.string()});
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find(missing.string()), std::string::npos);
  EXPECT_NE(none.status().message().find("--dir"), std::string::npos);
  ::chmod(ro.c_str(), 0755);
}

TEST(HubPull, HubUrlComesFromFlagThenEnvironment) {
  ::unsetenv("PICTOR_HUB_URL");
  EXPECT_EQ(hub_url(""), "https://huggingface.co");
  ::setenv("PICTOR_HUB_URL", "http://127.0.0.1:9", 1);
  EXPECT_EQ(hub_url(""), "http://127.0.0.1:9");
  EXPECT_EQ(hub_url("http://h"), "http://h");
  ::unsetenv("PICTOR_HUB_URL");
}

const InstalledModel* find(const std::vector<InstalledModel>& v, const std::string& name, size_t nth = 0) {
  for (const auto& m : v)
    if (m.name == name && nth-- == 0) return &m;
  return nullptr;
}

TEST(HubInstalled, ListsEveryKindOfModel) {
  const fs::path a = scratch("installed-a"), b = scratch("installed-b");
  fs::create_directory_symlink(kFixture, a / "tiny");                  // diffusers folder
  fs::create_directory_symlink(kFixture / "taesd", a / "taesd");       // TAESD decoder
  fs::create_symlink(kFixture / "sd-tiny-A-single-file-fp16.safetensors", a / "tiny-single.safetensors");
  fs::create_directories(a / "half" / "unet");
  std::ofstream(a / "half" / "unet" / "w.safetensors.part") << "partial";  // an interrupted pull
  fs::create_directories(a / "notes");
  std::ofstream(a / "notes" / "readme.txt") << "not a model";
  std::ofstream(a / "stray.safetensors") << "garbage";
  fs::create_directory_symlink(kFixture, b / "tiny");                  // the same name again

  const auto list = list_installed({a.string(), (a / "does-not-exist").string(), b.string()});
  const auto* tiny = find(list, "tiny");
  ASSERT_NE(tiny, nullptr);
  EXPECT_EQ(tiny->format, "diffusers folder");
  EXPECT_EQ(tiny->family, "sd-turbo");  // the fixture's scheduler uses trailing spacing
  EXPECT_GT(tiny->bytes, 7'000'000);
  const auto* taesd = find(list, "taesd");
  ASSERT_NE(taesd, nullptr);
  EXPECT_EQ(taesd->format, "decoder");
  EXPECT_EQ(taesd->family, "taesd");
  const auto* single = find(list, "tiny-single");
  ASSERT_NE(single, nullptr);
  EXPECT_EQ(single->format, "single file");
  EXPECT_EQ(single->family, "sd-2.x");  // OpenCLIP key names (cond_stage_model.model.*)
  const auto* half = find(list, "half");
  ASSERT_NE(half, nullptr);
  EXPECT_EQ(half->format, "partial");
  const auto* stray = find(list, "stray");
  ASSERT_NE(stray, nullptr);
  EXPECT_EQ(stray->format, "unreadable");
  EXPECT_EQ(find(list, "notes"), nullptr);
  const auto* shadowed = find(list, "tiny", 1);
  ASSERT_NE(shadowed, nullptr);
  ASSERT_FALSE(shadowed->notes.empty());
  EXPECT_NE(shadowed->notes.back().find((a / "tiny").string()), std::string::npos);
}

TEST(HubInstalled, ListsPictorMiniFiles) {
  const fs::path src = fs::path(PICTOR_SOURCE_DIR) / "models" / "pictor-mini";
  if (!fs::exists(src / "pictor-mini.safetensors")) GTEST_SKIP() << "no shipped pictor-mini";
  const fs::path a = scratch("installed-mini");
  fs::create_directory_symlink(src, a / "pictor-mini");
  const auto list = list_installed({a.string()});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].family, "pictor-mini");
  EXPECT_EQ(list[0].format, "pictor-mini file");
}

}  // namespace
