// F(2×2, 3×3) Winograd convolution with AVX-512 BF16 products (see winograd_conv.h).
// Compiled with AVX-512 flags; callers check cpu_has_avx512_bf16() (engine/device.h) first.
#include "engine/winograd_conv.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace pictor::engine::winograd {

namespace {

constexpr int kPositions = 16;  // 4×4 transformed tile
constexpr int kRows = 6;        // product rows (tiles) per micro-kernel call: 6×64 outputs in 24 registers
constexpr int64_t kFewTiles = 192;  // up to this many tiles, one block (see conv3x3)

uint16_t to_bf16(float f) {  // round to nearest even (finite values)
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

// m[6][64] = v[6 rows at v_stride][2·pairs] · u[pairs][64][2], bf16 products, fp32 sums.
// (Vector casts, not memcpy: GCC 12 routes a memcpy'd __m512bh through the stack.)
void product_6x64(const uint16_t* v, int64_t v_stride, const uint16_t* u, int64_t pairs, float* m) {
  __m512 acc[kRows][4];
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int64_t p = 0; p < pairs; ++p) {
    const uint16_t* up = u + p * kPanel * 2;
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(up), b1 = (__m512bh)_mm512_loadu_si512(up + 32),
                   b2 = (__m512bh)_mm512_loadu_si512(up + 64), b3 = (__m512bh)_mm512_loadu_si512(up + 96);
#pragma GCC unroll 6
    for (int r = 0; r < kRows; ++r) {
      int32_t pair;
      std::memcpy(&pair, v + r * v_stride + 2 * p, 4);
      const __m512bh a = (__m512bh)_mm512_set1_epi32(pair);
      acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
      acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
      acc[r][2] = _mm512_dpbf16_ps(acc[r][2], a, b2);
      acc[r][3] = _mm512_dpbf16_ps(acc[r][3], a, b3);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < kRows; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) _mm512_storeu_ps(m + r * kPanel + j * 16, acc[r][j]);
}

struct Geometry {
  int64_t n, h, w, in, out;
  int64_t tiles_h, tiles_w, tiles;  // output tiles of 2×2 pixels
};

// Where a tile's 2×2 outputs are (computed once per block: 64-bit divisions are slow).
struct TilePlace {
  int64_t image, y0, x0;  // top-left output pixel
};

void place_tiles(const Geometry& g, int64_t first, int64_t count, TilePlace* places) {
  for (int64_t t = 0; t < count; ++t) {
    const int64_t tile = first + t, row = tile / g.tiles_w;
    places[t] = {row / g.tiles_h, 2 * (row % g.tiles_h), 2 * (tile % g.tiles_w)};
  }
}

// Channel order inside each group of 32 in the transformed input: the 16 even channels, then the
// 16 odd ones. A bf16 vector of 32 channels splits into those two fp32 halves with one AND and one
// shift, and two fp32 halves round back into it with one VCVTNE2PS2BF16. The packed weights use
// the same order (position_of_channel).
int64_t position_of_channel(int64_t c) {
  const int64_t local = c % 32;
  return c - local + (local % 2 == 0 ? local / 2 : 16 + local / 2);
}

// 32 channels at x[index..]: even channels in *even, odd ones in *odd (fp32).
void load32(const void* base, bool bf16, int64_t index, __m512* even, __m512* odd) {
  if (bf16) {
    const __m512i bits = _mm512_loadu_si512(static_cast<const uint16_t*>(base) + index);
    *even = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, bits, 16));  // maskz: GCC 12 warns on the plain form
    *odd = _mm512_castsi512_ps(_mm512_and_si512(bits, _mm512_set1_epi32(int32_t(0xffff0000u))));
    return;
  }
  const float* f = static_cast<const float*>(base) + index;
  const __m512 a = _mm512_loadu_ps(f), b = _mm512_loadu_ps(f + 16);
  const __m512i even_index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  *even = _mm512_permutex2var_ps(a, even_index, b);
  *odd = _mm512_permutex2var_ps(a, _mm512_add_epi32(even_index, _mm512_set1_epi32(1)), b);
}

// Stores even/odd halves as 32 bf16 in the order above.
void store_pair(uint16_t* dst, __m512 even, __m512 odd) {
  _mm512_storeu_si512(dst, (__m512i)_mm512_cvtne2ps_pbh(odd, even));
}

// v[16][block][in] bf16 = B^T d B of the 4×4 input patch of each of the first count tiles;
// rows past count are zero. Along a row of tiles the next patch shares two columns with this
// one, so their first pass (B^T down each column) is kept.
void transform_input(const Geometry& g, const void* x, bool x_bf16, const TilePlace* places, int64_t count,
                     int64_t block, uint16_t* v) {
  const __m512 zero = _mm512_setzero_ps();
  const int64_t step = block * g.in;  // next position in v
  for (int64_t t = count; t < block; ++t)
    for (int q = 0; q < kPositions; ++q) std::memset(v + q * step + t * g.in, 0, g.in * 2);
  for (int64_t ch = 0; ch < g.in; ch += 32) {
    __m512 s[4][4][2];  // B^T d: [row][column][even/odd]
    for (int64_t t = 0; t < count; ++t) {
      const int64_t image = places[t].image, y0 = places[t].y0 - 1, x0 = places[t].x0 - 1;
      const bool shares = t > 0 && places[t - 1].image == image && places[t - 1].y0 == places[t].y0 &&
                          places[t - 1].x0 + 2 == places[t].x0;
      for (int c = 0; c < 4; ++c) {
        if (shares && c < 2) {
          for (int r = 0; r < 4; ++r)
            for (int e = 0; e < 2; ++e) s[r][c][e] = s[r][c + 2][e];
          continue;
        }
        __m512 d[4][2];
        const int64_t xx = x0 + c;
        for (int r = 0; r < 4; ++r) {
          const int64_t y = y0 + r;
          if (y >= 0 && y < g.h && xx >= 0 && xx < g.w)
            load32(x, x_bf16, ((image * g.h + y) * g.w + xx) * g.in + ch, &d[r][0], &d[r][1]);
          else
            d[r][0] = d[r][1] = zero;
        }
        for (int e = 0; e < 2; ++e) {
          s[0][c][e] = _mm512_sub_ps(d[0][e], d[2][e]);
          s[1][c][e] = _mm512_add_ps(d[1][e], d[2][e]);
          s[2][c][e] = _mm512_sub_ps(d[2][e], d[1][e]);
          s[3][c][e] = _mm512_sub_ps(d[1][e], d[3][e]);
        }
      }
      uint16_t* dst = v + t * g.in + ch;
      for (int r = 0; r < 4; ++r) {  // (B^T d) B
        __m512 o[4][2];
        for (int e = 0; e < 2; ++e) {
          o[0][e] = _mm512_sub_ps(s[r][0][e], s[r][2][e]);
          o[1][e] = _mm512_add_ps(s[r][1][e], s[r][2][e]);
          o[2][e] = _mm512_sub_ps(s[r][2][e], s[r][1][e]);
          o[3][e] = _mm512_sub_ps(s[r][1][e], s[r][3][e]);
        }
        for (int c = 0; c < 4; ++c) store_pair(dst + (4 * r + c) * step, o[c][0], o[c][1]);
      }
    }
  }
}

// out[tile pixels][panel·64 .. +64] = A^T m A + bias for the first count tiles of the block;
// m: [16][block][64] fp32.
void transform_output(const Geometry& g, const float* m, const TilePlace* places, int64_t count, int64_t block,
                      int64_t panel, const float* bias, void* out, bool out_bf16) {
  for (int64_t t = 0; t < count; ++t) {
    const int64_t image = places[t].image, y0 = places[t].y0, x0 = places[t].x0;
    for (int half = 0; half < 2; ++half) {  // 32 channels each
      __m512 y[2][2][2];                    // [row][column][16 channels]
      for (int j = 0; j < 2; ++j) {
        const int64_t channel = half * 32 + j * 16;
        __m512 q[4][4];
        for (int r = 0; r < 4; ++r)
          for (int c = 0; c < 4; ++c) q[r][c] = _mm512_loadu_ps(m + ((4 * r + c) * block + t) * kPanel + channel);
        __m512 s[2][4];  // A^T q
        for (int c = 0; c < 4; ++c) {
          s[0][c] = _mm512_add_ps(_mm512_add_ps(q[0][c], q[1][c]), q[2][c]);
          s[1][c] = _mm512_sub_ps(_mm512_sub_ps(q[1][c], q[2][c]), q[3][c]);
        }
        const __m512 b = _mm512_loadu_ps(bias + panel * kPanel + channel);
        for (int r = 0; r < 2; ++r) {
          y[r][0][j] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s[r][0], s[r][1]), s[r][2]), b);
          y[r][1][j] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(s[r][1], s[r][2]), s[r][3]), b);
        }
      }
      for (int r = 0; r < 2 && y0 + r < g.h; ++r)
        for (int c = 0; c < 2 && x0 + c < g.w; ++c) {
          const int64_t index = ((image * g.h + y0 + r) * g.w + x0 + c) * g.out + panel * kPanel + half * 32;
          if (out_bf16) {
            _mm512_storeu_si512(static_cast<uint16_t*>(out) + index, (__m512i)_mm512_cvtne2ps_pbh(y[r][c][1], y[r][c][0]));
          } else {
            _mm512_storeu_ps(static_cast<float*>(out) + index, y[r][c][0]);
            _mm512_storeu_ps(static_cast<float*>(out) + index + 16, y[r][c][1]);
          }
        }
    }
  }
}

}  // namespace

bool supports(int64_t in_channels, int64_t out_channels) {
  return in_channels > 0 && in_channels % 32 == 0 && out_channels > 0 && out_channels % kPanel == 0;
}

PackedWeights pack_weights(const float* weight, const float* bias, int64_t out_channels, int64_t in_channels) {
  PackedWeights p;
  p.in_channels = in_channels;
  p.out_channels = out_channels;
  p.bias.assign(out_channels, 0.f);
  if (bias) std::copy(bias, bias + out_channels, p.bias.begin());
  const int64_t panels = out_channels / kPanel, pairs = in_channels / 2;
  p.u.assign(size_t(kPositions) * out_channels * in_channels, 0);
  for (int64_t k = 0; k < out_channels; ++k)
    for (int64_t c = 0; c < in_channels; ++c) {
      const float* g = weight + (k * in_channels + c) * 9;
      float gt[4][3];  // G g: [4][3]
      for (int col = 0; col < 3; ++col) {
        const float a = g[col], b = g[3 + col], d = g[6 + col];
        gt[0][col] = a;
        gt[1][col] = 0.5f * (a + b + d);
        gt[2][col] = 0.5f * (a - b + d);
        gt[3][col] = d;
      }
      for (int r = 0; r < 4; ++r) {
        const float a = gt[r][0], b = gt[r][1], d = gt[r][2];
        const float u[4] = {a, 0.5f * (a + b + d), 0.5f * (a - b + d), d};  // (G g) G^T
        for (int col = 0; col < 4; ++col) {
          const int64_t q = 4 * r + col;
          const int64_t position = position_of_channel(c);
          const int64_t index =
              (((q * panels + k / kPanel) * pairs + position / 2) * kPanel + k % kPanel) * 2 + position % 2;
          p.u[index] = to_bf16(u[col]);
        }
      }
    }
  return p;
}

void conv3x3(const PackedWeights& weights, const void* x, bool x_bf16, int64_t n, int64_t h, int64_t w, void* out,
             bool out_bf16, const ParallelFor& parallel_for) {
  Geometry g{n, h, w, weights.in_channels, weights.out_channels, (h + 1) / 2, (w + 1) / 2, 0};
  g.tiles = n * g.tiles_h * g.tiles_w;
  const int64_t panels = g.out / kPanel, pairs = g.in / 2;
  // Few tiles (deep layers): all in one block, so that the transformed weights (16/9 of the
  // weights: 52 MB at 1280 channels, beyond every cache) are read once per convolution and not
  // once per block; the output panels are split into groups for the threads, each group redoing
  // the input transform. More tiles: blocks whose transformed input (16·block·in bf16) is at most
  // 256 KB, a quarter of L2 (at 60 tiles and 128 channels some processes ran 1.6× slower, as if
  // the block, its products and the weights no longer fitted together), and panel groups only
  // where there are fewer than 16 blocks. The result does not depend on either split.
  const bool few = g.tiles <= kFewTiles;
  const int64_t block = few ? (g.tiles + kRows - 1) / kRows * kRows
                            : std::clamp<int64_t>((8192 / g.in) / kRows * kRows, kRows, 24);
  const int64_t blocks = (g.tiles + block - 1) / block;
  const int64_t groups = few ? std::min<int64_t>(panels, 8) : std::clamp<int64_t>((16 + blocks - 1) / blocks, 1, panels);
  const int64_t position_step = panels * pairs * kPanel * 2;  // u: [16][panels][pairs][64][2]
  parallel_for(blocks * groups, [&](int64_t begin, int64_t end) {
    thread_local AlignedVector<uint16_t> v;
    thread_local AlignedVector<float> m;
    thread_local std::vector<TilePlace> places;
    places.resize(block);
    v.resize(size_t(kPositions) * block * g.in);
    m.resize(size_t(kPositions) * block * kPanel);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t b = item / groups, group = item % groups;
      const int64_t first = b * block, count = std::min(block, g.tiles - first);
      place_tiles(g, first, count, places.data());
      transform_input(g, x, x_bf16, places.data(), count, block, v.data());
      const int64_t panel_begin = group * panels / groups, panel_end = (group + 1) * panels / groups;
      for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
        for (int q = 0; q < kPositions; ++q) {
          const uint16_t* u = weights.u.data() + q * position_step + panel * pairs * kPanel * 2;
          for (int64_t r = 0; r < count; r += kRows)
            product_6x64(v.data() + (q * block + r) * g.in, g.in, u, pairs, m.data() + (q * block + r) * kPanel);
        }
        transform_output(g, m.data(), places.data(), count, block, panel, weights.bias.data(), out, out_bf16);
      }
    }
  });
}

}  // namespace pictor::engine::winograd
