// The fast CPU paths against plain libtorch math in double precision: oneDNN matrix products
// (fp32 and bf16 inputs, strided views, output scale) and blocked attention (ragged blocks,
// different key length, bf16 inputs, 1 and 2 threads).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/blocked_attention.h"
#include "engine/onednn_matmul.h"

namespace pictor::engine {
namespace {

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

at::Tensor reference_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  auto s = torch::matmul(q.to(torch::kDouble), k.to(torch::kDouble).transpose(-2, -1)) / std::sqrt(double(q.size(-1)));
  return torch::matmul(torch::softmax(s, -1), v.to(torch::kDouble));
}

TEST(OnednnMatmul, MatchesDoublePrecisionForStridedFp32AndBf16) {
  torch::manual_seed(1);
  auto a = torch::randn({70, 33});
  auto bt = torch::randn({45, 33});  // b = btᵀ: a transposed view
  auto c = torch::empty({70, 45});
  onednn_matmul(a, bt.t(), c, 0.5f);
  EXPECT_LT(max_abs_diff(c, 0.5 * torch::mm(a.to(torch::kDouble), bt.t().to(torch::kDouble))), 1e-4);
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
  EXPECT_THROW(onednn_matmul(torch::randn({4, 4}, torch::kDouble), torch::randn({4, 4}), c), std::exception);
}

TEST(BlockedAttention, MatchesReferenceForRaggedBlocksAndBothDtypes) {
  torch::manual_seed(2);
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    // 200 queries = three full blocks of 64 and one of 8; 77 keys (cross-attention shape).
    auto q = torch::randn({2, 3, 200, 40}) * 2, k = torch::randn({2, 3, 77, 40}) * 2, v = torch::randn({2, 3, 77, 40});
    auto out = blocked_attention(q, k, v);
    ASSERT_EQ(out.sizes(), q.sizes());
    EXPECT_LT(max_abs_diff(out, reference_attention(q, k, v)), 1e-5) << threads << " threads";
    // Non-contiguous inputs ([B, L, H, D] transposed, as the models pass them) and bf16.
    auto qt = torch::randn({2, 200, 3, 40}).transpose(1, 2), kt = torch::randn({2, 77, 3, 40}).transpose(1, 2);
    auto qb = qt.to(torch::kBFloat16), kb = kt.to(torch::kBFloat16), vb = v.to(torch::kBFloat16);
    auto outb = blocked_attention(qb, kb, vb);
    EXPECT_EQ(outb.scalar_type(), torch::kBFloat16);
    // Only the final rounding to bf16 (relative 2⁻⁹) separates it from exact attention on the bf16 inputs.
    EXPECT_LT(max_abs_diff(outb, reference_attention(qb, kb, vb)), 1e-2);
    EXPECT_LT(max_abs_diff(blocked_attention(qt, kt, v), reference_attention(qt, kt, v)), 1e-5);
  }
}

}  // namespace
}  // namespace pictor::engine
