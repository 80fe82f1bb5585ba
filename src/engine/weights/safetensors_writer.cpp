// SafetensorsWriter: byte layout identical to the reference writer for the same tensors.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/weights/safetensors.h"

namespace pictor::weights {
namespace {

// A temporary file next to the target that is renamed over it on commit() and removed otherwise,
// so that a crash or a full disk never leaves a half-written checkpoint under the real name.
// (Same scheme as codecs::write_file_atomic; weights must not depend on the image codecs.)
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {}
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) ::unlink(tmp_.c_str());
  }

  Status open() {
    const size_t slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    if (base.empty()) return invalid_argument("cannot write '" + path_ + "': not a file name");
    std::string tmpl = (slash == std::string::npos ? "" : dir) + "." + base + ".tmp.XXXXXX";
    fd_ = ::mkstemp(tmpl.data());
    if (fd_ < 0) return error("cannot create a file in directory '" + dir + "'");
    tmp_ = tmpl;
    ::fchmod(fd_, 0644);  // mkstemp creates 0600; outputs are ordinary shareable files
    return Status::ok();
  }

  Status write(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return error("write failed");
      p += w;
      n -= size_t(w);
    }
    return Status::ok();
  }

  Status commit() {
    if (::fsync(fd_) != 0) return error("fsync failed");
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return error("close failed");
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) return error("rename failed");
    tmp_.clear();
    return Status::ok();
  }

 private:
  Status error(const std::string& what) const {
    return io_error("cannot write '" + path_ + "': " + what + ": " + std::strerror(errno));
  }

  std::string path_;
  std::string tmp_;
  int fd_ = -1;
};

}  // namespace

void SafetensorsWriter::add(std::string name, DType dtype, std::vector<int64_t> shape,
                            std::span<const uint8_t> data) {
  if (!error_.is_ok()) return;
  if (name.empty() || name == "__metadata__") {
    error_ = invalid_argument("safetensors: invalid tensor name '" + name + "'");
    return;
  }
  uint64_t nbytes = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) {
      error_ = invalid_argument("safetensors: tensor '" + name + "' has a negative dimension");
      return;
    }
    nbytes *= uint64_t(d);
  }
  if (nbytes != data.size()) {
    error_ = invalid_argument("safetensors: tensor '" + name + "' has " +
                              std::to_string(data.size()) + " bytes but its shape and dtype " +
                              dtype_name(dtype) + " need " + std::to_string(nbytes));
    return;
  }
  if (tensors_.count(name) != 0) {
    error_ = invalid_argument("safetensors: tensor '" + name + "' added twice");
    return;
  }
  Entry e{dtype, std::move(shape), std::vector<uint8_t>(data.begin(), data.end())};
  tensors_.emplace(std::move(name), std::move(e));
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

Result<std::string> SafetensorsWriter::header() const {
  if (!error_.is_ok()) return error_;
  // Built by hand so that key order matches the reference writer ("__metadata__" first, then
  // tensors by name, each as dtype/shape/data_offsets); nlohmann::json would sort the keys.
  auto quote = [](const std::string& s) {
    return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  std::string h = "{";
  if (!metadata_.empty()) {
    h += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata_) {
      if (!first) h += ",";
      first = false;
      h += quote(k) + ":" + quote(v);
    }
    h += "}";
  }
  uint64_t offset = 0;
  for (const auto& [name, e] : tensors_) {
    if (h.size() > 1) h += ",";
    h += quote(name) + ":{\"dtype\":\"" + dtype_name(e.dtype) + "\",\"shape\":[";
    for (size_t i = 0; i < e.shape.size(); ++i) {
      if (i > 0) h += ",";
      h += std::to_string(e.shape[i]);
    }
    h += "],\"data_offsets\":[" + std::to_string(offset) + ",";
    offset += e.data.size();
    h += std::to_string(offset) + "]}";
  }
  h += "}";
  // Pad so that the data buffer starts 8-byte aligned (8 + header length is a multiple of 8).
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

Status SafetensorsWriter::write(const std::string& path) const {
  Result<std::string> h = header();
  if (!h.is_ok()) return h.status();
  AtomicFile out(path);
  PICTOR_RETURN_IF_ERROR(out.open());
  uint8_t len[8];
  uint64_t n = h->size();
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(n >> (8 * i));
  PICTOR_RETURN_IF_ERROR(out.write(len, sizeof len));
  PICTOR_RETURN_IF_ERROR(out.write(h->data(), h->size()));
  for (const auto& [name, e] : tensors_) {
    PICTOR_RETURN_IF_ERROR(out.write(e.data.data(), e.data.size()));
  }
  return out.commit();
}

}  // namespace pictor::weights
