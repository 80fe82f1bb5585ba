#pragma once
// safetensors reading (mmap, validated up front) and writing (sorted, padded, atomic).
// Format: 8-byte little-endian header length N, N bytes of JSON header, then the data buffer.
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// relative to the data buffer) plus an optional "__metadata__" string->string map.
// Torch-free: engine loaders turn TensorInfo into tensors themselves.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "engine/weights/dtype.h"

namespace pictor::weights {

// One tensor of an open file. `data` points into the read-only mapping (valid while the
// SafetensorsFile lives) and is NOT necessarily aligned for its dtype: copy with memcpy.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // [] for a scalar
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  int64_t numel() const;  // product of shape; 1 for a scalar, 0 if any dimension is 0
};

class SafetensorsFile {
 public:
  // Maps the file read-only and validates the whole header before returning (see docs/codecs.md):
  // every error names the file and, where it applies, the tensor.
  static Result<std::unique_ptr<SafetensorsFile>> open(const std::string& path);
  // The same validation over a file already in memory, which the caller keeps alive while the
  // result lives; `name` stands for the path in messages (the header fuzzer uses this).
  static Result<std::unique_ptr<SafetensorsFile>> from_bytes(std::span<const uint8_t> bytes, const std::string& name);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  // Sorted by name.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const TensorInfo* find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }
  // Size of the JSON header in bytes (without the 8-byte length prefix); data starts at 8 + this.
  uint64_t header_size() const { return header_size_; }

 private:
  SafetensorsFile() = default;
  Status parse();

  std::string path_;
  const uint8_t* map_ = nullptr;
  size_t size_ = 0;
  bool owns_map_ = false;  // open() maps the file; from_bytes() borrows
  uint64_t header_size_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> index_;  // views into tensors_[i].name
  std::map<std::string, std::string> metadata_;
};

// Collects tensors in memory and writes them the way the reference (Python/Rust) writer does:
// tensors sorted by name, contiguous ascending offsets, compact JSON with "__metadata__" first,
// header padded with spaces to a multiple of 8 bytes.
class SafetensorsWriter {
 public:
  // Copies `data`. A size that does not match shape and dtype, or a duplicate name, is reported
  // by write() rather than here so that call sites stay simple.
  void add(std::string name, DType dtype, std::vector<int64_t> shape,
           std::span<const uint8_t> data);
  void set_metadata(std::string key, std::string value);
  // Writes to a temporary file next to `path`, then renames it over `path`: readers never see
  // a partial file, and a failed write leaves no temporary behind.
  Status write(const std::string& path) const;
  // The header bytes that write() would produce (without the 8-byte length), padded.
  Result<std::string> header() const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  std::map<std::string, Entry> tensors_;  // sorted by name, as written
  std::map<std::string, std::string> metadata_;
  Status error_;  // first problem found by add()
};

}  // namespace pictor::weights
