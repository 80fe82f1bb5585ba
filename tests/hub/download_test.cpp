// hub::download_file and probe_file against the in-process fixture hub (and an HTTPS server with
// a throw-away certificate): redirects, resume, restart, checksum and size checks, failures.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixture_hub.h"
#include "hub/download.h"

namespace {

namespace fs = std::filesystem;
using pictor::StatusCode;
using pictor::hub::download_file;
using pictor::hub::DownloadOptions;
using pictor::hub::probe_file;
using pictor::test::FixtureHub;
using pictor::test::read_bytes;
using pictor::test::sha256_hex;

const fs::path kFixture = fs::path(PICTOR_TEST_FIXTURES) / "sd-tiny-A";
const std::string kRepo = "owner/tiny";
const std::string kUnet = "unet/diffusion_pytorch_model.safetensors";
const std::string kVae = "vae/diffusion_pytorch_model.safetensors";

class Download : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pictor-download-test-" + std::to_string(::getpid())) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    hub_.add_folder(kRepo, kFixture);
    opts_.read_timeout_s = 10;
  }
  std::string url(const std::string& path) const { return hub_.url() + "/" + kRepo + "/resolve/main/" + path; }
  std::string dest(const std::string& path) const { return (dir_ / path).string(); }
  std::vector<pictor::test::HubRequest> gets() const {
    std::vector<pictor::test::HubRequest> out;
    for (const auto& r : hub_.requests())
      if (r.method == "GET") out.push_back(r);
    return out;
  }
  void write_part(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(dest(path)).parent_path());
    std::ofstream(dest(path) + ".part", std::ios::binary) << bytes;
  }

  FixtureHub hub_;
  fs::path dir_;
  DownloadOptions opts_;
};

TEST_F(Download, FollowsRedirectsAndVerifiesTheHash) {
  const std::string want = read_bytes(kFixture / kUnet);
  long long last_done = -1, last_total = -2;
  bool monotonic = true;
  auto r = download_file(url(kUnet), dest(kUnet), opts_, [&](long long done, long long total) {
    monotonic = monotonic && done >= last_done;
    last_done = done;
    last_total = total;
  });
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(read_bytes(dest(kUnet)), want);
  EXPECT_FALSE(fs::exists(dest(kUnet) + ".part"));
  EXPECT_EQ(r->size, (long long)want.size());
  EXPECT_EQ(r->sha256, sha256_hex(want));
  EXPECT_FALSE(r->skipped);
  EXPECT_EQ(r->resumed_from, 0);
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(last_done, (long long)want.size());
  EXPECT_EQ(last_total, (long long)want.size());
  // main → relative hop → absolute CDN URL.
  const auto g = gets();
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].path, "/" + kRepo + "/resolve/main/" + kUnet);
  EXPECT_EQ(g[1].path, "/" + kRepo + "/resolve/0123abcd/" + kUnet);
  EXPECT_EQ(g[2].path, "/cdn/" + kRepo + "/" + kUnet);
}

TEST_F(Download, SmallFilesWithoutAHashAreCheckedBySize) {
  auto r = download_file(url("unet/config.json"), dest("unet/config.json"), opts_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(read_bytes(dest("unet/config.json")), read_bytes(kFixture / "unet/config.json"));
  EXPECT_EQ(r->sha256, "");  // the git SHA-1 ETag is not taken for a SHA-256
}

TEST_F(Download, ResumesAPartFileWithARangeRequest) {
  const std::string want = read_bytes(kFixture / kVae);
  const size_t half = want.size() / 2;
  write_part(kVae, want.substr(0, half));
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->resumed_from, (long long)half);
  EXPECT_EQ(read_bytes(dest(kVae)), want);
  EXPECT_FALSE(fs::exists(dest(kVae) + ".part"));
  const auto g = gets();
  ASSERT_FALSE(g.empty());
  EXPECT_EQ(g.back().path, "/cdn/" + kRepo + "/" + kVae);
  EXPECT_EQ(g.back().range, "bytes=" + std::to_string(half) + "-");
}

TEST_F(Download, StartsOverWhenTheServerIgnoresTheRange) {
  const std::string want = read_bytes(kFixture / kVae);
  write_part(kVae, want.substr(0, want.size() / 2));
  hub_.set_ignore_range(true);
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->resumed_from, 0);
  EXPECT_EQ(read_bytes(dest(kVae)), want);  // truncated and rewritten, not appended
}

TEST_F(Download, StartsOverWhenThePartIsLongerThanTheFile) {
  const std::string want = read_bytes(kFixture / kVae);
  write_part(kVae, want + "trailing junk");
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(read_bytes(dest(kVae)), want);
  const auto g = gets();
  ASSERT_GE(g.size(), 4u);  // hub + CDN twice: the refused range, then from scratch
  EXPECT_EQ(g.back().range, "");
}

TEST_F(Download, AChecksumMismatchLeavesNothing) {
  const std::string want = read_bytes(kFixture / kVae);
  hub_.set_wrong_sha(kRepo + "/" + kVae);
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("checksum mismatch"), std::string::npos) << m;
  EXPECT_NE(m.find(dest(kVae)), std::string::npos) << m;
  EXPECT_NE(m.find(FixtureHub::wrong_sha()), std::string::npos) << m;
  EXPECT_NE(m.find(sha256_hex(want)), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dest(kVae)));
  EXPECT_FALSE(fs::exists(dest(kVae) + ".part"));
}

TEST_F(Download, ASizeTheServerContradictsLeavesNothing) {
  hub_.set_wrong_size(kRepo + "/" + kVae);
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(r.status().message().find("bytes"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dest(kVae)));
  EXPECT_FALSE(fs::exists(dest(kVae) + ".part"));
}

TEST_F(Download, ABrokenConnectionKeepsThePartForTheNextRun) {
  const std::string want = read_bytes(kFixture / kUnet);
  hub_.set_break_after(kRepo + "/" + kUnet, 100000);
  auto r = download_file(url(kUnet), dest(kUnet), opts_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("resume"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dest(kUnet)));
  ASSERT_TRUE(fs::exists(dest(kUnet) + ".part"));
  const auto kept = (long long)fs::file_size(dest(kUnet) + ".part");
  EXPECT_GT(kept, 0);
  EXPECT_LE(kept, 100000);
  EXPECT_EQ(read_bytes(dest(kUnet) + ".part"), want.substr(0, size_t(kept)));

  hub_.set_break_after(kRepo + "/" + kUnet, 0);
  auto again = download_file(url(kUnet), dest(kUnet), opts_);
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(again->resumed_from, kept);
  EXPECT_EQ(read_bytes(dest(kUnet)), want);
}

TEST_F(Download, SkipsAVerifiedFileAndReplacesAWrongOne) {
  const std::string want = read_bytes(kFixture / kVae);
  ASSERT_TRUE(download_file(url(kVae), dest(kVae), opts_).is_ok());
  hub_.clear_requests();
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE(r->skipped);
  EXPECT_TRUE(gets().empty());  // a HEAD to the hub, nothing fetched
  // Same size, other bytes: fetched again and replaced.
  std::string wrong = want;
  wrong[wrong.size() / 2] ^= 0x5a;
  std::ofstream(dest(kVae), std::ios::binary | std::ios::trunc) << wrong;
  r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FALSE(r->skipped);
  EXPECT_EQ(read_bytes(dest(kVae)), want);
}

TEST_F(Download, ProbeReadsTheHubsLinkedHeaders) {
  const std::string want = read_bytes(kFixture / kVae);
  auto info = probe_file(url(kVae), opts_);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_EQ(info->size, (long long)want.size());
  EXPECT_EQ(info->sha256, sha256_hex(want));
  EXPECT_EQ(hub_.requests().size(), 1u);  // the redirect said it all: the CDN is not asked
  info = probe_file(url("vae/config.json"), opts_);
  ASSERT_TRUE(info.is_ok()) << info.status().message();
  EXPECT_EQ(info->size, (long long)fs::file_size(kFixture / "vae/config.json"));
  EXPECT_EQ(info->sha256, "");
}

TEST_F(Download, HttpErrorsNameHostPathAndStatus) {
  hub_.set_missing(kRepo + "/" + kVae);
  auto r = download_file(url(kVae), dest(kVae), opts_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("127.0.0.1"), std::string::npos) << m;
  EXPECT_NE(m.find("404 Not Found"), std::string::npos) << m;
  EXPECT_NE(m.find("/" + kRepo + "/resolve/main/" + kVae), std::string::npos) << m;
  EXPECT_NE(m.find("Entry not found"), std::string::npos) << m;  // the hub's own explanation
  EXPECT_FALSE(fs::exists(dest(kVae)));
  EXPECT_FALSE(fs::exists(dest(kVae) + ".part"));
}

TEST_F(Download, RedirectLoopsAndDeadHostsFail) {
  auto r = download_file(hub_.url() + "/loop/0", dest("loop"), opts_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("too many redirects"), std::string::npos) << r.status().message();
  int dead_port;
  {
    FixtureHub gone;
    dead_port = gone.port();
  }
  r = download_file("http://127.0.0.1:" + std::to_string(dead_port) + "/x/y/resolve/main/a", dest("a"), opts_);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("could not connect"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(dest("a")));
}

// HTTPS through the same code, against a certificate made for this run: trusted when the
// options name it as the CA file, refused otherwise.
TEST_F(Download, HttpsVerifiesTheServerCertificate) {
  const fs::path cert = dir_ / "cert.pem", key = dir_ / "key.pem";
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                          "-addext subjectAltName=IP:127.0.0.1 -keyout " + key.string() + " -out " + cert.string() +
                          " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl command to make a certificate";
  const std::string body = read_bytes(kFixture / kVae);
  httplib::SSLServer tls(cert.c_str(), key.c_str());
  ASSERT_TRUE(tls.is_valid());
  tls.Get("/f", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Linked-ETag", "\"" + sha256_hex(body) + "\"");
    res.set_content(body, "application/octet-stream");
  });
  const int port = tls.bind_to_any_port("127.0.0.1");
  std::thread th([&] { tls.listen_after_bind(); });
  while (!tls.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string u = "https://127.0.0.1:" + std::to_string(port) + "/f";
  DownloadOptions trusted = opts_;
  trusted.ca_file = cert.string();
  auto r = download_file(u, dest("tls.bin"), trusted);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(read_bytes(dest("tls.bin")), body);
  auto refused = download_file(u, dest("tls2.bin"), opts_);  // the system CAs do not know it
  EXPECT_FALSE(refused.is_ok());
  EXPECT_FALSE(fs::exists(dest("tls2.bin")));
  tls.stop();
  th.join();
}

}  // namespace
