// Winograd F(2×2, 3×3) bf16 convolutions (engine/winograd_conv.h) against libtorch's fp32
// convolution: the kernel API on odd sizes, batches and both input/output dtypes, and
// PackedConv2d, which routes large bf16 3×3 convolutions to it (bit for bit with 1 and 2
// threads; ThreadCount.SameBitsInSeparateProcesses in test_fast_kernels covers separate
// processes through its 320-channel 32×32 bf16 convolution). Also the attention's AVX-512 bf16
// softmax (engine/softmax_bf16.h), the other kernel written with these intrinsics.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "engine/device.h"
#include "engine/onednn_conv.h"
#include "engine/softmax_bf16.h"
#include "engine/winograd_conv.h"

namespace pictor::engine {
namespace {

double rms(const at::Tensor& t) { return std::sqrt(t.to(torch::kDouble).pow(2).mean().item<double>()); }

// The error of the direct bf16 convolution (operands and result rounded to bf16 once, exact
// sums): the yardstick for the Winograd path's error.
double direct_bf16_error(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, const at::Tensor& exact) {
  const auto round = [](const at::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kDouble); };
  const auto direct = torch::conv2d(round(x), round(w), b.to(torch::kDouble), 1, 1).to(torch::kBFloat16);
  return rms(direct.to(torch::kDouble) - exact);
}

void serial_for(int64_t count, const std::function<void(int64_t, int64_t)>& body) { body(0, count); }

// x: [N, C, H, W] fp32 → the kernel's [N, O, H, W] result (NCHW view of its NHWC output).
at::Tensor run_kernel(const winograd::PackedWeights& packed, const at::Tensor& x, bool x_bf16, bool out_bf16) {
  const auto nhwc = x.permute({0, 2, 3, 1}).to(x_bf16 ? torch::kBFloat16 : torch::kFloat).contiguous();
  auto out = torch::empty({x.size(0), x.size(2), x.size(3), packed.out_channels},
                          torch::dtype(out_bf16 ? torch::kBFloat16 : torch::kFloat));
  winograd::conv3x3(packed, nhwc.data_ptr(), x_bf16, x.size(0), x.size(2), x.size(3), out.data_ptr(), out_bf16,
                    serial_for);
  return out.permute({0, 3, 1, 2});
}

TEST(WinogradConv, SupportsOnlyItsChannelCounts) {
  EXPECT_TRUE(winograd::supports(32, 64));
  EXPECT_TRUE(winograd::supports(2560, 1280));
  EXPECT_FALSE(winograd::supports(48, 64));  // input channels: multiples of 32
  EXPECT_FALSE(winograd::supports(64, 96));  // outputs: multiples of 64
  EXPECT_FALSE(winograd::supports(4, 64));
  EXPECT_FALSE(winograd::supports(64, 3));
}

TEST(WinogradConv, KernelMatchesFp32ConvWithinTwiceTheDirectBf16Error) {
  if (!cpu_has_avx512_bf16()) GTEST_SKIP() << "no AVX-512 BF16 on this CPU";
  torch::manual_seed(21);
  torch::NoGradGuard no_grad;
  struct Case {
    int64_t n, c, o, h, w;
  };
  // Odd and even sizes (tiles cut by the border), a batch of two, one pixel wide; up to 192
  // tiles all in one block, the last case (225 tiles) in blocks of 24.
  for (const Case k : {Case{1, 32, 64, 13, 11}, Case{2, 64, 128, 8, 9}, Case{1, 96, 64, 7, 1}, Case{1, 128, 64, 2, 2},
                       Case{1, 32, 128, 30, 29}}) {
    const auto x = torch::randn({k.n, k.c, k.h, k.w}), w = torch::randn({k.o, k.c, 3, 3}) * 0.1,
               b = torch::randn({k.o});
    const auto exact = torch::conv2d(x.to(torch::kDouble), w.to(torch::kDouble), b.to(torch::kDouble), 1, 1);
    const double yardstick = direct_bf16_error(x, w, b, exact);
    const auto packed = winograd::pack_weights(w.contiguous().data_ptr<float>(), b.data_ptr<float>(), k.o, k.c);
    for (const bool x_bf16 : {true, false})
      for (const bool out_bf16 : {true, false}) {
        const auto y = run_kernel(packed, x, x_bf16, out_bf16);
        const double err = rms(y.to(torch::kDouble) - exact);
        SCOPED_TRACE(testing::Message() << k.n << "x" << k.c << "->" << k.o << " " << k.h << "x" << k.w
                                        << " x_bf16 " << x_bf16 << " out_bf16 " << out_bf16);
        // Measured 1.5–1.8× the direct error (the transformed input is rounded, not the input).
        EXPECT_LT(err, 2.5 * yardstick) << err << " vs direct " << yardstick;
        // No value far off: a wrong tile or channel would be an O(1) error.
        EXPECT_LT((y.to(torch::kDouble) - exact).abs().max().item<double>(), 0.05 * exact.abs().max().item<double>());
      }
  }
}

TEST(WinogradConv, NoBiasMeansZeroBias) {
  if (!cpu_has_avx512_bf16()) GTEST_SKIP() << "no AVX-512 BF16 on this CPU";
  torch::manual_seed(22);
  const auto x = torch::randn({1, 32, 6, 6}), w = torch::randn({64, 32, 3, 3}) * 0.1;
  const auto zeros = torch::zeros({64});
  const auto with_zero = winograd::pack_weights(w.data_ptr<float>(), zeros.data_ptr<float>(), 64, 32);
  const auto without = winograd::pack_weights(w.data_ptr<float>(), nullptr, 64, 32);
  EXPECT_TRUE(torch::equal(run_kernel(with_zero, x, true, false), run_kernel(without, x, true, false)));
}

TEST(WinogradConv, PackedConv2dTakesItForLargeBf16ConvolutionsAndIsThreadCountFree) {
  if (!packed_conv_available() || !winograd_enabled()) GTEST_SKIP() << "Winograd path not enabled here";
  torch::manual_seed(23);
  torch::NoGradGuard no_grad;
  // 2 × 17 × 16 = 544 output tiles (≥ 64): the Winograd path, in blocks.
  const auto x = torch::randn({2, 64, 33, 31}), w = torch::randn({128, 64, 3, 3}) * 0.05, b = torch::randn({128});
  PackedConv2d conv(w, b, 1, 1, torch::kBFloat16);
  // PackedConv2d keeps its weights in the compute dtype, so it transforms the bf16 weights.
  const auto w_bf16 = w.to(torch::kBFloat16).to(torch::kFloat).contiguous();
  const auto packed = winograd::pack_weights(w_bf16.data_ptr<float>(), b.data_ptr<float>(), 128, 64);
  const auto xb = x.to(torch::kBFloat16);
  const int saved = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = conv.forward(xb, torch::kBFloat16);
  torch::set_num_threads(2);
  const auto two = conv.forward(xb, torch::kBFloat16);
  torch::set_num_threads(saved);
  EXPECT_TRUE(one.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(one, two));
  // The same bits as the kernel called directly: PackedConv2d did route it there.
  EXPECT_TRUE(torch::equal(one, run_kernel(packed, x, true, true)));
  // fp32 activations in and out go through it too, within the same error.
  const auto exact = torch::conv2d(x.to(torch::kDouble), w.to(torch::kDouble), b.to(torch::kDouble), 1, 1);
  const auto y32 = conv.forward(x, torch::kFloat);
  EXPECT_EQ(y32.scalar_type(), torch::kFloat);
  EXPECT_LT(rms(y32.to(torch::kDouble) - exact), 2.5 * direct_bf16_error(x, w, b, exact));
}

TEST(WinogradConv, SmallOrUnsupportedConvolutionsStayDirect) {
  if (!packed_conv_available() || !winograd_enabled()) GTEST_SKIP() << "Winograd path not enabled here";
  torch::manual_seed(24);
  torch::NoGradGuard no_grad;
  // 64 tiles (16×16 pixels) is the threshold; 14×14 (49 tiles) and 48 outputs stay direct: the
  // result equals oneDNN's direct bf16 convolution, fp32 math on rounded operands.
  const auto round = [](const at::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kFloat); };
  for (const auto& [o, hw] : {std::pair<int64_t, int64_t>{64, 14}, {48, 40}}) {
    const auto x = torch::randn({1, 32, hw, hw}), w = torch::randn({o, 32, 3, 3}) * 0.1;
    PackedConv2d conv(w, at::Tensor(), 1, 1, torch::kBFloat16);
    const auto y = conv.forward(x, torch::kFloat);
    EXPECT_LT((y - torch::conv2d(round(x), round(w), {}, 1, 1)).abs().max().item<double>(), 1e-4) << o << " " << hw;
  }
}

}  // namespace
}  // namespace pictor::engine

namespace pictor::engine {
namespace {

// The attention's AVX-512 bf16 softmax (engine/softmax_bf16.h): against a double softmax, for
// row lengths with and without a 16-wide tail, and scores far apart (exp underflow to 0).
TEST(SoftmaxBf16, MatchesDoubleSoftmaxWithinOneBf16Rounding) {
  if (!cpu_has_avx512_bf16()) GTEST_SKIP() << "no AVX-512 BF16 on this CPU";
  torch::manual_seed(25);
  for (const int64_t cols : {int64_t(1), int64_t(5), int64_t(77), int64_t(1024), int64_t(4099)}) {
    auto scores = torch::randn({3, cols}) * 4;
    scores[1] = scores[1] * 30;  // exponents down to e^-700: those probabilities are 0
    const auto expected = torch::softmax(scores.to(torch::kDouble), -1);
    auto work = scores.clone();
    auto probs = torch::empty({3, cols}, torch::kBFloat16);
    softmax_rows_fp32_to_bf16(work.data_ptr<float>(), reinterpret_cast<uint16_t*>(probs.data_ptr()), 3, cols);
    const auto got = probs.to(torch::kDouble);
    // One bf16 rounding (2^-9 relative) plus the fp32 exp and sum (~1e-6).
    EXPECT_TRUE(((got - expected).abs() <= expected * (1.0 / 256) + 1e-6).all().item<bool>())
        << cols << ": " << (got - expected).abs().max().item<double>();
    EXPECT_NEAR(got.sum(-1).min().item<double>(), 1.0, 0.01) << cols;
    // The scores buffer now holds exp(x - row max).
    EXPECT_LT((work.to(torch::kDouble) - (scores.to(torch::kDouble) - std::get<0>(scores.max(-1, true))).exp())
                  .abs()
                  .max()
                  .item<double>(),
              1e-6)
        << cols;
  }
}

}  // namespace
}  // namespace pictor::engine
