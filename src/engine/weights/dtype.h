#pragma once
// Element types of safetensors files and the scalar conversions that loaders need.
// Torch-free on purpose: the reader and writer are used by tools that do not link libtorch.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace pictor::weights {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

// Bytes per element (kBool is one byte, as in the safetensors format).
size_t dtype_size(DType dtype);
// The safetensors spelling: "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL".
const char* dtype_name(DType dtype);
// Inverse of dtype_name; invalid_argument naming the supported values otherwise.
Result<DType> parse_dtype(std::string_view name);

// IEEE binary16 -> binary32; exact for every input (subnormals, infinities, NaN payloads kept).
float f16_to_f32(uint16_t bits);
// bfloat16 -> binary32; exact (bf16 is the top half of an f32).
float bf16_to_f32(uint16_t bits);
// binary32 -> bfloat16, round to nearest even; NaN stays NaN (quiet), infinities stay infinite.
uint16_t f32_to_bf16(float value);
// binary32 -> IEEE binary16, round to nearest even; overflow gives +-inf, tiny values become
// subnormals or signed zero, NaN stays NaN (quiet).
uint16_t f32_to_f16(float value);

}  // namespace pictor::weights
