#pragma once
// `pictor pull NAME`: every file of a built-in manifest from the hub into <models dir>/<name>/,
// each resumable and verified (hub/download.h). Torch-free: the caller passes the directories the
// engine searches (engine::model_search_dirs()).
#include <string>
#include <vector>

#include "core/status.h"
#include "hub/download.h"
#include "hub/manifest.h"

namespace pictor::hub {

inline constexpr const char* kDefaultHub = "https://huggingface.co";

struct PullOptions {
  std::string hub = kDefaultHub;  // files come from {hub}/{repo}/resolve/main/{path}
  std::string dir;                // the models directory; the model lands in <dir>/<name>/
  bool show_progress = false;     // a progress line per file on stderr
  DownloadOptions download;
};

struct PullReport {
  std::string folder;      // <dir>/<name>
  int downloaded = 0;      // files fetched (whole or resumed)
  int up_to_date = 0;      // files already there and verified
  long long bytes = 0;     // the model's size on disk
};

// Errors name the file: kUnavailable (network, HTTP status), kCorruptData (checksum, size),
// kIoError (disk), kInvalidArgument (a bad hub URL).
Result<PullReport> pull_model(const HubModel& model, const PullOptions& opts);

// --hub if given, else $PICTOR_HUB_URL, else https://huggingface.co.
std::string hub_url(const std::string& flag);
// The first of `candidates` that is an existing, writable directory; kNotFound listing them all.
Result<std::string> pick_models_dir(const std::vector<std::string>& candidates);

}  // namespace pictor::hub
