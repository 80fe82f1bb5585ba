#include "engine/weights/dtype.h"

#include <array>
#include <cstring>
#include <string>

namespace pictor::weights {
namespace {

struct DTypeEntry {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr std::array<DTypeEntry, 10> kDTypes = {{
    {DType::kF32, "F32", 4},
    {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2},
    {DType::kF64, "F64", 8},
    {DType::kI64, "I64", 8},
    {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},
    {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
}};

const DTypeEntry& entry(DType dtype) {
  for (const DTypeEntry& e : kDTypes) {
    if (e.dtype == dtype) return e;
  }
  PICTOR_ASSERT(false && "unknown DType enumerator");
  return kDTypes[0];
}

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace

size_t dtype_size(DType dtype) { return entry(dtype).size; }

const char* dtype_name(DType dtype) { return entry(dtype).name; }

Result<DType> parse_dtype(std::string_view name) {
  for (const DTypeEntry& e : kDTypes) {
    if (name == e.name) return e.dtype;
  }
  std::string allowed;
  for (const DTypeEntry& e : kDTypes) {
    if (!allowed.empty()) allowed += ", ";
    allowed += e.name;
  }
  return invalid_argument("unknown dtype '" + std::string(name) + "' (supported: " + allowed + ")");
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return bits_float(sign | 0x7F800000u | (mant << 13));  // inf / NaN
  if (exp == 0) {
    if (mant == 0) return bits_float(sign);  // signed zero
    // Subnormal: shift the mantissa up until its implicit bit appears, lowering the exponent.
    uint32_t e = 127 - 15 + 1;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    return bits_float(sign | (e << 23) | ((mant & 0x3FFu) << 13));
  }
  return bits_float(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

float bf16_to_f32(uint16_t bits) { return bits_float(uint32_t(bits) << 16); }

uint16_t f32_to_bf16(float value) {
  uint32_t x = float_bits(value);
  // NaN: truncating could clear every mantissa bit and turn it into infinity; force it quiet.
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((x >> 16) | 0x40u);
  x += 0x7FFFu + ((x >> 16) & 1u);  // round to nearest, ties to even
  return uint16_t(x >> 16);
}

uint16_t f32_to_f16(float value) {
  const uint32_t x = float_bits(value);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) {
    if (abs > 0x7F800000u) return uint16_t(sign | 0x7E00u | ((abs >> 13) & 0x3FFu));  // quiet NaN
    return uint16_t(sign | 0x7C00u);
  }
  // 65520 is halfway between 65504 (max f16) and 2^16; ties go to even, i.e. to infinity.
  if (abs >= 0x477FF000u) return uint16_t(sign | 0x7C00u);
  const uint32_t f32_exp = abs >> 23;
  if (abs >= 0x38800000u) {  // >= 2^-14: normal f16
    const uint32_t mant = abs & 0x7FFFFFu;
    uint32_t h = ((f32_exp - 127 + 15) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
    return uint16_t(sign | h);
  }
  // Subnormal f16: value = significand * 2^(f32_exp - 150), so in units of the smallest f16
  // subnormal (2^-24) it is the 24-bit significand shifted right by (126 - f32_exp).
  const int shift = 126 - int(f32_exp);
  if (shift > 24) return sign;  // below half the smallest subnormal: signed zero
  const uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
  uint32_t h = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (h & 1u))) ++h;
  return uint16_t(sign | h);
}

}  // namespace pictor::weights
