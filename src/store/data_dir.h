#pragma once
// Where pictor keeps its state (the SQLite store, media): shared by `pictor serve` and `pictor keys`.
#include <string>

#include "core/status.h"

namespace pictor::store {

// $PICTOR_DATA_DIR, else $XDG_DATA_HOME/pictor, else ~/.local/share/pictor.
std::string default_data_dir();
// The SQLite file inside a data directory: <data_dir>/pictor.db.
std::string sqlite_path(const std::string& data_dir);

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
