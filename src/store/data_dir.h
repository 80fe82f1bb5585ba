#pragma once
// Where pictor keeps its state (the SQLite store, media): shared by `pictor serve` and `pictor keys`.
#include <string>

namespace pictor::store {

// $PICTOR_DATA_DIR, else $XDG_DATA_HOME/pictor, else ~/.local/share/pictor.
std::string default_data_dir();
// The SQLite file inside a data directory: <data_dir>/pictor.db.
std::string sqlite_path(const std::string& data_dir);

}  // namespace pictor::store
