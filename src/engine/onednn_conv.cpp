#include "engine/onednn_conv.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/device.h"
#include "engine/winograd_conv.h"

namespace pictor::engine {

namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

using Tag = dnnl::memory::format_tag;
using DataType = dnnl::memory::data_type;

}  // namespace

// One input shape's primitive and the weights packed for it (shapes usually share one packing).
struct PackedConv2d::Plan {
  dnnl::convolution_forward conv;
  dnnl::memory weights;
  dnnl::memory::desc src, dst;
  int64_t out_h = 0, out_w = 0;
};

bool packed_conv_available() {
  static const bool available = [] {
    try {
      (void)cpu_engine();
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return available;
}

constexpr int64_t kWinogradMinTiles = 64;

namespace {

std::atomic<bool>& winograd_switch() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("PICTOR_WINOGRAD");
    return !(v && std::strcmp(v, "0") == 0);
  }()};
  return on;
}

}  // namespace

bool winograd_enabled() { return cpu_has_avx512_bf16() && winograd_switch().load(); }

void set_winograd_enabled(bool on) { winograd_switch().store(on); }

PackedConv2d::PackedConv2d(const at::Tensor& weight, const at::Tensor& bias, int64_t stride, int64_t padding,
                           at::ScalarType compute)
    : weight_(weight.detach().to(compute).contiguous()),
      bias_(bias.defined() ? bias.detach().to(at::kFloat).contiguous() : at::zeros({weight.size(0)}, at::kFloat)),
      stride_(stride),
      padding_(padding),
      compute_(compute) {
  TORCH_CHECK(compute == at::kFloat || compute == at::kBFloat16, "PackedConv2d: fp32 or bf16 compute");
  winograd_applies_ = compute == at::kBFloat16 && weight_.size(2) == 3 && weight_.size(3) == 3 && stride == 1 &&
                      padding == 1 && winograd::supports(weight_.size(1), weight_.size(0)) && cpu_has_avx512_bf16();
}

// From 64 tiles (16×16 pixels) on: at 1280 channels Winograd took 8.5–9.4 ms at 16×16 against
// the direct kernel's 15.0 ms (2 threads, Zen 4). At 8×8 it gained less (2.7–2.9 vs 3.4 ms, ~10 ms
// per UNet step) than its transformed weights cost in memory (16/9 of the weights: ~1 GB for the
// UNet's 8×8 level), so it stops there.
bool PackedConv2d::use_winograd(int64_t n, int64_t h, int64_t w) {
  if (!winograd_applies_ || !winograd_enabled() || n * ((h + 1) / 2) * ((w + 1) / 2) < kWinogradMinTiles) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!winograd_) {
    const at::Tensor weight = weight_.to(at::kFloat).contiguous();
    winograd_ = std::make_shared<winograd::PackedWeights>(winograd::pack_weights(
        weight.data_ptr<float>(), bias_.data_ptr<float>(), weight_.size(0), weight_.size(1)));
  }
  return true;
}

PackedConv2d::~PackedConv2d() = default;

at::Tensor PackedConv2d::forward(const at::Tensor& x, at::ScalarType out_dtype) {
  const auto is_float = [](at::ScalarType t) { return t == at::kFloat || t == at::kBFloat16; };
  TORCH_CHECK(x.dim() == 4 && x.size(1) == weight_.size(1) && is_float(x.scalar_type()) && is_float(out_dtype) &&
                  x.device().is_cpu(),
              "PackedConv2d: expected fp32/bf16 CPU [N, ", weight_.size(1), ", H, W], got ", x.sizes(), " ",
              x.scalar_type());
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  if (use_winograd(n, h, w)) {
    // fp32 or bf16 activations are read as they are: the input transform rounds to bf16.
    const auto src = x.contiguous(at::MemoryFormat::ChannelsLast);
    auto out = at::empty({n, weight_.size(0), h, w}, x.options().dtype(out_dtype).memory_format(at::MemoryFormat::ChannelsLast));
    winograd::conv3x3(*winograd_, src.data_ptr(), src.scalar_type() == at::kBFloat16, n, h, w, out.data_ptr(),
                      out_dtype == at::kBFloat16, [](int64_t count, const std::function<void(int64_t, int64_t)>& body) {
                        at::parallel_for(0, count, 1, body);
                      });
    return out;
  }
  const auto compute_type = compute_ == at::kFloat ? DataType::f32 : DataType::bf16;
  const auto out_type = out_dtype == at::kFloat ? DataType::f32 : DataType::bf16;
  std::shared_ptr<Plan> plan;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = plans_[{n, h, w, int(out_dtype)}];
    if (!slot) {
      auto p = std::make_shared<Plan>();
      const int64_t o = weight_.size(0), c = weight_.size(1), kh = weight_.size(2), kw = weight_.size(3);
      p->out_h = (h + 2 * padding_ - kh) / stride_ + 1;
      p->out_w = (w + 2 * padding_ - kw) / stride_ + 1;
      p->src = dnnl::memory::desc({n, c, h, w}, compute_type, Tag::nhwc);
      p->dst = dnnl::memory::desc({n, o, p->out_h, p->out_w}, out_type, Tag::nhwc);
      const dnnl::memory::desc weights_any({o, c, kh, kw}, compute_type, Tag::any);
      const dnnl::memory::desc bias_desc({o}, DataType::f32, Tag::x);
      const dnnl::convolution_forward::primitive_desc pd(
          dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                          p->src, weights_any, bias_desc, p->dst, {stride_, stride_}, {padding_, padding_},
                                          {padding_, padding_}),
          cpu_engine());
      p->conv = dnnl::convolution_forward(pd);
      // Reuse a packing another shape already made in the same layout.
      for (const auto& [key, other] : plans_)
        if (other && other->weights.get_desc() == pd.weights_desc()) p->weights = other->weights;
      if (!p->weights) {
        dnnl::stream stream(cpu_engine());
        dnnl::memory plain({{o, c, kh, kw}, compute_type, Tag::oihw}, cpu_engine(), weight_.data_ptr());
        p->weights = dnnl::memory(pd.weights_desc(), cpu_engine());
        dnnl::reorder(plain, p->weights).execute(stream, plain, p->weights);
        stream.wait();
      }
      slot = p;
    }
    plan = slot;
  }
  // One pass at most: the cast and the layout change together.
  auto src = x.to(compute_, /*non_blocking=*/false, /*copy=*/false, at::MemoryFormat::ChannelsLast);
  auto out = at::empty({n, weight_.size(0), plan->out_h, plan->out_w},
                       x.options().dtype(out_dtype).memory_format(at::MemoryFormat::ChannelsLast));
  dnnl::stream stream(cpu_engine());
  dnnl::memory src_mem(plan->src, cpu_engine(), src.data_ptr());
  dnnl::memory dst_mem(plan->dst, cpu_engine(), out.data_ptr());
  dnnl::memory bias_mem({{weight_.size(0)}, DataType::f32, Tag::x}, cpu_engine(), bias_.data_ptr());
  plan->conv.execute(stream, {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, plan->weights}, {DNNL_ARG_BIAS, bias_mem},
                              {DNNL_ARG_DST, dst_mem}});
  stream.wait();
  return out;
}

at::Tensor PackedConvSlot::forward(const at::Tensor& weight, const at::Tensor& bias, int64_t stride, int64_t padding,
                                   const at::Tensor& x) {
  const auto w_type = weight.scalar_type(), x_type = x.scalar_type();
  const bool dtypes_apply = (w_type == at::kFloat && x_type == at::kFloat) ||
                            (w_type == at::kBFloat16 && (x_type == at::kFloat || x_type == at::kBFloat16));
  if (at::GradMode::is_enabled() || !x.device().is_cpu() || !dtypes_apply || !packed_conv_available()) return {};
  std::shared_ptr<PackedConv2d> conv;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto version = [](const at::Tensor& t) -> uint32_t {
      return !t.defined() || t.is_inference() ? 0 : t._version();
    };
    const void* bias_ptr = bias.defined() ? bias.data_ptr() : nullptr;
    if (!conv_ || weight_ptr_ != weight.data_ptr() || weight_version_ != version(weight) || bias_ptr_ != bias_ptr ||
        bias_version_ != version(bias)) {
      conv_ = std::make_shared<PackedConv2d>(weight, bias, stride, padding, w_type);
      weight_ptr_ = weight.data_ptr();
      weight_version_ = version(weight);
      bias_ptr_ = bias_ptr;
      bias_version_ = version(bias);
    }
    conv = conv_;
  }
  return conv->forward(x, x_type);
}

}  // namespace pictor::engine
