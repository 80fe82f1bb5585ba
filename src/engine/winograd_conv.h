#pragma once
// 3×3 same-padded convolutions by Winograd's minimal filtering F(2×2, 3×3) with bf16 products
// (VDPBF16PS, fp32 sums), for channels-last activations. A direct bf16 convolution already runs
// at this CPU's bf16 peak (oneDNN: ~450 GFLOP/s on 2 Zen 4 cores), so the only way to go faster
// is fewer multiplications: F(2×2, 3×3) takes 16 products per 2×2 outputs and channel pair
// instead of 36 (2.25× fewer). Per block of output tiles it transforms the input patches
// (fp32 adds, one rounding to bf16), runs 16 small products against transformed weights and
// transforms back (fp32, bias fused), all in per-thread scratch that stays in L2.
//
// Numerics: every input value is rounded to bf16 once, after the input transform (B^T d B, whose
// coefficients are 0 and ±1), the weights once after theirs (G g G^T in fp32), and sums are fp32
// as in the direct bf16 convolution; tests bound the error against an fp32 convolution.
// Each output tile is computed by the same instructions whatever the thread count.
//
// No torch here: the engine's glue (onednn_conv.cpp) decides where this applies and supplies
// the thread pool.
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <vector>

namespace pictor::engine::winograd {

// Call only where cpu_has_avx512_bf16() (engine/device.h): this is AVX-512 BF16 code.

// The output channels a product panel covers.
constexpr int64_t kPanel = 64;
// True for the channel counts the kernels handle (in: a multiple of 32; out: of kPanel).
bool supports(int64_t in_channels, int64_t out_channels);

// Cache-line aligned storage: a 64-byte vector load that straddles two lines costs two, and
// malloc's alignment (16 bytes) made whole runs 1.6× slower at random.
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) {
    void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
  template <class U>
  bool operator!=(const CacheLineAllocator<U>&) const { return false; }
};
template <class T>
using AlignedVector = std::vector<T, CacheLineAllocator<T>>;

// Weights transformed (U = G g G^T, 4×4 per output/input channel pair) and packed for the
// products: [16 positions][out/64 panels][in/2 pairs][64 outputs][2] bf16, where a pair is two
// neighbouring slots of the transformed input's channel order (within each 32 channels: the even
// ones, then the odd ones).
struct PackedWeights {
  int64_t in_channels = 0, out_channels = 0;
  AlignedVector<uint16_t> u;  // bf16 bits
  AlignedVector<float> bias;  // [out_channels]
};

// weight: [out][in][3][3] fp32; bias: [out] fp32 or null.
PackedWeights pack_weights(const float* weight, const float* bias, int64_t out_channels, int64_t in_channels);

// Runs body(begin, end) over [0, count) on the engine's threads (items are independent).
using ParallelFor = std::function<void(int64_t count, const std::function<void(int64_t, int64_t)>& body)>;

// x: [n, h, w, in] (bf16 bits when x_bf16, else fp32) → out: [n, h, w, out] (bf16 or fp32);
// stride 1, zero padding 1. out must not alias x.
void conv3x3(const PackedWeights& weights, const void* x, bool x_bf16, int64_t n, int64_t h, int64_t w, void* out,
             bool out_bf16, const ParallelFor& parallel_for);

}  // namespace pictor::engine::winograd
