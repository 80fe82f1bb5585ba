// pictor-kernels: the compute ceilings of this CPU for the shapes Stable Diffusion runs, printed
// as one JSON object. It answers "how fast could a UNet step be here" before anyone tunes a model:
// each entry is a matrix product or convolution timed through every path the engine could take
// (oneDNN called directly, libtorch's at::mm / conv2d) in fp32 and bf16.
// Usage: pictor-kernels [--threads N] [--repeats R]
// Each timing is the median of R calls after one untimed call; GFLOP counts 2·M·N·K (products)
// and 2·N·O·C·kh·kw·Ho·Wo (convolutions).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/device.h"
#include "engine/onednn_conv.h"
#include "engine/onednn_matmul.h"

namespace {

using nlohmann::json;

double median_seconds(const std::function<void()>& call, int repeats) {
  call();  // first call: primitive creation, weight packing, page faults
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

json entry(double gflop, double seconds, int threads) {
  const double rate = gflop / seconds;
  return {{"seconds", seconds},
          {"gflop_per_second", rate},
          {"gflop_per_second_per_thread", rate / threads}};
}

// a[M, K] · b[K, N] through oneDNN (fp32, bf16 → fp32 out) and at::mm (fp32: OpenBLAS; bf16).
json matmul_case(int64_t m, int64_t k, int64_t n, int threads, int repeats) {
  const at::Tensor a = at::randn({m, k}), b = at::randn({k, n});
  const at::Tensor a16 = a.to(at::kBFloat16), b16 = b.to(at::kBFloat16);
  at::Tensor c = at::empty({m, n});
  const double gflop = 2.0 * m * n * k / 1e9;
  json j = {{"shape", {m, k, n}}, {"gflop", gflop}};
  j["onednn_fp32"] = entry(
      gflop, median_seconds([&] { pictor::engine::onednn_matmul(a, b, c); }, repeats), threads);
  j["onednn_bf16"] = entry(
      gflop, median_seconds([&] { pictor::engine::onednn_matmul(a16, b16, c); }, repeats), threads);
  j["torch_mm_fp32"] = entry(gflop, median_seconds([&] { (void)at::mm(a, b); }, repeats), threads);
  j["torch_mm_bf16"] =
      entry(gflop, median_seconds([&] { (void)at::mm(a16, b16); }, repeats), threads);
  return j;
}

// The engine's linear layers: a[M, K] in blocks of 64 rows (one oneDNN call per block, one
// block after another, so each row's sums do not depend on the thread count) times a weight
// stored [N, K] as checkpoints hold it. "ba" passes the weight's transposed view, "ab" a [K, N]
// copy made once. "rows64_bf16_ba_block_per_thread" runs the blocks in parallel instead, each
// call on one thread (the alternative the engine measured and did not take).
json rowblock_case(int64_t m, int64_t k, int64_t n, int threads, int repeats) {
  const at::Tensor a = at::randn({m, k}), w = at::randn({n, k});
  const at::Tensor a16 = a.to(at::kBFloat16), w16 = w.to(at::kBFloat16);
  const at::Tensor wt_ab = w.t().contiguous(), wt16_ab = w16.t().contiguous();
  at::Tensor c = at::empty({m, n});
  const double gflop = 2.0 * m * n * k / 1e9;
  const int64_t count = (m + 63) / 64;
  auto block = [&](const at::Tensor& x, const at::Tensor& b, int64_t i) {
    auto dst = c.slice(0, i * 64, std::min(m, i * 64 + 64));
    pictor::engine::onednn_matmul(x.slice(0, i * 64, std::min(m, i * 64 + 64)), b, dst);
  };
  auto blocks = [&](const at::Tensor& x, const at::Tensor& b) {
    for (int64_t i = 0; i < count; ++i) block(x, b, i);
  };
  auto block_per_thread = [&](const at::Tensor& x, const at::Tensor& b) {
    at::parallel_for(0, std::max<int64_t>(count, 2), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < std::min(end, count); ++i) block(x, b, i);
    });
  };
  json j = {{"shape", {m, k, n}}, {"gflop", gflop}};
  j["rows64_fp32_ba"] = entry(gflop, median_seconds([&] { blocks(a, w.t()); }, repeats), threads);
  j["rows64_fp32_ab"] = entry(gflop, median_seconds([&] { blocks(a, wt_ab); }, repeats), threads);
  j["rows64_bf16_ba"] =
      entry(gflop, median_seconds([&] { blocks(a16, w16.t()); }, repeats), threads);
  j["rows64_bf16_ab"] =
      entry(gflop, median_seconds([&] { blocks(a16, wt16_ab); }, repeats), threads);
  j["rows64_bf16_ba_block_per_thread"] =
      entry(gflop, median_seconds([&] { block_per_thread(a16, w16.t()); }, repeats), threads);
  return j;
}

// A 3×3 same-padded convolution of C → O channels on [N, C, H, W].
json conv_case(int64_t n, int64_t c, int64_t o, int64_t hw, int threads, int repeats) {
  const at::Tensor x = at::randn({n, c, hw, hw}), w = at::randn({o, c, 3, 3}) * 0.05,
                   bias = at::randn({o});
  const at::Tensor x_cl = x.contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor x16 = x_cl.to(at::kBFloat16), w16 = w.to(at::kBFloat16),
                   bias16 = bias.to(at::kBFloat16);
  const double gflop = 2.0 * n * o * c * 9 * hw * hw / 1e9;
  json j = {{"shape", {n, c, o, hw}}, {"gflop", gflop}};
  if (pictor::engine::packed_conv_available()) {
    pictor::engine::PackedConv2d packed(w, bias, 1, 1);
    j["onednn_packed_fp32_nhwc"] =
        entry(gflop, median_seconds([&] { (void)packed.forward(x_cl); }, repeats), threads);
    // bf16 products: bf16 activations in and out (the UNet's bf16 path).
    pictor::engine::PackedConv2d packed16(w, bias, 1, 1, at::kBFloat16);
    j["onednn_packed_bf16_nhwc"] = entry(
        gflop, median_seconds([&] { (void)packed16.forward(x16, at::kBFloat16); }, repeats),
        threads);
  }
  j["torch_conv_fp32_nchw"] =
      entry(gflop, median_seconds([&] { (void)at::conv2d(x, w, bias, 1, 1); }, repeats), threads);
  j["torch_conv_fp32_nhwc"] = entry(
      gflop, median_seconds([&] { (void)at::conv2d(x_cl, w, bias, 1, 1); }, repeats), threads);
  j["torch_conv_bf16_nhwc"] = entry(
      gflop, median_seconds([&] { (void)at::conv2d(x16, w16, bias16, 1, 1); }, repeats), threads);
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--threads" || a == "--repeats") && i + 1 < argc) {
      const int v = std::atoi(argv[++i]);
      if (v < 1) {
        std::fprintf(stderr, "error: %s needs a positive integer\n", a.c_str());
        return 2;
      }
      (a == "--threads" ? threads : repeats) = v;
    } else {
      std::fprintf(stderr, "usage: pictor-kernels [--threads N] [--repeats R]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  pictor::engine::set_threads(threads);
  at::manual_seed(0);
  json out = {{"threads", threads}, {"repeats", repeats}};
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  out["OPENBLAS_CORETYPE"] = coretype ? coretype : "";
  // UNet shapes at 512²: the 64×64 level's projections (4096 tokens × 320 → 1280, the GEGLU
  // input 320 → 2560) and the 16×16 level's (256 tokens × 1280 → 1280).
  out["matmul"] = json::array({matmul_case(4096, 320, 1280, threads, repeats),
                               matmul_case(4096, 320, 2560, threads, repeats),
                               matmul_case(256, 1280, 1280, threads, repeats)});
  out["linear_rows64"] = json::array({rowblock_case(4096, 320, 1280, threads, repeats),
                                      rowblock_case(4096, 320, 2560, threads, repeats),
                                      rowblock_case(256, 1280, 1280, threads, repeats)});
  // UNet and VAE convolutions: 320 ch at 64², 640 at 32², 1280 at 8², and the VAE's 128 ch at 512².
  out["conv3x3"] = json::array({conv_case(1, 320, 320, 64, threads, repeats),
                                conv_case(1, 640, 640, 32, threads, repeats),
                                conv_case(1, 1280, 1280, 8, threads, repeats),
                                conv_case(1, 128, 128, 512, threads, repeats)});
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
