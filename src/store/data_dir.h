#pragma once
// Where pictor keeps its state (the SQLite store, media): shared by `pictor serve` and `pictor keys`.
#include <functional>
#include <string>

#include "core/status.h"

namespace pictor::store {

// $PICTOR_DATA_DIR, else $XDG_DATA_HOME/pictor, else ~/.local/share/pictor.
std::string default_data_dir();
// The SQLite file inside a data directory: <data_dir>/pictor.db.
std::string sqlite_path(const std::string& data_dir);

// The first line of `path` (at least 32 characters), else a new secret from `make()` written
// there with mode 0600. O_EXCL: two processes starting at once agree on the first one's secret.
// corrupt_data (naming `what`) when the file holds something shorter.
Result<std::string> load_or_create_secret_file(const std::string& path, const std::string& what,
                                               const std::function<std::string()>& make);

// One process that runs jobs per data directory (`pictor serve`, `pictor arena seed|judge`): a
// second one would re-run the first one's jobs. An flock on <dir>/pictor.lock, held until destroyed.
class DataDirLock {
 public:
  DataDirLock() = default;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();
  // unavailable when another process holds it.
  Status acquire(const std::string& dir);

 private:
  int fd_ = -1;
};

}  // namespace pictor::store
