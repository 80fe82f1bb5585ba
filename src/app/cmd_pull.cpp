// pictor pull NAME: downloads a known model from the Hugging Face hub into the models directory
// (resumable, SHA-256 checked). The only command that touches the network (DESIGN.md §3).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/progress.h"
#include "hub/pull.h"
#include "hub/transfer_progress.h"

namespace pictor::app {

namespace {

namespace fs = std::filesystem;

struct PullFlags {
  std::string name;
  std::string hub;  // "" = $PICTOR_HUB_URL, else the Hugging Face hub
  std::string dir;  // "" = the first writable models directory
};

// --dir, else the first writable directory the engine searches ($PICTOR_MODELS first, created
// when it is set: the user named it).
Result<std::string> destination(const PullFlags& f) {
  std::error_code ec;
  if (!f.dir.empty()) {
    fs::create_directories(f.dir, ec);
    if (ec) return io_error("--dir " + f.dir + ": " + ec.message());
    return f.dir;
  }
  if (const char* env = std::getenv("PICTOR_MODELS"); env && *env) {
    fs::create_directories(env, ec);
    if (ec) return io_error("PICTOR_MODELS=" + std::string(env) + ": " + ec.message());
  }
  return hub::pick_models_dir(engine::model_search_dirs());
}

int run_pull(const PullFlags& f) {
  auto model = hub::find_model(f.name);
  if (!model.is_ok()) return fail(model.status());
  auto dir = destination(f);
  if (!dir.is_ok()) return fail(dir.status());
  hub::PullOptions opts;
  opts.hub = hub::hub_url(f.hub);
  opts.dir = *dir;
  opts.show_progress = stderr_is_terminal();
  if (opts.show_progress)
    std::fprintf(stderr, "pulling %s from %s/%s into %s\n", model->name.c_str(), opts.hub.c_str(), model->repo.c_str(),
                 (fs::path(*dir) / model->name).c_str());
  auto report = hub::pull_model(*model, opts);
  if (!report.is_ok()) return fail(report.status());
  std::printf("pulled %s into %s: %zu files, %s (%d downloaded, %d already up to date)\n", model->name.c_str(),
              report->folder.c_str(), model->files.size(), hub::format_bytes(report->bytes).c_str(),
              report->downloaded, report->up_to_date);
  return 0;
}

std::string known_list() {
  std::string s;
  for (const auto& m : hub::known_models()) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-9s %s: %s\n", m.name.c_str(), m.repo.c_str(), m.description.c_str());
    s += buf;
  }
  return s;
}

}  // namespace

Command add_pull_command(CLI::App& root) {
  auto f = std::make_shared<PullFlags>();
  auto* cmd = root.add_subcommand("pull", "download a model (sd-turbo, sd-1.5, taesd) from the Hugging Face hub");
  cmd->add_option("name", f->name, "model to download")->required();
  cmd->add_option("--hub", f->hub, "hub base URL; files come from URL/REPO/resolve/main/PATH "
                                   "(default: $PICTOR_HUB_URL, else https://huggingface.co)");
  cmd->add_option("--dir", f->dir, "models directory to download into; the model lands in DIR/NAME/ "
                                   "(default: $PICTOR_MODELS, else the first writable models directory)");
  cmd->footer("\nModels:\n" + known_list() +
              "\nFiles are written as FILE.part and renamed into place once their size and SHA-256\n"
              "(as the hub states them) match, so a folder never holds a half file under its real name.\n"
              "An interrupted pull resumes where it stopped when run again; files already complete\n"
              "and verified are not fetched again. TAESD pulled into the same models directory is\n"
              "used by the SD models there (quality low/medium, or --decoder taesd).\n"
              "After `pictor pull sd-turbo`: pictor generate --model sd-turbo \"a photo of a cat\"");
  return {cmd, [f] { return run_pull(*f); }};
}

}  // namespace pictor::app
