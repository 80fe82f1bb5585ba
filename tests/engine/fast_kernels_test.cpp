// The fast CPU paths against plain libtorch math in double precision: oneDNN matrix products
// (fp32 and bf16 inputs, strided views, output scale) and blocked attention (ragged blocks,
// different key length, bf16 inputs, 1 and 2 threads), packed oneDNN convolutions (strides,
// padding, batch and size changes, weights changed in place) and the channels-last group norm
// (against torch's, and bit for bit with 1 and 2 threads).
#include <gtest/gtest.h>
#include <torch/torch.h>

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

}  // namespace
}  // namespace pictor::engine
