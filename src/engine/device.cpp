#include "engine/device.h"

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "engine/cpu_allocator.h"

namespace pictor::engine {

std::string ComputePolicy::describe() const {
  return std::string(device.is_cuda() ? "cuda" : "cpu") + "/" +
         (dtype == c10::kBFloat16 ? "bf16"
          : dtype == c10::kHalf   ? "fp16"
                                  : "fp32");
}

bool cpu_has_native_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find("avx512_bf16") != std::string::npos ||
             line.find("amx_bf16") != std::string::npos;
  }
  return false;
}

bool cpu_has_avx512_bf16() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512bf16");
  return ok;
}

ComputePolicy choose_policy(const std::string& requested) {
  ComputePolicy p;
  if (torch::cuda::is_available()) p.device = c10::Device(c10::kCUDA, 0);
  if (requested == "bf16")
    p.dtype = c10::kBFloat16;
  else if (requested == "fp32")
    p.dtype = c10::kFloat;
  else
    p.dtype = (p.device.is_cuda() || cpu_has_native_bf16()) ? c10::kBFloat16 : c10::kFloat;
  return p;
}

void set_threads(int threads) {
  install_caching_cpu_allocator();
  // Softmax tails and tiny gradients produce denormal floats, which x86 handles ~100x slower;
  // they carry nothing an 8-bit image can show, so flush them to zero.
  at::globalContext().setFlushDenormal(true);
  // libtorch parallelises with its own OpenMP pool; OpenBLAS's separate pthread pool then fights
  // it for the same cores (measured: a pictor-mini step 3.4x slower). One BLAS thread per caller.
  // Set libtorch's count explicitly, before touching OpenBLAS: left to its lazy default, it came
  // up as 1 after the OpenBLAS call (measured: training at 12 instead of 21 samples/s).
  torch::set_num_threads(threads > 0 ? threads
                                     : int(std::max(1u, std::thread::hardware_concurrency())));
  using SetBlasThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    fn(1);
}

}  // namespace pictor::engine
