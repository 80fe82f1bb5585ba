#include "engine/ops.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>

#include "engine/onednn_matmul.h"

namespace pictor::engine {

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& key_padding) {
  const double scale = 1.0 / std::sqrt(double(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;  // [B, H, Lq, Lk]
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
  constexpr int64_t kRows = 64;
  const int64_t in = x.size(-1), out_features = weight.size(0);
  auto rows = x.reshape({-1, in}).contiguous();
  const int64_t m = rows.size(0);
  auto out = torch::empty({m, out_features}, rows.options());
  auto wt = weight.t();
  const int64_t blocks = (m + kRows - 1) / kRows;
  const bool fp32_onednn = rows.device().is_cpu() && rows.scalar_type() == at::kFloat &&
                           weight.scalar_type() == at::kFloat;
  const at::Tensor bias32 =
      fp32_onednn && bias.defined() ? bias.to(at::kFloat).contiguous() : at::Tensor();
  // At least two work items, so that with several threads this is always a parallel region and
  // each GEMM inside runs on one thread (a single block run inline would get all threads).
  at::parallel_for(0, std::max<int64_t>(blocks, 2), 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < std::min(end, blocks); ++b) {
      const int64_t r0 = b * kRows, r1 = std::min(m, r0 + kRows);
      if (fp32_onednn) {
        // fp32 through oneDNN (onednn_matmul.h: OpenBLAS is the slow path for fp32 here), on raw
        // references (tensor views per block cost more than a small block's product) with the
        // bias fused.
        const MatrixRef src{rows.data_ptr<float>() + r0 * rows.stride(0),
                            r1 - r0,
                            in,
                            rows.stride(0),
                            1,
                            at::kFloat};
        const MatrixRef wts{wt.data_ptr(), in,           out_features,
                            wt.stride(0),  wt.stride(1), at::kFloat};
        const MatrixRef dst{out.data_ptr<float>() + r0 * out_features,
                            r1 - r0,
                            out_features,
                            out_features,
                            1,
                            at::kFloat};
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
  });
  auto shape = x.sizes().vec();
  shape.back() = out_features;
  return out.view(shape);
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
