#include "engine/group_norm_nhwc.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

namespace pictor::engine {

namespace {

constexpr int64_t kChunks = 64;  // fixed, whatever the thread count

bool supported_dtype(at::ScalarType t) { return t == at::kFloat || t == at::kBFloat16; }

}  // namespace

bool group_norm_nhwc_applies(const at::Tensor& x) {
  return !at::GradMode::is_enabled() && x.device().is_cpu() && supported_dtype(x.scalar_type()) &&
         x.dim() == 4 && x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous();
}

namespace {

// T: float or c10::BFloat16 (read as float; sums and the affine map in fp32 / double).
template <class T>
at::Tensor group_norm_nhwc_typed(const at::Tensor& x, int64_t groups, const at::Tensor& weight,
                                 const at::Tensor& bias, double eps, bool silu) {
  const int64_t n = x.size(0), c = x.size(1), pixels = x.size(2) * x.size(3);
  TORCH_CHECK(groups > 0 && c % groups == 0, "group_norm_nhwc: ", c, " channels in ", groups,
              " groups");
  const int64_t per_group = c / groups;
  auto in = x.contiguous(at::MemoryFormat::ChannelsLast);
  auto out = at::empty_like(in, at::MemoryFormat::ChannelsLast);
  const T* src = in.data_ptr<T>();
  T* dst = out.data_ptr<T>();

  // Per (image, chunk) and channel: sum and sum of squares, in double. [N, chunks, C, 2]
  const int64_t chunk = (pixels + kChunks - 1) / kChunks;
  std::vector<double> partial(size_t(n * kChunks * c * 2), 0.0);
  at::parallel_for(0, n * kChunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> s(c), q(c);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t img = item / kChunks, p0 = (item % kChunks) * chunk,
                    p1 = std::min(pixels, p0 + chunk);
      double* acc = partial.data() + item * c * 2;
      // float sums over at most 64 pixels at a time, then into double: fast and accurate.
      for (int64_t pb = p0; pb < p1; pb += 64) {
        std::fill(s.begin(), s.end(), 0.0f);
        std::fill(q.begin(), q.end(), 0.0f);
        for (int64_t p = pb; p < std::min(p1, pb + 64); ++p) {
          const T* row = src + (img * pixels + p) * c;
          for (int64_t ch = 0; ch < c; ++ch) {
            const float v = float(row[ch]);
            s[ch] += v;
            q[ch] += v * v;
          }
        }
        for (int64_t ch = 0; ch < c; ++ch) {
          acc[2 * ch] += s[ch];
          acc[2 * ch + 1] += q[ch];
        }
      }
    }
  });
  // Per channel scale and shift: y = x·a + b with a = rstd·w, b = bias − mean·a. [N, C]
  std::vector<float> scale(size_t(n * c)), shift(size_t(n * c));
  const at::Tensor wf = weight.defined() ? weight.to(at::kFloat).contiguous() : at::Tensor();
  const at::Tensor bf = bias.defined() ? bias.to(at::kFloat).contiguous() : at::Tensor();
  const float* w = wf.defined() ? wf.data_ptr<float>() : nullptr;
  const float* b = bf.defined() ? bf.data_ptr<float>() : nullptr;
  const double count = double(pixels * per_group);
  for (int64_t img = 0; img < n; ++img) {
    for (int64_t g = 0; g < groups; ++g) {
      double sum = 0, sq = 0;
      for (int64_t k = 0; k < kChunks; ++k)
        for (int64_t ch = g * per_group; ch < (g + 1) * per_group; ++ch) {
          sum += partial[size_t(((img * kChunks + k) * c + ch) * 2)];
          sq += partial[size_t(((img * kChunks + k) * c + ch) * 2 + 1)];
        }
      const double mean = sum / count, var = std::max(0.0, sq / count - mean * mean);
      const double rstd = 1.0 / std::sqrt(var + eps);
      for (int64_t ch = g * per_group; ch < (g + 1) * per_group; ++ch) {
        const double a = rstd * (w ? w[ch] : 1.0);
        scale[size_t(img * c + ch)] = float(a);
        shift[size_t(img * c + ch)] = float((b ? b[ch] : 0.0) - mean * a);
      }
    }
  }
  if constexpr (std::is_same_v<T, float>) {
    at::parallel_for(0, n * pixels, 256, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {
        const float* a = scale.data() + (row / pixels) * c;
        const float* sh = shift.data() + (row / pixels) * c;
        const float* xi = src + row * c;
        float* yo = dst + row * c;
        for (int64_t ch = 0; ch < c; ++ch) yo[ch] = xi[ch] * a[ch] + sh[ch];
      }
    });
    if (silu) at::silu_(out);  // torch's vectorised exp; element-wise, so thread-count independent
  } else {
    // bf16: torch's bf16 SiLU has no fast path here (a VAE decode spent 0.48 s in it), so each
    // chunk of rows is normalised into an fp32 scratch, SiLU runs there with torch's vectorised
    // fp32 kernel, and the result is rounded to bf16 once. Chunks are a fixed grid of rows, so
    // the same elements always share a vector: the same bits for any thread count.
    // ~64K values per chunk: few torch calls, and the scratch (256 KB) stays in cache.
    const int64_t kRows = std::max<int64_t>(1, 65536 / c);
    const int64_t rows = n * pixels, chunks = (rows + kRows - 1) / kRows;
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> scratch(static_cast<size_t>(kRows * c));
      for (int64_t k = begin; k < end; ++k) {
        const int64_t r0 = k * kRows, r1 = std::min(rows, r0 + kRows);
        for (int64_t row = r0; row < r1; ++row) {
          const float* a = scale.data() + (row / pixels) * c;
          const float* sh = shift.data() + (row / pixels) * c;
          const T* xi = src + row * c;
          float* yo = scratch.data() + (row - r0) * c;
          for (int64_t ch = 0; ch < c; ++ch) yo[ch] = float(xi[ch]) * a[ch] + sh[ch];
        }
        const int64_t count = (r1 - r0) * c;
        if (silu) {
          auto view = at::from_blob(scratch.data(), {count}, at::kFloat);
          at::silu_(view);
        }
        T* yo = dst + r0 * c;
        for (int64_t i = 0; i < count; ++i) yo[i] = T(scratch[size_t(i)]);
      }
    });
  }
  return out;
}

}  // namespace

at::Tensor group_norm_nhwc(const at::Tensor& x, int64_t groups, const at::Tensor& weight,
                           const at::Tensor& bias, double eps, bool silu) {
  TORCH_CHECK(x.dim() == 4 && supported_dtype(x.scalar_type()) && x.device().is_cpu(),
              "group_norm_nhwc: fp32 or bf16 CPU [N, C, H, W]");
  return x.scalar_type() == at::kFloat
             ? group_norm_nhwc_typed<float>(x, groups, weight, bias, eps, silu)
             : group_norm_nhwc_typed<c10::BFloat16>(x, groups, weight, bias, eps, silu);
}

}  // namespace pictor::engine
