#pragma once
// A 2-D convolution run by oneDNN directly, with its weights reordered once into the layout its
// kernel wants and activations in channels-last (NHWC) memory. libtorch 1.13's conv2d reorders
// the weights on every call (at 1280 channels and 8×8 pixels that is 70 % of the call) and, for
// NCHW activations, picks a slower GEMM-based kernel: measured fp32, 2 threads, this machine:
// 1280 ch at 8×8 66 → 258 GFLOP/s, 320 ch at 64×64 210 → 357 GFLOP/s.
#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <mutex>
#include <tuple>

namespace pictor::engine {

class PackedConv2d {
 public:
  // weight: [O, C, kh, kw], bias: [O] or undefined; any float dtype (computed in fp32).
  PackedConv2d(const at::Tensor& weight, const at::Tensor& bias, int64_t stride, int64_t padding);
  ~PackedConv2d();
  // x: [N, C, H, W] fp32 CPU, any memory format → [N, O, Ho, Wo] fp32 in channels-last memory.
  at::Tensor forward(const at::Tensor& x);

 private:
  struct Plan;
  at::Tensor weight_, bias_;  // fp32 copies in plain layout (the source of every packing)
  int64_t stride_, padding_;
  std::mutex mutex_;
  std::map<std::tuple<int64_t, int64_t, int64_t>, std::shared_ptr<Plan>> plans_;  // by (N, H, W)
};

// A module's PackedConv2d, built at first use and rebuilt when the module's weights change
// (new storage or an in-place load). forward returns an undefined tensor where the packed path
// does not apply (training, not fp32, not CPU): the caller then runs torch's conv2d.
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
