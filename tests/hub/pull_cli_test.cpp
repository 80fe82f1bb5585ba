// `pictor pull` and `pictor models` through the real binary, against the fixture hub on a loopback
// port (PICTOR_HUB_URL / --hub): the tiny sd-tiny-A model served as stabilityai/sd-turbo (its
// weights under the fp16 names the real repository uses) and its TAESD as madebyollin/taesd.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fixture_hub.h"

namespace {

namespace fs = std::filesystem;
using pictor::test::FixtureHub;
using pictor::test::read_bytes;
using pictor::test::sha256_hex;

const fs::path kFixture = fs::path(PICTOR_TEST_FIXTURES) / "sd-tiny-A";
const std::string kTurbo = "stabilityai/sd-turbo";
const std::string kUnetRemote = "unet/diffusion_pytorch_model.fp16.safetensors";
const std::string kUnetLocal = "unet/diffusion_pytorch_model.safetensors";

// What stabilityai/sd-turbo holds (the files pull needs), remote name → the fixture's file.
const std::map<std::string, std::string> kTurboFiles = {
    {"model_index.json", "model_index.json"},
    {"scheduler/scheduler_config.json", "scheduler/scheduler_config.json"},
    {"text_encoder/config.json", "text_encoder/config.json"},
    {"text_encoder/model.fp16.safetensors", "text_encoder/model.safetensors"},
    {"tokenizer/merges.txt", "tokenizer/merges.txt"},
    {"tokenizer/special_tokens_map.json", "tokenizer/special_tokens_map.json"},
    {"tokenizer/tokenizer_config.json", "tokenizer/tokenizer_config.json"},
    {"tokenizer/vocab.json", "tokenizer/vocab.json"},
    {"unet/config.json", "unet/config.json"},
    {kUnetRemote, kUnetLocal},
    {"vae/config.json", "vae/config.json"},
    {"vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors"},
};

struct CliRun {
  int code = -1;
  std::string out, err;
  int err_lines() const { return int(std::count(err.begin(), err.end(), '\n')); }
};

class Pull : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pictor-pull-test-" + std::to_string(::getpid())) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    models_ = dir_ / "models";
    for (const auto& [remote, local] : kTurboFiles) hub_.add_file(kTurbo, remote, kFixture / local);
    hub_.add_folder("madebyollin/taesd", kFixture / "taesd");
  }
  // Runs pictor with the fixture hub and models_ as $PICTOR_MODELS; stdout and stderr apart
  // (stderr is a file, not a terminal: no progress lines).
  CliRun pictor(const std::string& args) {
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    const std::string cmd = "PICTOR_HUB_URL=" + hub_.url() + " PICTOR_MODELS='" + models_.string() + "' " +
                            PICTOR_BINARY + " " + args + " >" + out.string() + " 2>" + err.string();
    CliRun r;
    const int status = std::system(cmd.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_bytes(out);
    r.err = read_bytes(err);
    return r;
  }
  std::vector<pictor::test::HubRequest> cdn_gets() const {
    std::vector<pictor::test::HubRequest> out;
    for (const auto& r : hub_.requests())
      if (r.method == "GET" && r.path.starts_with("/cdn/")) out.push_back(r);
    return out;
  }
  // The pulled folder holds exactly the fixture's files, byte for byte, and no .part.
  void expect_identical(const fs::path& folder) {
    for (const auto& [remote, local] : kTurboFiles) {
      ASSERT_TRUE(fs::exists(folder / local)) << local;
      EXPECT_TRUE(read_bytes(folder / local) == read_bytes(kFixture / local)) << local;
    }
    size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      EXPECT_NE(e.path().extension(), ".part") << e.path();
      files += e.is_regular_file();
    }
    EXPECT_EQ(files, kTurboFiles.size());
  }

  FixtureHub hub_;
  fs::path dir_, models_;
};

TEST_F(Pull, SdTurboLandsInTheModelsDirAndGeneratesByName) {
  CliRun r = pictor("pull sd-turbo");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // piped: no progress lines
  EXPECT_NE(r.out.find("pulled sd-turbo into " + (models_ / "sd-turbo").string()), std::string::npos) << r.out;
  expect_identical(models_ / "sd-turbo");
  // The UNet came through both redirects.
  bool relative_hop = false;
  for (const auto& q : hub_.requests()) relative_hop |= q.path == "/" + kTurbo + "/resolve/0123abcd/" + kUnetRemote;
  EXPECT_TRUE(relative_hop);

  // --model sd-turbo is the pulled folder: the same pixels as the fixture folder itself.
  const std::string flags = " 'a photo' --steps 2 --seed 5 --decoder vae -o ";
  r = pictor("generate --model sd-turbo" + flags + (dir_ / "pulled.png").string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = pictor("generate --model " + kFixture.string() + flags + (dir_ / "fixture.png").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(read_bytes(dir_ / "pulled.png") == read_bytes(dir_ / "fixture.png"));

  r = pictor("models");
  ASSERT_EQ(r.code, 0) << r.err;
  bool listed = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    listed |= line.starts_with("sd-turbo ") && line.find("sd-turbo") != line.rfind("sd-turbo") &&
              line.find("diffusers folder") != std::string::npos &&
              line.find((models_ / "sd-turbo").string()) != std::string::npos;
  EXPECT_TRUE(listed) << r.out;

  // Again: everything verified in place, nothing fetched.
  hub_.clear_requests();
  r = pictor("pull sd-turbo");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0 downloaded, 12 already up to date"), std::string::npos) << r.out;
  EXPECT_TRUE(cdn_gets().empty());
}

TEST_F(Pull, TaesdPulledNextToTheModelIsItsDecoder) {
  const fs::path other = dir_ / "elsewhere";
  CliRun r = pictor("pull sd-turbo --dir " + other.string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = pictor("pull taesd --dir " + other.string());
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* f : {"config.json", "diffusion_pytorch_model.safetensors"})
    EXPECT_TRUE(read_bytes(other / "taesd" / f) == read_bytes(kFixture / "taesd" / f)) << f;
  EXPECT_FALSE(fs::exists(models_));  // --dir, not $PICTOR_MODELS
  const std::string flags = " 'a photo' --steps 1 --seed 7 --decoder taesd -o ";
  r = pictor("generate --model " + (other / "sd-turbo").string() + flags + (dir_ / "pulled.png").string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = pictor("generate --model " + kFixture.string() + flags + (dir_ / "fixture.png").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(read_bytes(dir_ / "pulled.png") == read_bytes(dir_ / "fixture.png"));
}

TEST_F(Pull, AnInterruptedDownloadResumesWithARangeRequest) {
  const std::string unet = read_bytes(kFixture / kUnetLocal);
  const size_t half = unet.size() / 2;
  fs::create_directories(models_ / "sd-turbo" / "unet");
  std::ofstream(models_ / "sd-turbo" / (kUnetLocal + ".part"), std::ios::binary) << unet.substr(0, half);
  CliRun r = pictor("pull sd-turbo");
  ASSERT_EQ(r.code, 0) << r.err;
  expect_identical(models_ / "sd-turbo");
  bool ranged = false;
  for (const auto& q : cdn_gets())
    if (q.path == "/cdn/" + kTurbo + "/" + kUnetRemote) {
      EXPECT_EQ(q.range, "bytes=" + std::to_string(half) + "-");
      ranged = true;
    }
  EXPECT_TRUE(ranged);

  // A connection that breaks leaves the .part; the next run finishes it.
  fs::remove_all(models_);
  hub_.set_break_after(kTurbo + "/" + kUnetRemote, 200000);
  r = pictor("pull sd-turbo");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find("run the command again to resume"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / kUnetLocal));
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / "model_index.json"));  // not a model until complete
  EXPECT_TRUE(fs::exists(models_ / "sd-turbo" / (kUnetLocal + ".part")));
  r = pictor("models");
  EXPECT_NE(r.out.find("pictor pull sd-turbo"), std::string::npos) << r.out;  // listed as partial
  hub_.set_break_after(kTurbo + "/" + kUnetRemote, 0);
  r = pictor("pull sd-turbo");
  ASSERT_EQ(r.code, 0) << r.err;
  expect_identical(models_ / "sd-turbo");
}

TEST_F(Pull, AChecksumMismatchIsAClearErrorAndLeavesNoFile) {
  hub_.set_wrong_sha(kTurbo + "/" + kUnetRemote);
  CliRun r = pictor("pull sd-turbo");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_TRUE(r.err.starts_with("pictor: error: ")) << r.err;
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kUnetLocal), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(FixtureHub::wrong_sha()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(sha256_hex(read_bytes(kFixture / kUnetLocal))), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / kUnetLocal));
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / (kUnetLocal + ".part")));
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / "model_index.json"));
}

TEST_F(Pull, AnUnknownNameIsOneLineAndTouchesNothing) {
  CliRun r = pictor("pull sdxl");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "pictor: error: unknown model 'sdxl' (pull knows: sd-turbo, sd-1.5, taesd)\n");
  EXPECT_TRUE(hub_.requests().empty());
  EXPECT_FALSE(fs::exists(models_));
}

TEST_F(Pull, HubFailuresNameHostPathAndStatus) {
  hub_.set_missing(kTurbo + "/vae/config.json");
  CliRun r = pictor("pull sd-turbo");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("404 Not Found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/" + kTurbo + "/resolve/main/vae/config.json"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / "vae" / "config.json"));

  int dead_port;
  {
    FixtureHub gone;
    dead_port = gone.port();
  }
  r = pictor("pull taesd --hub http://127.0.0.1:" + std::to_string(dead_port));
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find("could not connect"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("127.0.0.1:" + std::to_string(dead_port)), std::string::npos) << r.err;

  r = pictor("pull taesd --hub ftp://example.com");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--hub"), std::string::npos) << r.err;
}

TEST_F(Pull, DiskErrorsNameThePath) {
  const fs::path file = dir_ / "a-file";
  std::ofstream(file) << "not a directory";
  CliRun r = pictor("pull taesd --dir " + (file / "models").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find((file / "models").string()), std::string::npos) << r.err;
  // A file where the model needs a folder.
  fs::create_directories(models_ / "sd-turbo");
  std::ofstream(models_ / "sd-turbo" / "scheduler") << "in the way";
  r = pictor("pull sd-turbo");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err_lines(), 1) << r.err;
  EXPECT_NE(r.err.find("cannot create " + (models_ / "sd-turbo" / "scheduler").string()), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(models_ / "sd-turbo" / "model_index.json"));
}

TEST_F(Pull, HelpExplainsItself) {
  CliRun r = pictor("pull --help");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* s : {"sd-turbo", "stabilityai/sd-turbo", "sd-1.5", "taesd", "--hub", "PICTOR_HUB_URL", "--dir",
                        "PICTOR_MODELS", ".part", "SHA-256", "resumes"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

}  // namespace
