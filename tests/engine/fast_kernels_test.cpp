// The fast CPU paths against plain libtorch math in double precision: oneDNN matrix products
// (fp32 and bf16 inputs, strided views, output scale) and blocked attention (ragged blocks,
// different key length, bf16 inputs, 1 and 2 threads), packed oneDNN convolutions (strides,
// padding, batch and size changes, weights changed in place; fp32 and bf16 products), the
// channels-last group norm, the linear row blocks and the bf16 layer norm (against torch's, and
// bit for bit with 1 and 2 threads, in one process and in two).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/blocked_attention.h"
#include "engine/group_norm_nhwc.h"
#include "engine/onednn_conv.h"
#include "engine/onednn_matmul.h"
#include "engine/ops.h"

namespace pictor::engine {
namespace {

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// f() computed with 1 thread, then with 2; the caller's thread count restored.
std::pair<at::Tensor, at::Tensor> with_one_and_two_threads(const std::function<at::Tensor()>& f) {
  const int saved = torch::get_num_threads();
  torch::set_num_threads(1);
  auto one = f();
  torch::set_num_threads(2);
  auto two = f();
  torch::set_num_threads(saved);
  return {one, two};
}

at::Tensor reference_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  auto s = torch::matmul(q.to(torch::kDouble), k.to(torch::kDouble).transpose(-2, -1)) /
           std::sqrt(double(q.size(-1)));
  return torch::matmul(torch::softmax(s, -1), v.to(torch::kDouble));
}

TEST(OnednnMatmul, MatchesDoublePrecisionForStridedFp32AndBf16) {
  torch::manual_seed(1);
  auto a = torch::randn({70, 33});
  auto bt = torch::randn({45, 33});  // b = btᵀ: a transposed view
  auto c = torch::empty({70, 45});
  onednn_matmul(a, bt.t(), c, 0.5f);
  EXPECT_LT(max_abs_diff(c, 0.5 * torch::mm(a.to(torch::kDouble), bt.t().to(torch::kDouble))),
            1e-4);
  // bf16 inputs, fp32 output: exact products of the bf16 values, accumulated in fp32.
  auto ab = a.to(torch::kBFloat16), bb = bt.to(torch::kBFloat16);
  onednn_matmul(ab, bb.t(), c);
  EXPECT_LT(max_abs_diff(c, torch::mm(ab.to(torch::kDouble), bb.t().to(torch::kDouble))), 1e-4);
  // A slice of a larger tensor as output.
  auto big = torch::zeros({80, 45});
  auto part = big.slice(0, 5, 75);
  onednn_matmul(a, bt.t(), part);
  EXPECT_LT(max_abs_diff(part, torch::mm(a, bt.t())), 1e-4);
  EXPECT_EQ(big.slice(0, 0, 5).abs().sum().item<float>(), 0.0f);
}

TEST(OnednnMatmul, RejectsWrongShapesAndDtypes) {
  auto c = torch::empty({4, 4});
  EXPECT_THROW(onednn_matmul(torch::randn({4, 3}), torch::randn({4, 4}), c), c10::Error);
  EXPECT_THROW(onednn_matmul(torch::randn({4, 4}, torch::kDouble), torch::randn({4, 4}), c),
               std::exception);
}

TEST(BlockedAttention, MatchesReferenceForRaggedBlocksAndBothDtypes) {
  torch::manual_seed(2);
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    // 200 queries = three full blocks of 64 and one of 8; 77 keys (cross-attention shape).
    auto q = torch::randn({2, 3, 200, 40}) * 2, k = torch::randn({2, 3, 77, 40}) * 2,
         v = torch::randn({2, 3, 77, 40});
    auto out = blocked_attention(q, k, v);
    ASSERT_EQ(out.sizes(), q.sizes());
    EXPECT_LT(max_abs_diff(out, reference_attention(q, k, v)), 1e-5) << threads << " threads";
    // Non-contiguous inputs ([B, L, H, D] transposed, as the models pass them) and bf16.
    auto qt = torch::randn({2, 200, 3, 40}).transpose(1, 2),
         kt = torch::randn({2, 77, 3, 40}).transpose(1, 2);
    auto qb = qt.to(torch::kBFloat16), kb = kt.to(torch::kBFloat16), vb = v.to(torch::kBFloat16);
    auto outb = blocked_attention(qb, kb, vb);
    EXPECT_EQ(outb.scalar_type(), torch::kBFloat16);
    // Only the final rounding to bf16 (relative 2⁻⁹) separates it from exact attention on the bf16
    // inputs.
    EXPECT_LT(max_abs_diff(outb, reference_attention(qb, kb, vb)), 1e-2);
    EXPECT_LT(max_abs_diff(blocked_attention(qt, kt, v), reference_attention(qt, kt, v)), 1e-5);
  }
}

// The same bits with 1 and 2 threads, for contiguous heads and for per-head strided views of
// [B, L, H·D] projections (how the UNet passes them). oneDNN's jit gemm gave different bits on
// 1 and 2 threads when it read such views in place, so blocked_attention copies its inputs.
TEST(BlockedAttention, SameBitsForOneAndTwoThreads) {
  torch::manual_seed(3);
  auto proj_q = torch::randn({2, 150, 5 * 24}), proj_k = torch::randn({2, 150, 5 * 24}),
       proj_v = torch::randn({2, 150, 5 * 24});
  auto heads = [](const at::Tensor& t) {
    return t.view({t.size(0), t.size(1), 5, 24}).transpose(1, 2);
  };
  const auto q = heads(proj_q), k = heads(proj_k), v = heads(proj_v);
  const auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
  const int saved = torch::get_num_threads();
  torch::set_num_threads(1);
  const auto one = blocked_attention(q, k, v), one_c = blocked_attention(qc, kc, vc);
  torch::set_num_threads(2);
  const auto two = blocked_attention(q, k, v), two_c = blocked_attention(qc, kc, vc);
  torch::set_num_threads(saved);
  EXPECT_TRUE(torch::equal(one, two)) << max_abs_diff(one, two);
  EXPECT_TRUE(torch::equal(one_c, two_c)) << max_abs_diff(one_c, two_c);
  EXPECT_LT(max_abs_diff(one, reference_attention(q, k, v)), 1e-5);
  // 4096 keys as in the UNet's first level (a long reduction in the second product), fp32 and
  // bf16 (bf16 products, probabilities rounded to bf16).
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    auto big = [&](int64_t l) { return torch::randn({1, 5, l, 64}).to(dtype); };
    const auto qb = big(300), kb = big(4096), vb = big(4096);
    const auto [one_b, two_b] = with_one_and_two_threads([&] { return blocked_attention(qb, kb, vb); });
    EXPECT_TRUE(torch::equal(one_b, two_b)) << dtype << " " << max_abs_diff(one_b, two_b);
    EXPECT_LT(max_abs_diff(one_b, reference_attention(qb, kb, vb)),
              dtype == torch::kFloat ? 1e-5 : 1e-2);
  }
}

TEST(PackedConv2d, MatchesTorchConvForStridesPaddingsAndShapes) {
  if (!packed_conv_available()) GTEST_SKIP() << "no oneDNN CPU engine";
  torch::manual_seed(3);
  torch::NoGradGuard no_grad;
  struct Case {
    int64_t c, o, k, stride, padding;
  };
  for (const Case cs :
       {Case{5, 7, 3, 1, 1}, Case{8, 16, 3, 2, 1}, Case{6, 4, 1, 1, 0}, Case{3, 5, 3, 2, 0}}) {
    auto w = torch::randn({cs.o, cs.c, cs.k, cs.k}) * 0.3, b = torch::randn({cs.o});
    PackedConv2d packed(w, b, cs.stride, cs.padding);
    // Several input shapes through one object (a plan per shape) and both memory formats.
    for (auto sizes : {std::vector<int64_t>{1, cs.c, 13, 11}, std::vector<int64_t>{2, cs.c, 16, 16},
                       std::vector<int64_t>{1, cs.c, 13, 11}}) {
      auto x = torch::randn(sizes);
      auto expected = torch::conv2d(x, w, b, cs.stride, cs.padding);
      auto out = packed.forward(x);
      ASSERT_EQ(out.sizes(), expected.sizes());
      EXPECT_TRUE(out.is_contiguous(at::MemoryFormat::ChannelsLast));
      EXPECT_LT(max_abs_diff(out, expected), 1e-4)
          << cs.c << "→" << cs.o << " k" << cs.k << " s" << cs.stride;
      EXPECT_LT(
          max_abs_diff(packed.forward(x.contiguous(at::MemoryFormat::ChannelsLast)), expected),
          1e-4);
    }
  }
  // Without a bias.
  auto w = torch::randn({4, 3, 3, 3});
  auto x = torch::randn({1, 3, 9, 9});
  EXPECT_LT(
      max_abs_diff(PackedConv2d(w, at::Tensor(), 1, 1).forward(x), torch::conv2d(x, w, {}, 1, 1)),
      1e-4);
}

// bf16 products (VDPBF16PS, fp32 sums): against fp32 math on the bf16-rounded operands, for fp32
// and bf16 activations and outputs, and the same bits with 1 and 2 threads at a UNet-like size.
TEST(PackedConv2d, Bf16ComputeMatchesFp32MathOnRoundedInputsAndIsThreadCountFree) {
  if (!packed_conv_available()) GTEST_SKIP() << "no oneDNN CPU engine";
  torch::manual_seed(6);
  torch::NoGradGuard no_grad;
  for (const int64_t stride : {1, 2}) {
    auto w = torch::randn({48, 32, 3, 3}) * 0.1, b = torch::randn({48});
    PackedConv2d packed(w, b, stride, 1, torch::kBFloat16);
    auto x = torch::randn({2, 32, 20, 18});
    const auto round = [](const at::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kFloat); };
    auto expected = torch::conv2d(round(x), round(w), b, stride, 1);
    auto out32 = packed.forward(x, torch::kFloat);
    EXPECT_EQ(out32.scalar_type(), torch::kFloat);
    EXPECT_TRUE(out32.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_LT(max_abs_diff(out32, expected), 1e-4) << "stride " << stride;
    auto out16 = packed.forward(x.to(torch::kBFloat16), torch::kBFloat16);
    EXPECT_EQ(out16.scalar_type(), torch::kBFloat16);
    // One bf16 rounding: at most 2^-9 of the value (plus the fp32 sums' own error).
    EXPECT_TRUE(((out16.to(torch::kFloat) - expected).abs() <= expected.abs() / 256 + 1e-4)
                    .all()
                    .item<bool>())
        << "stride " << stride << ": " << max_abs_diff(out16, expected);
    EXPECT_TRUE(torch::equal(out16, out32.to(torch::kBFloat16)));
  }
  auto w = torch::randn({128, 128, 3, 3}) * 0.05;
  auto x = torch::randn({1, 128, 32, 32}).to(torch::kBFloat16);
  PackedConv2d packed(w, at::Tensor(), 1, 1, torch::kBFloat16);
  const auto [one, two] = with_one_and_two_threads([&] { return packed.forward(x, torch::kBFloat16); });
  EXPECT_TRUE(torch::equal(one, two)) << max_abs_diff(one, two);
}

TEST(PackedConvSlot, RepacksWhenWeightsOrBiasChangeAndStepsAsideWhenItDoesNotApply) {
  if (!packed_conv_available()) GTEST_SKIP() << "no oneDNN CPU engine";
  torch::manual_seed(4);
  torch::nn::Conv2d conv(torch::nn::Conv2dOptions(4, 6, 3).padding(1));
  auto x = torch::randn({1, 4, 10, 10});
  PackedConvSlot slot;
  {
    torch::NoGradGuard no_grad;
    auto first = slot.forward(conv->weight, conv->bias, 1, 1, x);
    ASSERT_TRUE(first.defined());
    EXPECT_LT(max_abs_diff(first, conv->forward(x)), 1e-5);
    // A checkpoint load copies into the same storage: the slot must see it.
    conv->weight.mul_(-2.0);
    EXPECT_LT(max_abs_diff(slot.forward(conv->weight, conv->bias, 1, 1, x), conv->forward(x)),
              1e-5);
    conv->bias.add_(1.0);
    EXPECT_LT(max_abs_diff(slot.forward(conv->weight, conv->bias, 1, 1, x), conv->forward(x)),
              1e-5);
    // New storage.
    conv->weight.set_data(torch::randn({6, 4, 3, 3}));
    EXPECT_LT(max_abs_diff(slot.forward(conv->weight, conv->bias, 1, 1, x), conv->forward(x)),
              1e-5);
    // Not fp32: the caller runs torch's conv.
    EXPECT_FALSE(slot.forward(conv->weight, conv->bias, 1, 1, x.to(torch::kDouble)).defined());
    // fp32 weights do not take bf16 activations; bf16 weights take both and return x's dtype.
    EXPECT_FALSE(slot.forward(conv->weight, conv->bias, 1, 1, x.to(torch::kBFloat16)).defined());
    const auto w16 = conv->weight.to(torch::kBFloat16);
    PackedConvSlot slot16;
    auto y32 = slot16.forward(w16, conv->bias, 1, 1, x);
    auto y16 = slot16.forward(w16, conv->bias, 1, 1, x.to(torch::kBFloat16));
    ASSERT_TRUE(y32.defined() && y16.defined());
    EXPECT_EQ(y32.scalar_type(), torch::kFloat);
    EXPECT_EQ(y16.scalar_type(), torch::kBFloat16);
    EXPECT_LT(max_abs_diff(y32, conv->forward(x)), 0.1);  // bf16 operands
  }
  // Training (grad mode on): never the packed path, gradients must flow through torch.
  EXPECT_FALSE(slot.forward(conv->weight, conv->bias, 1, 1, x).defined());
}

TEST(GroupNormNhwc, MatchesTorchAndGivesTheSameBitsForOneAndTwoThreads) {
  torch::manual_seed(5);
  auto x = (torch::randn({2, 32, 23, 19}) * 3 + 1).contiguous(at::MemoryFormat::ChannelsLast);
  auto w = torch::randn({32}), b = torch::randn({32});
  auto expected = torch::group_norm(x.contiguous(), 8, w, b, 1e-6);
  at::Tensor by_threads[2];
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    auto out = group_norm_nhwc(x, 8, w, b, 1e-6, false);
    ASSERT_EQ(out.sizes(), x.sizes());
    EXPECT_TRUE(out.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_LT(max_abs_diff(out, expected), 1e-4) << threads << " threads";
    EXPECT_LT(max_abs_diff(group_norm_nhwc(x, 8, w, b, 1e-6, true), torch::silu(expected)), 1e-4);
    // NCHW input and no affine parameters.
    EXPECT_LT(max_abs_diff(group_norm_nhwc(x.contiguous(), 4, {}, {}, 1e-5, false),
                           torch::group_norm(x.contiguous(), 4, {}, {}, 1e-5)),
              1e-4);
    by_threads[threads - 1] = out;
  }
  EXPECT_TRUE(torch::equal(by_threads[0], by_threads[1]));
}

// bf16 activations: statistics in fp32 from the bf16 values, one rounding of the result.
TEST(GroupNormNhwc, Bf16MatchesFp32NormOfTheSameValuesAndIsThreadCountFree) {
  torch::manual_seed(7);
  torch::NoGradGuard no_grad;
  auto x = (torch::randn({2, 64, 24, 20}) * 3 + 1)
               .to(torch::kBFloat16)
               .contiguous(at::MemoryFormat::ChannelsLast);
  auto w = torch::randn({64}), b = torch::randn({64});
  ASSERT_TRUE(group_norm_nhwc_applies(x));
  auto expected = torch::group_norm(x.to(torch::kFloat).contiguous(), 32, w, b, 1e-5);
  at::Tensor by_threads[2];
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    by_threads[threads - 1] = group_norm_nhwc(x, 32, w, b, 1e-5, true);
  }
  EXPECT_EQ(by_threads[0].scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(by_threads[0].is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(by_threads[0], by_threads[1]));
  // |silu(y)| < 16 here: two bf16 roundings (norm, silu) are below 0.07 in all.
  EXPECT_LT(max_abs_diff(by_threads[0], torch::silu(expected)), 0.07);
  EXPECT_LT(max_abs_diff(group_norm_nhwc(x, 32, w, b, 1e-5, false), expected), 0.035);
}

}  // namespace
}  // namespace pictor::engine

namespace pictor::engine {
namespace {

// The fp32 linear layer's row blocks add the bias inside oneDNN's product: the same bits as the
// product followed by a separate add, and close to double precision; strided weight rows (the
// GEGLU halves are slices of one weight) work too.
TEST(LinearInRowBlocks, FusedBiasMatchesProductThenAdd) {
  torch::manual_seed(4);
  auto x = torch::randn({2, 100, 48});  // 200 rows: three blocks of 64 and one of 8
  auto w_full = torch::randn({2 * 36, 48}), b_full = torch::randn({2 * 36});
  auto w = w_full.slice(0, 36), b = b_full.slice(0, 36);
  auto out = linear_in_row_blocks(x, w, b);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{2, 100, 36}));
  auto rows = x.reshape({-1, 48});
  auto expected = torch::empty({200, 36});
  for (int64_t r0 = 0; r0 < 200; r0 += 64) {
    auto dst = expected.slice(0, r0, std::min<int64_t>(200, r0 + 64));
    onednn_matmul(rows.slice(0, r0, std::min<int64_t>(200, r0 + 64)), w.t(), dst);
    dst.add_(b);
  }
  EXPECT_TRUE(torch::equal(out.reshape({200, 36}), expected))
      << max_abs_diff(out.reshape({200, 36}), expected);
  EXPECT_LT(max_abs_diff(out, torch::linear(x.to(torch::kDouble), w.to(torch::kDouble),
                                            b.to(torch::kDouble))),
            1e-4);
}

// bf16 rows and weights through oneDNN: fp32 sums with the bias, one rounding to bf16; the same
// bits with 1 and 2 threads.
TEST(LinearInRowBlocks, Bf16MatchesFp32MathOnTheSameValuesAndIsThreadCountFree) {
  torch::manual_seed(8);
  auto x = torch::randn({3, 150, 96}).to(torch::kBFloat16);
  auto w = (torch::randn({80, 96}) * 0.1).to(torch::kBFloat16), b = torch::randn({80});
  const auto [one, two] = with_one_and_two_threads([&] { return linear_in_row_blocks(x, w, b); });
  EXPECT_EQ(one.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(one, two)) << max_abs_diff(one, two);
  const auto expected = torch::linear(x.to(torch::kDouble), w.to(torch::kDouble), b.to(torch::kDouble));
  // |expected| < 8: one bf16 rounding is at most 2^-6.
  EXPECT_LT(max_abs_diff(one, expected), 1.6e-2);
}

TEST(UpsampleNearest2xNhwc, EqualsTorchsNearestUpsampleForFp32AndBf16) {
  torch::manual_seed(10);
  torch::NoGradGuard no_grad;
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const auto x = torch::randn({2, 5, 7, 3}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
    ASSERT_TRUE(upsample_nearest2x_nhwc_applies(x));
    const auto up = upsample_nearest2x_nhwc(x);
    EXPECT_EQ(up.scalar_type(), dtype);
    EXPECT_TRUE(up.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::equal(up, torch::upsample_nearest2d(x.to(torch::kFloat), {14, 6}).to(dtype)));
  }
  EXPECT_FALSE(upsample_nearest2x_nhwc_applies(torch::randn({1, 3, 4, 4})));  // NCHW
}

// Few rows and many columns (a 77-token prompt: one full block and a ragged one). Tiling the
// columns as well was tried (to keep both threads busy) and gave different bits in a 1-thread and
// a 2-thread process (ThreadCount.SameBitsInSeparateProcesses): oneDNN split the small products'
// K by the thread count it saw at creation.
TEST(LinearInRowBlocks, FewRowsMatchDoubleAndAreThreadCountFree) {
  torch::manual_seed(12);
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    auto x = torch::randn({1, 77, 128}).to(dtype);
    auto w = (torch::randn({1000, 128}) * 0.1).to(dtype), b = torch::randn({1000});
    const auto [one, two] = with_one_and_two_threads([&] { return linear_in_row_blocks(x, w, b); });
    EXPECT_TRUE(torch::equal(one, two)) << dtype << " " << max_abs_diff(one, two);
    const auto expected =
        torch::linear(x.to(torch::kDouble), w.to(torch::kDouble), b.to(torch::kDouble));
    EXPECT_LT(max_abs_diff(one, expected), dtype == torch::kFloat ? 1e-4 : 3.2e-2) << dtype;  // |y| < 16
  }
}

TEST(LayerNormBf16, MatchesFp32NormOfTheSameValuesAndIsThreadCountFree) {
  torch::manual_seed(9);
  auto x = (torch::randn({2, 333, 320}) * 2 + 0.5).to(torch::kBFloat16);
  auto w = torch::randn({320}), b = torch::randn({320});
  const auto [one, two] = with_one_and_two_threads([&] { return layer_norm_bf16(x, w, b, 1e-5); });
  EXPECT_EQ(one.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(one, two));
  const auto expected = torch::layer_norm(x.to(torch::kFloat), {320}, w, b, 1e-5);
  // |expected| < 16 here: one bf16 rounding is at most 2^-5.
  EXPECT_LT(max_abs_diff(one, expected), 3.2e-2);
  // Relative to each value: the rounding, not a wrong statistic.
  EXPECT_LT(((one.to(torch::kFloat) - expected).abs() / (expected.abs() + 1e-3)).max().item<float>(),
            1.0f / 128);
  EXPECT_THROW(layer_norm_bf16(x.to(torch::kFloat), w, b, 1e-5), c10::Error);
}

}  // namespace
}  // namespace pictor::engine

namespace pictor::engine {
namespace {

// oneDNN picks its kernels and how it splits work when a primitive is created, from the thread
// count it sees then, and caches primitives per process: a test that runs 1 and 2 threads in one
// process reuses the first run's primitives and cannot see a split that depends on threads.
// So a child process per thread count computes SD-sized products, attention, convolutions and
// norms (fp32 and bf16) and prints a checksum of every result; the parent compares them.
uint64_t fnv1a(const at::Tensor& t) {
  const auto c = t.contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size_t(c.nbytes()); ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

TEST(ThreadCountChild, PrintsChecksums) {
  const char* threads = std::getenv("PICTOR_CHECKSUM_THREADS");
  if (threads == nullptr) GTEST_SKIP() << "run by ThreadCount.SameBitsInSeparateProcesses";
  torch::set_num_threads(std::atoi(threads));
  torch::manual_seed(11);
  torch::NoGradGuard no_grad;
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const std::string tag = dtype == torch::kFloat ? "fp32" : "bf16";
    auto r = [&](std::vector<int64_t> shape, double scale = 1.0) {
      return (torch::randn(shape) * scale).to(dtype);
    };
    const auto q = r({1, 5, 300, 64}), k = r({1, 5, 4096, 64}), v = r({1, 5, 4096, 64});
    std::printf("checksum attention_%s %016llx\n", tag.c_str(),
                (unsigned long long)fnv1a(blocked_attention(q, k, v)));
    // [rows, in] · [in, out]: the text encoder's 77 tokens, few rows with a long reduction, and
    // the UNet's 32² and 64² levels (one product over all rows from 1024 rows on).
    for (const auto& [rows, in, out] : {std::tuple<int64_t, int64_t, int64_t>{77, 1280, 1280},
                                        {300, 5120, 1280}, {1024, 640, 640}, {4096, 320, 1280}}) {
      const auto x = r({rows, in}), w = r({out, in}, 0.03);
      std::printf("checksum linear%lldx%lld_%s %016llx\n", (long long)rows, (long long)in, tag.c_str(),
                  (unsigned long long)fnv1a(linear_in_row_blocks(x, w, torch::randn({out}))));
    }
    for (const auto& [ch, hw] : {std::pair<int64_t, int64_t>{1280, 8}, {320, 32}}) {
      PackedConv2d conv(torch::randn({ch, ch, 3, 3}) * 0.02, torch::randn({ch}), 1, 1, dtype);
      const auto y = conv.forward(r({1, ch, hw, hw}), dtype);
      std::printf("checksum conv%lld_%s %016llx\n", (long long)ch, tag.c_str(),
                  (unsigned long long)fnv1a(y));
      std::printf("checksum groupnorm%lld_%s %016llx\n", (long long)ch, tag.c_str(),
                  (unsigned long long)fnv1a(group_norm_nhwc(y, 32, {}, {}, 1e-5, true)));
    }
  }
}

std::string child_checksums(int threads) {
  const std::string cmd = "PICTOR_CHECKSUM_THREADS=" + std::to_string(threads) +
                          " /proc/" + std::to_string(getpid()) +
                          "/exe --gtest_filter=ThreadCountChild.PrintsChecksums 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string lines;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr)
    if (std::string(buf).rfind("checksum ", 0) == 0) lines += buf;
  pclose(pipe);
  return lines;
}

TEST(ThreadCount, SameBitsInSeparateProcesses) {
  const std::string one = child_checksums(1), two = child_checksums(2);
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 2 * (1 + 4 + 2 * 2)) << one;
  EXPECT_EQ(one, two);
}

}  // namespace
}  // namespace pictor::engine
