#include "engine/blocked_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "engine/device.h"
#include "engine/onednn_matmul.h"
#include "engine/softmax_bf16.h"

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
                dv = v.size(3), dim = q.size(3);
  // bf16 products when all three are bf16 (scores and softmax still fp32, the probabilities
  // rounded to bf16 for the second product, as torch's bf16 attention does); fp32 otherwise.
  const auto work = q.scalar_type() == at::kBFloat16 && k.scalar_type() == at::kBFloat16 &&
                            v.scalar_type() == at::kBFloat16
                        ? at::kBFloat16
                        : at::kFloat;
  // Contiguous copies of the inputs: oneDNN's jit gemm, reading per-head strided views in
  // place, gave different bits with 1 and 2 threads (fast_kernels_test:
  // SameBitsForOneAndTwoThreads).
  // bf16: v is copied transposed, [B, H, D, Lk], read as a column-major [Lk, D] matrix, and the
  // second product writes fp32 sums (rounded to bf16 below): only so does oneDNN take its brgemm
  // kernel; with row-major v or a bf16 destination it took the jit gemm, whose bf16 result
  // depended on the thread count. fp32 keeps row-major v (the fp32 jit gemm is thread-count free
  // and was slower on the transposed copy).
  const bool v_columns = work == at::kBFloat16;
  // bf16 probabilities from our AVX-512 softmax where the CPU has AVX-512 BF16 (oneDNN's took a
  // third of the attention's time; softmax_bf16.h). PICTOR_FAST_SOFTMAX=0: oneDNN's.
  static const bool fast_softmax_allowed = [] {
    const char* v = std::getenv("PICTOR_FAST_SOFTMAX");
    return !(v && std::string(v) == "0") && cpu_has_avx512_bf16();
  }();
  const bool fast_softmax = work == at::kBFloat16 && fast_softmax_allowed;
  const auto qc = q.to(work).contiguous(), kc = k.to(work).contiguous(),
             vc = v_columns ? v.to(work).transpose(2, 3).contiguous() : v.to(work).contiguous();
  // [B, Lq, H, D] memory, returned as a [B, H, Lq, D] view: merging heads afterwards is free.
  auto out = at::empty({batch, lq, heads, dv}, qc.options());
  const int64_t bh = batch * heads, blocks = (lq + kQueryBlock - 1) / kQueryBlock;
  const int64_t elem = int64_t(qc.element_size());
  const auto* qp = static_cast<const char*>(qc.data_ptr());
  const auto* kp = static_cast<const char*>(kc.data_ptr());
  const auto* vp = static_cast<const char*>(vc.data_ptr());
  auto* op = static_cast<char*>(out.data_ptr());
  const auto ptr = [elem](const char* base, int64_t offset) {
    return const_cast<char*>(base) + offset * elem;
  };
  // Grain 1 and at least two items: always a parallel region, so each oneDNN call inside runs
  // on its own thread.
  at::parallel_for(0, std::max<int64_t>(bh * blocks, 2), 1, [&](int64_t begin, int64_t end) {
    // This thread's scratch: fp32 scores, and (bf16) the probabilities in the work dtype.
    auto scores = at::empty({kQueryBlock, lk}, qc.options().dtype(at::kFloat));
    auto probs = work == at::kFloat ? scores : at::empty({kQueryBlock, lk}, qc.options());
    auto sums = work == at::kFloat ? at::Tensor()
                                   : at::empty({kQueryBlock, dv}, qc.options().dtype(at::kFloat));
    for (int64_t i = begin; i < std::min(end, bh * blocks); ++i) {
      // Raw matrix references: tensor views here cost ~10 µs of bookkeeping per block.
      const int64_t head = i / blocks, b = head / heads, h = head % heads;
      const int64_t r0 = (i % blocks) * kQueryBlock, rows = std::min(lq, r0 + kQueryBlock) - r0;
      const MatrixRef s{scores.data_ptr(), rows, lk, lk, 1, at::kFloat};           // [rows, Lk]
      const MatrixRef p{probs.data_ptr(), rows, lk, lk, 1, work};                  // [rows, Lk]
      const MatrixRef qm{ptr(qp, (head * lq + r0) * dim), rows, dim, dim, 1, work};  // [rows, D]
      const MatrixRef kt{ptr(kp, head * lk * dim), dim, lk, 1, dim, work};           // [D, Lk]
      const MatrixRef vm{ptr(vp, head * lk * dv), lk, dv, v_columns ? 1 : dv, v_columns ? lk : 1,
                         work};  // [Lk, D]
      const MatrixRef om{ptr(op, ((b * lq + r0) * heads + h) * dv), rows, dv, heads * dv, 1,
                         work};  // [rows, D]
      onednn_matmul(qm, kt, s, float(scale));
      if (fast_softmax)
        softmax_rows_fp32_to_bf16(scores.data_ptr<float>(), static_cast<uint16_t*>(probs.data_ptr()), rows, lk);
      else
        onednn_softmax_rows(scores.data_ptr<float>(), probs.data_ptr(), work, rows, lk);
      if (work == at::kFloat) {
        onednn_matmul(p, vm, om);
        continue;
      }
      onednn_matmul(p, vm, MatrixRef{sums.data_ptr(), rows, dv, dv, 1, at::kFloat});
      const float* acc = sums.data_ptr<float>();
      auto* dst = static_cast<c10::BFloat16*>(om.data);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = 0; j < dv; ++j) dst[r * heads * dv + j] = c10::BFloat16(acc[r * dv + j]);
    }
  });
  return out.permute({0, 2, 1, 3}).to(v.scalar_type());
}

}  // namespace pictor::engine
