#pragma once
// One file from an HTTP(S) server onto disk, the way `pictor pull` needs it: redirects followed
// by hand (the hub answers a model file with a redirect to a CDN and puts the file's SHA-256 on
// that redirect, which a library that follows redirects itself would drop), resume from
// `<dest>.part` with a Range request, SHA-256 and size checks, and an atomic rename into place.
// Torch-free.
#include <functional>
#include <string>

#include "core/status.h"

namespace pictor::hub {

struct DownloadOptions {
  int connect_timeout_s = 30;
  int read_timeout_s = 120;  // per read: a stalled connection fails instead of hanging
  int max_redirects = 10;
  std::string ca_file = "/etc/ssl/certs/ca-certificates.crt";  // used when present
};

// done and total in bytes (total < 0: unknown); done starts at the resumed offset.
using DownloadProgressFn = std::function<void(long long done, long long total)>;

struct DownloadResult {
  long long size = 0;          // bytes of the final file
  long long resumed_from = 0;  // bytes kept from an earlier .part (0: from scratch)
  std::string sha256;          // the file's hash when the server named one (and it matched)
  bool skipped = false;        // dest was already there, complete and verified
};

// What the server says about a file (across its redirects): the first X-Linked-ETag / X-Linked-Size
// (the hub's LFS hash and size), else a 64-hex ETag and the final Content-Length.
struct RemoteFileInfo {
  long long size = -1;
  std::string sha256;  // "" when the server names none
};

// Downloads `url` to `dest`. Errors: kUnavailable (connection, TLS, HTTP status: naming the URL),
// kCorruptData (checksum or size mismatch: the .part is deleted), kIoError (disk). A failed
// download never leaves anything under `dest`; an interrupted one leaves `<dest>.part` to resume.
Result<DownloadResult> download_file(const std::string& url, const std::string& dest, const DownloadOptions& opts,
                                     const DownloadProgressFn& progress = {});

// A HEAD request (redirects followed) for what the server says about `url`.
Result<RemoteFileInfo> probe_file(const std::string& url, const DownloadOptions& opts);

}  // namespace pictor::hub
