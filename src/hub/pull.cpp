#include "hub/pull.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "hub/transfer_progress.h"
#include "hub/url.h"

namespace pictor::hub {

namespace fs = std::filesystem;

std::string hub_url(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("PICTOR_HUB_URL"); env && *env) return env;
  return kDefaultHub;
}

Result<std::string> pick_models_dir(const std::vector<std::string>& candidates) {
  std::error_code ec;
  std::string tried;
  for (const auto& dir : candidates) {
    if (fs::is_directory(dir, ec) && ::access(dir.c_str(), W_OK) == 0) return dir;
    tried += (tried.empty() ? "" : ", ") + dir;
  }
  return not_found("no writable models directory (tried " + tried +
                   "): set PICTOR_MODELS to a directory or pass --dir DIR");
}

Result<PullReport> pull_model(const HubModel& model, const PullOptions& opts) {
  auto hub = parse_url(opts.hub);
  if (!hub.is_ok()) return invalid_argument("--hub: " + hub.status().message());
  PullReport report;
  report.folder = (fs::path(opts.dir) / model.name).string();
  for (const auto& file : model.files) {
    const std::string url = resolve_url(opts.hub, model.repo, file.remote);
    const std::string dest = (fs::path(report.folder) / file.local).string();
    TransferProgress bar(model.name + "/" + file.local, opts.show_progress);
    auto got = download_file(url, dest, opts.download,
                             [&](long long done, long long total) { bar.update(done, total); });
    if (!got.is_ok())
      return Status(got.status().code(), "pull " + model.name + ": " + file.local + ": " + got.status().message());
    report.bytes += got->size;
    if (got->skipped) {
      ++report.up_to_date;
      bar.update(got->size, got->size);
      bar.finish("up to date");
    } else {
      ++report.downloaded;
      bar.finish(got->resumed_from > 0 ? "done (resumed at " + format_bytes(got->resumed_from) + ")" : "done");
    }
  }
  return report;
}

}  // namespace pictor::hub
