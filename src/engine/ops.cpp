#include "engine/ops.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "engine/onednn_matmul.h"

namespace pictor::engine {

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& key_padding, const at::Tensor& score_bias) {
  const double scale = 1.0 / std::sqrt(double(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;  // [B, H, Lq, Lk]
  if (score_bias.defined()) scores = scores + score_bias.to(scores.dtype()).unsqueeze(0);
  if (key_padding.defined()) {
    // An additive bias is much cheaper than masked_fill's broadcast on CPU.
    scores = scores +
             torch::zeros({key_padding.size(0), 1, 1, key_padding.size(1)}, scores.options())
                 .masked_fill_(key_padding.view({key_padding.size(0), 1, 1, key_padding.size(1)}),
                               -std::numeric_limits<float>::infinity());
  }
  return torch::matmul(torch::softmax(scores, -1), v);
}

at::Tensor linear_in_row_blocks(const at::Tensor& x, const at::Tensor& weight,
                                const at::Tensor& bias) {
  constexpr int64_t kRows = 64, kWholeRows = 1024;
  const int64_t in = x.size(-1), out_features = weight.size(0);
  auto rows = x.reshape({-1, in}).contiguous();
  const int64_t m = rows.size(0);
  auto out = torch::empty({m, out_features}, rows.options());
  auto wt = weight.t();
  const int64_t blocks = (m + kRows - 1) / kRows;
  // fp32 or bf16 (the same for input and weights) through oneDNN (onednn_matmul.h: OpenBLAS is
  // the slow path for fp32 here, and torch's bf16 addmm re-checks and re-wraps every block).
  const bool use_onednn = rows.device().is_cpu() && rows.scalar_type() == weight.scalar_type() &&
                          (rows.scalar_type() == at::kFloat || rows.scalar_type() == at::kBFloat16);
  const at::Tensor bias32 =
      use_onednn && bias.defined() ? bias.to(at::kFloat).contiguous() : at::Tensor();
  const auto dtype = rows.scalar_type();
  const int64_t elem = int64_t(rows.element_size());
  auto* src_base = static_cast<char*>(rows.data_ptr());
  auto* dst_base = static_cast<char*>(out.data_ptr());
  if (use_onednn && m >= kWholeRows) {
    // Many rows (the UNet's 32² and 64² levels): one product over all of them, 5–10 % faster UNet
    // steps than 64-row blocks. The cross-process ThreadCount test checks that 1024- and
    // 4096-row products keep their bits in 1- and 2-thread processes (fp32 and bf16).
    const MatrixRef src{src_base, m, in, rows.stride(0), 1, dtype};
    const MatrixRef wts{wt.data_ptr(), in, out_features, wt.stride(0), wt.stride(1), dtype};
    const MatrixRef dst{dst_base, m, out_features, out_features, 1, dtype};
    onednn_matmul(src, wts, dst, 1.0f, bias32.defined() ? bias32.data_ptr<float>() : nullptr);
    auto shape = x.sizes().vec();
    shape.back() = out_features;
    return out.view(shape);
  }
  // Fewer rows: fixed 64-row blocks, so every call has the same shape whatever the thread count
  // (with few rows oneDNN may split the reduction by thread count: a 77×1280 fp32 product cut into
  // column tiles did). One block
  // after another, each on all threads: a block per thread (single-threaded calls in a parallel
  // region) ran 266–273 GFLOP/s bf16 against 342–363 (pictor-kernels, linear_rows64) and made the
  // text encoder 0.17 → 0.23 s.
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t r0 = b * kRows, r1 = std::min(m, r0 + kRows);
    if (use_onednn) {
      // Raw references (tensor views per block cost more than a small block's product), the
      // bias fused into the product's fp32 epilogue.
      const MatrixRef src{src_base + r0 * rows.stride(0) * elem, r1 - r0, in, rows.stride(0), 1,
                          dtype};
      const MatrixRef wts{wt.data_ptr(), in, out_features, wt.stride(0), wt.stride(1), dtype};
      const MatrixRef dst{dst_base + r0 * out_features * elem, r1 - r0, out_features,
                          out_features, 1, dtype};
      onednn_matmul(src, wts, dst, 1.0f, bias32.defined() ? bias32.data_ptr<float>() : nullptr);
      continue;
    }
    auto dst = out.slice(0, r0, r1);
    if (bias.defined()) {
      torch::addmm_out(dst, bias, rows.slice(0, r0, r1), wt);
    } else {
      torch::mm_out(dst, rows.slice(0, r0, r1), wt);
    }
  }
  auto shape = x.sizes().vec();
  shape.back() = out_features;
  return out.view(shape);
}

bool upsample_nearest2x_nhwc_applies(const at::Tensor& x) {
  return !at::GradMode::is_enabled() && x.device().is_cpu() && x.dim() == 4 &&
         x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous();
}

at::Tensor upsample_nearest2x_nhwc(const at::Tensor& x) {
  TORCH_CHECK(upsample_nearest2x_nhwc_applies(x), "upsample_nearest2x_nhwc: channels-last CPU [N, C, H, W]");
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  auto out = at::empty({n, c, 2 * h, 2 * w}, x.options().memory_format(at::MemoryFormat::ChannelsLast));
  const size_t pixel = size_t(c) * x.element_size();  // bytes per pixel
  const auto* src = static_cast<const char*>(x.data_ptr());
  auto* dst = static_cast<char*>(out.data_ptr());
  at::parallel_for(0, n * h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {  // row = image · H + y
      const char* in = src + row * w * pixel;
      char* out0 = dst + 2 * row * (2 * w) * pixel;
      for (int64_t xi = 0; xi < w; ++xi) {
        std::memcpy(out0 + (2 * xi) * pixel, in + xi * pixel, pixel);
        std::memcpy(out0 + (2 * xi + 1) * pixel, in + xi * pixel, pixel);
      }
      std::memcpy(out0 + 2 * w * pixel, out0, 2 * w * pixel);  // the second output row
    }
  });
  return out;
}

at::Tensor upsample_nearest2x(const at::Tensor& x) {
  if (upsample_nearest2x_nhwc_applies(x)) return upsample_nearest2x_nhwc(x);
  const std::vector<int64_t> size{2 * x.size(2), 2 * x.size(3)};
  if (x.scalar_type() == at::kBFloat16)
    return at::upsample_nearest2d(x.to(at::kFloat), size).to(at::kBFloat16);
  return at::upsample_nearest2d(x, size);
}

at::Tensor layer_norm_bf16(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                           double eps) {
  TORCH_CHECK(x.scalar_type() == at::kBFloat16 && x.device().is_cpu() && x.dim() >= 1,
              "layer_norm_bf16: bf16 CPU [..., D]");
  const int64_t d = x.size(-1);
  const auto in = x.contiguous();
  auto out = at::empty_like(in);
  const at::Tensor wf = weight.defined() ? weight.to(at::kFloat).contiguous() : at::Tensor();
  const at::Tensor bf = bias.defined() ? bias.to(at::kFloat).contiguous() : at::Tensor();
  const float* w = wf.defined() ? wf.data_ptr<float>() : nullptr;
  const float* b = bf.defined() ? bf.data_ptr<float>() : nullptr;
  const auto* src = in.data_ptr<c10::BFloat16>();
  auto* dst = out.data_ptr<c10::BFloat16>();
  at::parallel_for(0, in.numel() / std::max<int64_t>(d, 1), 16, [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(d));
    for (int64_t r = begin; r < end; ++r) {
      float sum = 0;
      for (int64_t i = 0; i < d; ++i) sum += row[size_t(i)] = float(src[r * d + i]);
      const float mean = sum / float(d);
      float sq = 0;
      for (int64_t i = 0; i < d; ++i) {
        const float c = row[size_t(i)] - mean;
        sq += c * c;
      }
      const float rstd = 1.0f / std::sqrt(sq / float(d) + float(eps));
      for (int64_t i = 0; i < d; ++i) {
        const float y = (row[size_t(i)] - mean) * rstd;
        dst[r * d + i] = c10::BFloat16((w ? w[i] : 1.0f) * y + (b ? b[i] : 0.0f));
      }
    }
  });
  return out;
}

at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  auto freqs = torch::exp(-std::log(max_period) *
                          torch::arange(half, t.options().dtype(torch::kFloat)) / double(half));
  // Scale t∈[0,1] up so the low frequencies still vary across the range.
  auto args = (t.to(torch::kFloat) * 1000.0).unsqueeze(1) * freqs.unsqueeze(0);  // [N, half]
  return torch::cat({torch::cos(args), torch::sin(args)}, 1).to(t.dtype());
}

}  // namespace pictor::engine
