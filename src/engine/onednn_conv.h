#pragma once
// A 2-D convolution run by oneDNN directly, with its weights reordered once into the layout its
// kernel wants and activations in channels-last (NHWC) memory. libtorch 1.13's conv2d reorders
// the weights on every call (at 1280 channels and 8×8 pixels that is 70 % of the call) and, for
// NCHW activations, picks a slower GEMM-based kernel: measured fp32, 2 threads, this machine:
// 1280 ch at 8×8 66 → 258 GFLOP/s, 320 ch at 64×64 210 → 357 GFLOP/s (fp32; bf16 likewise).
// bf16 3×3 stride-1 convolutions over at least 64 output tiles of 2×2 pixels go through
// Winograd F(2×2, 3×3) instead (winograd_conv.h; PICTOR_WINOGRAD=0 turns it off).
#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace pictor::engine {

namespace winograd {
struct PackedWeights;
}

class PackedConv2d {
 public:
  // weight: [O, C, kh, kw], bias: [O] or undefined; any float dtype. compute: kFloat or
  // kBFloat16, the dtype the product runs in (bf16: VDPBF16PS, fp32 sums; the bias is fp32).
  PackedConv2d(const at::Tensor& weight, const at::Tensor& bias, int64_t stride, int64_t padding,
               at::ScalarType compute = at::kFloat);
  ~PackedConv2d();
  // x: [N, C, H, W] fp32 or bf16 CPU, any memory format → [N, O, Ho, Wo] in out_dtype (fp32 or
  // bf16), channels-last memory. x is cast to the compute dtype first (autocast semantics).
  at::Tensor forward(const at::Tensor& x, at::ScalarType out_dtype = at::kFloat);

 private:
  struct Plan;
  bool use_winograd(int64_t n, int64_t h, int64_t w);
  at::Tensor weight_, bias_;  // plain-layout weights in the compute dtype, fp32 bias
  int64_t stride_, padding_;
  at::ScalarType compute_;
  std::mutex mutex_;
  // by (N, H, W, output dtype)
  std::map<std::tuple<int64_t, int64_t, int64_t, int>, std::shared_ptr<Plan>> plans_;
  bool winograd_applies_ = false;                    // bf16, 3×3, stride 1, pad 1, channel counts, CPU
  std::shared_ptr<winograd::PackedWeights> winograd_;  // built at first use
};

// Whether bf16 convolutions may take the Winograd path: false where the CPU lacks AVX-512 BF16
// or PICTOR_WINOGRAD=0 is set; set_winograd_enabled switches it for the whole process (the
// benchmark's accuracy comparison). Checked at every call.
bool winograd_enabled();
void set_winograd_enabled(bool on);

// A module's PackedConv2d, built at first use and rebuilt when the module's weights change
// (new storage or an in-place load). It computes in the weight's dtype (fp32 or bf16) and
// returns x's dtype. forward returns an undefined tensor where the packed path does not apply
// (training, not CPU, other dtypes, fp32 weights with bf16 x): the caller runs torch's conv2d.
class PackedConvSlot {
 public:
  // weight [O, C, kh, kw], bias [O] or undefined, x [N, C, H, W] → [N, O, Ho, Wo] in
  // channels-last memory, or undefined. (torch's channels-last group norm splits its reductions
  // by thread count: callers that normalise next make the result contiguous.)
  at::Tensor forward(const at::Tensor& weight, const at::Tensor& bias, int64_t stride, int64_t padding,
                     const at::Tensor& x);

 private:
  std::mutex mutex_;
  std::shared_ptr<PackedConv2d> conv_;
  const void* weight_ptr_ = nullptr;
  uint32_t weight_version_ = 0;
  const void* bias_ptr_ = nullptr;
  uint32_t bias_version_ = 0;
};

// True where PackedConv2d runs (a CPU build of oneDNN with AVX-512; elsewhere torch's conv2d is
// as good and the packed path is not used).
bool packed_conv_available();

}  // namespace pictor::engine
