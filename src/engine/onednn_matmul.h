#pragma once
// Matrix products through oneDNN, called directly (libtorch 1.13 links the same libdnnl).
// Why not at::mm: on this project's CPUs fp32 at::mm goes to OpenBLAS, whose kernels are the
// slowest path here (an environment may pin them to SSE3-era cores), and bf16 at::mm can only
// write bf16. oneDNN runs fp32 and bf16 on AVX-512 (bf16 via VDPBF16PS) and writes fp32 from
// bf16 inputs, so attention scores keep fp32 precision. Also the row softmax that attention
// runs between its two products (same engine and per-thread stream).
#include <ATen/ATen.h>

namespace pictor::engine {

// c[M, N] = alpha · a[M, K] · b[K, N]. a, b, c: 2-D CPU tensors with any strides (a transposed
// view is free), each fp32 or bf16; c is written in place. Safe to call from several threads at
// once; inside an at::parallel_for region each call runs on the calling thread only.
void onednn_matmul(const at::Tensor& a, const at::Tensor& b, at::Tensor& c, float alpha = 1.0f);

// A 2-D fp32 or bf16 matrix in CPU memory: rows × cols, element (i, j) at data + i·row_stride +
// j·col_stride (in elements). For inner loops that would otherwise build thousands of tensor views.
struct MatrixRef {
  void* data;
  int64_t rows, cols, row_stride, col_stride;
  at::ScalarType dtype;
};
// c = alpha · a · b (+ bias[j] on every row: fp32, b.cols values, or nullptr), as above, without
// shape checks beyond the dimensions agreeing. The bias is added in the product's epilogue, to the
// same fp32 sum a separate add would see: the same bits, one pass over c fewer.
void onednn_matmul(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, float alpha = 1.0f,
                   const float* bias = nullptr);

// In place: each row of data[rows, cols] (fp32, contiguous rows) becomes its softmax. oneDNN's
// AVX-512 kernel; a row's result does not depend on the thread count.
void onednn_softmax_rows(float* data, int64_t rows, int64_t cols);
// dst[rows, cols] (contiguous rows, fp32 or bf16) = the row softmax of src[rows, cols] (fp32):
// the cast to bf16 in the same pass.
void onednn_softmax_rows(const float* src, void* dst, at::ScalarType dst_dtype, int64_t rows,
                         int64_t cols);

}  // namespace pictor::engine
