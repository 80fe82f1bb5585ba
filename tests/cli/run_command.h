#pragma once
// Runs the real `pictor` binary for CLI tests: its exit code, stdout and stderr (stderr through a
// file in `scratch`, so that both streams are read without interleaving).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace pictor::test {

struct CommandRun {
  int exit_code = -1;
  std::string out, err;
};

// `env` is prepended to the command line as is ("NAME=value "); `args` is shell text.
inline CommandRun run_pictor_command(const std::filesystem::path& scratch, const std::string& args,
                                     const std::string& env = "") {
  std::filesystem::create_directories(scratch);
  const std::string err_path = (scratch / "stderr.txt").string();
  const std::string cmd = env + std::string(PICTOR_BINARY) + " " + args + " 2>" + err_path;
  CommandRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

}  // namespace pictor::test
