#pragma once
// Device and dtype policy (engine-internal). CUDA when libtorch was built with it and a GPU is
// present; on CPU bf16 only where the processor has native bf16 dot products (AVX512_BF16/AMX),
// fp32 otherwise. Callers may force a dtype ("fp32" / "bf16").
#include <string>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace pictor::engine {

struct ComputePolicy {
  c10::Device device = c10::Device(c10::kCPU);
  c10::ScalarType dtype = c10::kFloat;  // compute dtype for weights/activations
  std::string describe() const;         // "cpu/fp32"
};

bool cpu_has_native_bf16();
// AVX-512 F/BW/VL/DQ and AVX512_BF16 (VDPBF16PS): what the engine's hand-written kernels need
// (winograd_conv.h, softmax_bf16.h); cached. Compiled without AVX-512 flags, so safe on any x86-64.
bool cpu_has_avx512_bf16();
// `requested`: "auto", "fp32" or "bf16". For a model whose measured fp32 path is already the
// fastest on this CPU (small convs via oneDNN), callers pass "fp32".
ComputePolicy choose_policy(const std::string& requested);
// Also installs the caching CPU allocator (engine/cpu_allocator.h): every engine entry point
// sets its threads first.
void set_threads(int threads);  // 0 = one per hardware thread

}  // namespace pictor::engine
