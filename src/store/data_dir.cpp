#include "store/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace pictor::store {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string home_dir() {
  std::string home = env("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return ".";
}

}  // namespace

std::string default_data_dir() {
  if (std::string d = env("PICTOR_DATA_DIR"); !d.empty()) return d;
  // The XDG spec says relative values are invalid and must be ignored.
  if (std::string x = env("XDG_DATA_HOME"); !x.empty() && x[0] == '/')
    return (std::filesystem::path(x) / "pictor").string();
  return (std::filesystem::path(home_dir()) / ".local" / "share" / "pictor").string();
}

std::string sqlite_path(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "pictor.db").string();
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status DataDirLock::acquire(const std::string& dir) {
  const std::string path = dir + "/pictor.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
    return unavailable("another pictor process (a server, or pictor arena) is using the data directory " + dir + " (" +
                       path + " is locked)");
  return Status::ok();
}

}  // namespace pictor::store
