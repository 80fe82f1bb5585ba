#include "engine/blocked_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

#include "engine/onednn_matmul.h"

namespace pictor::engine {

namespace {

constexpr int64_t kQueryBlock = 64;

bool onednn_dtype(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16;
}

}  // namespace

at::Tensor blocked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const double scale = 1.0 / std::sqrt(double(q.size(-1)));
  if (!q.device().is_cpu() || !onednn_dtype(q) || !onednn_dtype(k) || !onednn_dtype(v)) {
    auto scores = at::matmul(q.to(at::kFloat), k.to(at::kFloat).transpose(-2, -1)) * scale;
    return at::matmul(at::softmax(scores, -1).to(v.scalar_type()), v);
  }
  const int64_t batch = q.size(0), heads = q.size(1), lq = q.size(2), lk = k.size(2),
                dv = v.size(3);
  // Contiguous fp32 copies of the inputs: oneDNN's jit gemm, reading per-head strided views in
  // place, gave different bits with 1 and 2 threads (fast_kernels_test:
  // SameBitsForOneAndTwoThreads).
  const auto qf = q.to(at::kFloat).contiguous(), kf = k.to(at::kFloat).contiguous(),
             vf = v.to(at::kFloat).contiguous();
  // [B, Lq, H, D] memory, returned as a [B, H, Lq, D] view: merging heads afterwards is free.
  auto out = at::empty({batch, lq, heads, dv}, qf.options());
  const int64_t bh = batch * heads, blocks = (lq + kQueryBlock - 1) / kQueryBlock;
  // Grain 1 and at least two items: always a parallel region, so each oneDNN call inside runs
  // on its own thread.
  float* qp = qf.data_ptr<float>();
  float* kp = kf.data_ptr<float>();
  float* vp = vf.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t dim = q.size(3);
  at::parallel_for(0, std::max<int64_t>(bh * blocks, 2), 1, [&](int64_t begin, int64_t end) {
    auto scores = at::empty({kQueryBlock, lk}, qf.options());  // this thread's scratch
    for (int64_t i = begin; i < std::min(end, bh * blocks); ++i) {
      // Raw matrix references: tensor views here cost ~10 µs of bookkeeping per block.
      const int64_t head = i / blocks, b = head / heads, h = head % heads;
      const int64_t r0 = (i % blocks) * kQueryBlock, rows = std::min(lq, r0 + kQueryBlock) - r0;
      const MatrixRef s{scores.data_ptr(), rows, lk, lk, 1, at::kFloat};               // [rows, Lk]
      const MatrixRef qm{qp + (head * lq + r0) * dim, rows, dim, dim, 1, at::kFloat};  // [rows, D]
      const MatrixRef kt{kp + head * lk * dim, dim, lk, 1, dim, at::kFloat};           // [D, Lk]
      const MatrixRef vm{vp + head * lk * dv, lk, dv, dv, 1, at::kFloat};              // [Lk, D]
      const MatrixRef om{
          op + ((b * lq + r0) * heads + h) * dv, rows, dv, heads * dv, 1, at::kFloat};  // [rows, D]
      onednn_matmul(qm, kt, s, float(scale));
      onednn_softmax_rows(scores.data_ptr<float>(), rows, lk);  // in place
      onednn_matmul(s, vm, om);
    }
  });
  return out.permute({0, 2, 1, 3}).to(v.scalar_type());
}

}  // namespace pictor::engine
