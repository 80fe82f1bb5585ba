// The safetensors header parser: a downloaded weights file is untrusted until validated, so any
// bytes either open with every tensor inside the file or fail with a Status.
#include "engine/weights/safetensors.h"
#include "fuzz_check.h"

using namespace pictor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = weights::SafetensorsFile::from_bytes({data, size}, "fuzz.safetensors");
  if (!file.is_ok()) return 0;
  const uint8_t* end = data + size;
  for (const auto& t : (*file)->tensors()) {
    fuzz::check(t.data >= data + 8 + (*file)->header_size() && t.data + t.nbytes <= end,
                "tensor '" + t.name + "' lies outside the data");
    fuzz::check(uint64_t(t.numel()) * weights::dtype_size(t.dtype) == t.nbytes, "tensor '" + t.name + "' size");
    fuzz::check((*file)->find(t.name) == &t, "find('" + t.name + "')");
  }
  return 0;
}
