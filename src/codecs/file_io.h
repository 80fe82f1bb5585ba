#pragma once
// Whole-file reads and atomic writes for images and other outputs.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::codecs {

// Reads a regular file. not_found for a missing file, io_error (with the OS reason) otherwise;
// every message names the path.
Result<std::vector<uint8_t>> read_file(const std::string& path);

// Writes `bytes` to a temporary file in the same directory, fsyncs it and renames it over `path`,
// so that `path` is either untouched or complete: never partial. On failure the temporary is
// removed. A missing directory or an unwritable path gives io_error naming it. The new file gets
// mode 0644.
Status write_file_atomic(const std::string& path, std::span<const uint8_t> bytes);

}  // namespace pictor::codecs
