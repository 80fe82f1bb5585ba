// AVX-512 row softmax, fp32 in, bf16 out (see softmax_bf16.h).
#include "engine/softmax_bf16.h"

#include <immintrin.h>

// GCC 12 warns that its own _mm512_max_ps / _mm512_reduce_*_ps read an undefined vector.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace pictor::engine {

namespace {

// e^x for x ≤ 0 (x − row max): x = n·ln2 + r, |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial
// (relative error < 2e-7 there), times 2^n by VSCALEFPS (0 below −87: flushed, as softmax wants).
__m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);  // ln2 high part
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);     // ln2 low part
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

__mmask16 tail_mask(int64_t remaining) {
  return remaining >= 16 ? __mmask16(0xffff) : __mmask16((1u << remaining) - 1);
}

}  // namespace

void softmax_rows_fp32_to_bf16(float* scores, uint16_t* probs, int64_t rows, int64_t cols) {
  for (int64_t row = 0; row < rows; ++row) {
    float* x = scores + row * cols;
    uint16_t* y = probs + row * cols;
    __m512 vmax = _mm512_set1_ps(-__builtin_inff());
    for (int64_t c = 0; c < cols; c += 16)
      vmax = _mm512_max_ps(vmax, _mm512_mask_loadu_ps(vmax, tail_mask(cols - c), x + c));
    const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + c), max));
      vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(m, e));
      _mm512_mask_storeu_ps(x + c, m, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (int64_t c = 0; c < cols; c += 16) {
      const __mmask16 m = tail_mask(cols - c);
      const __m256i h = (__m256i)_mm512_cvtneps_pbh(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + c), inv));
      _mm256_mask_storeu_epi16(y + c, m, h);
    }
  }
}

}  // namespace pictor::engine
