#pragma once
// `pictor bench --arch sd-turbo --random-weights`: the full-size SD-Turbo (SD 2.1 architecture)
// built with random weights (no download), timed component by component at 512x512 and end to
// end, each time beside its analytic FLOP count. Torch-free interface (the app calls it).
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::engine {

struct SdBenchOptions {
  std::string arch = "sd-turbo";
  std::string dtype = "fp32";  // fp32 | bf16 (text encoder + UNet; VAE/TAESD: bf16 conv products)
  int threads = 0;             // 0 = libtorch default
  int size = 512;              // image side in pixels
  bool warmup = true;          // run each timed call once untimed first (not the VAE decode)
  int repeats = 1;             // timed calls per measurement (median reported)
  std::string parts;           // comma-separated measurement names to run; empty = all timings
  std::string profile;         // write a chrome://tracing file of every op in the timed calls
};

struct SdBenchTiming {
  std::string name;     // "unet_step_b1", …
  double seconds = 0;      // median of the timed calls
  double seconds_min = 0;  // fastest timed call
  int repeats = 1;
  double gflop = 0;     // analytic; 0 = not counted
  double gflops() const { return gflop > 0 && seconds > 0 ? gflop / seconds : 0; }
};

// How far a bf16 decode is from the fp32 decode of the same latent, with the convolutions'
// Winograd path on and off: PSNR over the fp32 output's peak-to-peak range.
struct SdBenchAccuracy {
  std::string name;  // "vae_decode", "taesd_decode"
  double psnr_winograd_db = 0, psnr_direct_db = 0;
  bool winograd_available = false;
};

struct SdBenchReport {
  std::string arch, compute;
  int threads = 0;
  int size = 0;
  double build_seconds = 0;  // constructing and randomising the modules
  std::vector<SdBenchTiming> timings;
  double peak_rss_mb = 0;
  double parameters_millions = 0;
  // engine/cpu_allocator.h: "caching" or "default" (PICTOR_CPU_ALLOCATOR=default); large
  // requests served from its cache / by new mappings, over the whole run.
  std::string cpu_allocator;
  size_t allocator_hits = 0, allocator_misses = 0;
  double allocator_peak_in_use_mb = 0;
  std::vector<SdBenchAccuracy> accuracy;  // bf16 only, part "decode_accuracy" (only when named)
  // Same part: one bf16 UNet step (batch 1) with Winograd convolutions against the direct ones
  // (the bench's UNet has no fp32 weights left to compare with); 0 = not measured.
  double unet_winograd_vs_direct_psnr_db = 0;
};

// `log` receives one line per finished measurement (for a progress display).
Result<SdBenchReport> run_sd_bench(const SdBenchOptions& options,
                                   const std::function<void(const SdBenchTiming&)>& log = {});

}  // namespace pictor::engine
