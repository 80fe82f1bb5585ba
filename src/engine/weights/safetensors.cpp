#include "engine/weights/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

namespace pictor::weights {
namespace {

// Same cap as the reference implementation: a real header is kilobytes to a few megabytes, and
// the cap keeps a hostile length prefix from making us parse gigabytes of "JSON".
constexpr uint64_t kMaxHeaderSize = 100'000'000;

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Reads a JSON value as a non-negative integer that fits in int64.
bool as_non_negative(const nlohmann::json& v, int64_t* out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) return false;
    *out = int64_t(u);
    return true;
  }
  if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (i < 0) return false;
    *out = i;
    return true;
  }
  return false;
}

// For error messages; never throws (replaces invalid UTF-8, truncates long values).
std::string brief_json(const nlohmann::json& v) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

Status too_short(const std::string& path, size_t size) {
  return corrupt_data("safetensors file '" + path + "' is " + std::to_string(size) +
                      " bytes, too short for the 8-byte header length");
}

}  // namespace

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string msg = "cannot open safetensors file '" + path + "': " + std::strerror(err);
    if (err == ENOENT) return not_found(msg);
    return io_error(msg);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error("cannot read safetensors file '" + path + "': not a regular file");
  }
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->size_ = size_t(st.st_size);
  if (file->size_ < 8) {
    ::close(fd);
    return too_short(path, file->size_);
  }
  void* map = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) {
    return io_error("cannot mmap safetensors file '" + path + "': " + std::strerror(map_errno));
  }
  file->map_ = static_cast<const uint8_t*>(map);
  file->owns_map_ = true;
  PICTOR_RETURN_IF_ERROR(file->parse());
  return file;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::from_bytes(std::span<const uint8_t> bytes,
                                                                     const std::string& name) {
  if (bytes.size() < 8) return too_short(name, bytes.size());
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = name;
  file->map_ = bytes.data();
  file->size_ = bytes.size();
  PICTOR_RETURN_IF_ERROR(file->parse());
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (owns_map_) ::munmap(const_cast<uint8_t*>(map_), size_);
}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status SafetensorsFile::parse() {
  const std::string where = "safetensors file '" + path_ + "'";
  header_size_ = read_u64_le(map_);
  if (header_size_ == 0) return corrupt_data(where + ": header length is 0");
  if (header_size_ > kMaxHeaderSize) {
    return corrupt_data(where + ": header length " + std::to_string(header_size_) +
                        " exceeds the limit of " + std::to_string(kMaxHeaderSize) +
                        " bytes (not a safetensors file?)");
  }
  if (header_size_ > size_ - 8) {
    return corrupt_data(where + ": header length " + std::to_string(header_size_) +
                        " runs past the end of the file (" + std::to_string(size_) +
                        " bytes): truncated file?");
  }
  const char* header_begin = reinterpret_cast<const char*>(map_ + 8);
  nlohmann::json header = nlohmann::json::parse(header_begin, header_begin + header_size_,
                                                /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return corrupt_data(where + ": header is not valid JSON");
  if (!header.is_object()) return corrupt_data(where + ": header is not a JSON object");

  const uint8_t* data = map_ + 8 + header_size_;
  const uint64_t data_size = size_ - 8 - header_size_;
  // (begin, end, tensor index) for the overlap check once all tensors are known.
  std::vector<std::tuple<uint64_t, uint64_t, size_t>> ranges;
  for (auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) return corrupt_data(where + ": __metadata__ is not a JSON object");
      for (auto& [key, v] : value.items()) {
        if (!v.is_string()) {
          return corrupt_data(where + ": __metadata__ value for '" + key + "' is not a string");
        }
        metadata_[key] = v.get<std::string>();
      }
      continue;
    }
    const std::string tensor = where + ", tensor '" + name + "'";
    if (!value.is_object()) return corrupt_data(tensor + ": entry is not a JSON object");
    auto dtype_it = value.find("dtype");
    if (dtype_it == value.end() || !dtype_it->is_string()) {
      return corrupt_data(tensor + ": missing or non-string \"dtype\"");
    }
    Result<DType> dtype = parse_dtype(dtype_it->get<std::string>());
    if (!dtype.is_ok()) return corrupt_data(tensor + ": " + dtype.status().message());

    auto shape_it = value.find("shape");
    if (shape_it == value.end() || !shape_it->is_array()) {
      return corrupt_data(tensor + ": \"shape\" is not a list of non-negative integers");
    }
    TensorInfo info;
    info.name = name;
    info.dtype = *dtype;
    // numel * element size must fit in uint64 without overflow; track it as we go.
    uint64_t nbytes = dtype_size(*dtype);
    bool overflow = false;
    for (const auto& d : *shape_it) {
      int64_t dim = 0;
      if (!as_non_negative(d, &dim)) {
        return corrupt_data(tensor + ": \"shape\" is not a list of non-negative integers (got " +
                            brief_json(*shape_it) + ")");
      }
      info.shape.push_back(dim);
      if (dim != 0 && nbytes > std::numeric_limits<uint64_t>::max() / uint64_t(dim)) {
        overflow = true;
      }
      nbytes *= uint64_t(dim);
    }
    if (overflow)
      return corrupt_data(tensor + ": shape " + brief_json(*shape_it) + " is too large");

    auto off_it = value.find("data_offsets");
    int64_t begin = 0, end = 0;
    if (off_it == value.end() || !off_it->is_array() || off_it->size() != 2 ||
        !as_non_negative((*off_it)[0], &begin) || !as_non_negative((*off_it)[1], &end) ||
        end < begin) {
      return corrupt_data(tensor +
                          ": \"data_offsets\" must be [begin, end] with 0 <= begin <= end");
    }
    if (uint64_t(end) > data_size) {
      return corrupt_data(tensor + ": data_offsets [" + std::to_string(begin) + ", " +
                          std::to_string(end) + "] run past the end of the data (" +
                          std::to_string(data_size) + " bytes): truncated file?");
    }
    if (uint64_t(end - begin) != nbytes) {
      return corrupt_data(tensor + ": data_offsets [" + std::to_string(begin) + ", " +
                          std::to_string(end) + "] span " + std::to_string(end - begin) +
                          " bytes but shape " + brief_json(*shape_it) + " of " +
                          dtype_name(*dtype) + " needs " + std::to_string(nbytes));
    }
    info.data = data + begin;
    info.nbytes = size_t(nbytes);
    ranges.emplace_back(uint64_t(begin), uint64_t(end), tensors_.size());
    tensors_.push_back(std::move(info));
  }

  // Overlapping tensors would alias each other's bytes; the reference writer never does that.
  // Gaps are tolerated (harmless), empty tensors may sit anywhere.
  std::sort(ranges.begin(), ranges.end());
  uint64_t prev_end = 0;
  const TensorInfo* prev = nullptr;
  for (const auto& [begin, end, i] : ranges) {
    if (begin == end) continue;
    if (prev != nullptr && begin < prev_end) {
      return corrupt_data(where + ": tensors '" + prev->name + "' and '" + tensors_[i].name +
                          "' have overlapping data_offsets");
    }
    prev_end = end;
    prev = &tensors_[i];
  }

  std::sort(tensors_.begin(), tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
  for (size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
  return Status::ok();
}

}  // namespace pictor::weights
