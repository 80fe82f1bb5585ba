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
#include <fstream>

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

Result<std::string> load_or_create_secret_file(const std::string& path, const std::string& what,
                                               const std::function<std::string()>& make) {
  {
    std::ifstream in(path);
    if (in) {
      std::string s;
      std::getline(in, s);
      if (s.size() >= 32) return s;
      return corrupt_data(path + " does not hold " + what + " (delete it to make a new one)");
    }
  }
  const std::string secret = make();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return load_or_create_secret_file(path, what, make);
    return io_error("cannot create " + path + ": " + std::strerror(errno));
  }
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == ssize_t(line.size());
  ::close(fd);
  if (!ok) return io_error("cannot write " + path);
  return secret;
}

}  // namespace pictor::store
