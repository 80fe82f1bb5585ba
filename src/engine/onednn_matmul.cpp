#include "engine/onednn_matmul.h"

#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <tuple>

namespace pictor::engine {

namespace {

using DataType = dnnl::memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

DataType data_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return DataType::f32;
    case at::kBFloat16:
      return DataType::bf16;
    default:
      throw std::invalid_argument("onednn_matmul: fp32 or bf16 tensors only, got " +
                                  std::string(c10::toString(t)));
  }
}

// One stream per thread: creating it is not free, and a denoising step makes ~10⁴ calls.
dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

dnnl::memory::desc describe(const MatrixRef& m) {
  return dnnl::memory::desc({m.rows, m.cols}, data_type(m.dtype), {m.row_stride, m.col_stride});
}

MatrixRef ref(const at::Tensor& t) {
  return {t.data_ptr(), t.size(0), t.size(1), t.stride(0), t.stride(1), t.scalar_type()};
}

// A primitive is JIT-compiled for one shape, layout and scale; a denoising step repeats a few
// dozen of them thousands of times, so they are built once.
using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int, int, int, float, bool>;

// Primitives run concurrently (attention blocks on every thread), so each call brings its own
// scratchpad: with the library's shared one, two threads in the same primitive overwrote each
// other's partial sums.
template <class Primitive>
struct Prepared {
  Primitive primitive;
  size_t scratch_bytes = 0;
};

dnnl::primitive_attr user_scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// This thread's scratchpad of at least `bytes`, as a oneDNN memory.
dnnl::memory thread_scratchpad(size_t bytes) {
  thread_local std::vector<uint8_t> buffer;
  if (buffer.size() < bytes + 64) buffer.resize(bytes + 64);
  auto* p = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(buffer.data()) + 63) & ~uintptr_t(63));
  return dnnl::memory(dnnl::memory::desc({int64_t(bytes)}, DataType::u8, dnnl::memory::format_tag::a),
                      cpu_engine(), p);
}

dnnl::memory::desc bias_desc(int64_t n) {
  return dnnl::memory::desc({1, n}, DataType::f32, dnnl::memory::format_tag::ab);
}

Prepared<dnnl::matmul> primitive_for(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, float alpha,
                                     bool has_bias) {
  const Key key{a.rows,       a.cols,       b.cols,       a.row_stride, a.col_stride,
                b.row_stride, b.col_stride, c.row_stride, c.col_stride, int(a.dtype),
                int(b.dtype), int(c.dtype), alpha,        has_bias};
  static std::mutex mutex;
  static std::map<Key, Prepared<dnnl::matmul>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) {
    dnnl::primitive_attr attr = user_scratchpad_attr();
    if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
    const auto desc =
        has_bias ? dnnl::matmul::desc(describe(a), describe(b), bias_desc(b.cols), describe(c))
                 : dnnl::matmul::desc(describe(a), describe(b), describe(c));
    const dnnl::matmul::primitive_desc pd(desc, attr, cpu_engine());
    it = cache.emplace(key, Prepared<dnnl::matmul>{dnnl::matmul(pd), pd.scratchpad_desc().get_size()}).first;
  }
  return it->second;
}

}  // namespace

void onednn_matmul(const at::Tensor& a, const at::Tensor& b, at::Tensor& c, float alpha) {
  TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && c.dim() == 2, "onednn_matmul: 2-D tensors");
  TORCH_CHECK(a.size(1) == b.size(0) && c.size(0) == a.size(0) && c.size(1) == b.size(1),
              "onednn_matmul: shapes ", a.sizes(), " x ", b.sizes(), " -> ", c.sizes());
  TORCH_CHECK(a.device().is_cpu() && b.device().is_cpu() && c.device().is_cpu(),
              "onednn_matmul: CPU tensors");
  onednn_matmul(ref(a), ref(b), ref(c), alpha, nullptr);
}

void onednn_matmul(const MatrixRef& a, const MatrixRef& b, const MatrixRef& c, float alpha,
                   const float* bias) {
  TORCH_CHECK(a.cols == b.rows && c.rows == a.rows && c.cols == b.cols,
              "onednn_matmul: shapes do not agree");
  const auto prepared = primitive_for(a, b, c, alpha, bias != nullptr);
  dnnl::stream& stream = thread_stream();
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, dnnl::memory(describe(a), cpu_engine(), a.data)},
                                             {DNNL_ARG_WEIGHTS, dnnl::memory(describe(b), cpu_engine(), b.data)},
                                             {DNNL_ARG_DST, dnnl::memory(describe(c), cpu_engine(), c.data)},
                                             {DNNL_ARG_SCRATCHPAD, thread_scratchpad(prepared.scratch_bytes)}};
  if (bias != nullptr)
    args.emplace(DNNL_ARG_BIAS, dnnl::memory(bias_desc(b.cols), cpu_engine(), const_cast<float*>(bias)));
  prepared.primitive.execute(stream, args);
  stream.wait();
}

void onednn_softmax_rows(float* data, int64_t rows, int64_t cols) {
  onednn_softmax_rows(data, data, at::kFloat, rows, cols);
}

void onednn_softmax_rows(const float* src, void* dst, at::ScalarType dst_dtype, int64_t rows,
                         int64_t cols) {
  const dnnl::memory::desc src_desc({rows, cols}, DataType::f32, dnnl::memory::format_tag::ab);
  const dnnl::memory::desc dst_desc({rows, cols}, data_type(dst_dtype),
                                    dnnl::memory::format_tag::ab);
  Prepared<dnnl::softmax_v2_forward> prepared;
  {
    static std::mutex mutex;
    static std::map<std::tuple<int64_t, int64_t, int>, Prepared<dnnl::softmax_v2_forward>> cache;
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_tuple(rows, cols, int(dst_dtype));
    auto it = cache.find(key);
    if (it == cache.end()) {
      const dnnl::softmax_v2_forward::primitive_desc pd(
          dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::softmax_accurate, src_desc, dst_desc, 1),
          user_scratchpad_attr(), cpu_engine());
      it = cache.emplace(key, Prepared<dnnl::softmax_v2_forward>{dnnl::softmax_v2_forward(pd),
                                                                  pd.scratchpad_desc().get_size()})
               .first;
    }
    prepared = it->second;
  }
  dnnl::stream& stream = thread_stream();
  dnnl::memory src_mem(src_desc, cpu_engine(), const_cast<float*>(src));
  dnnl::memory dst_mem(dst_desc, cpu_engine(), dst);
  prepared.primitive.execute(stream, {{DNNL_ARG_SRC, src_mem},
                                      {DNNL_ARG_DST, dst_mem},
                                      {DNNL_ARG_SCRATCHPAD, thread_scratchpad(prepared.scratch_bytes)}});
  stream.wait();
}

}  // namespace pictor::engine
