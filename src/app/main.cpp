// pictor: text and images in, images out. See README.md and docs/cli.md.
#include <cstdio>

#include "app/cli_util.h"
#include "app/commands.h"

int main(int argc, char** argv) {
  using namespace pictor::app;
  CLI::App root{"pictor: self-hosted image generation. Text (and images) in, images out.\n"
                "The embedded default model pictor-mini needs no download."};
  root.require_subcommand(1);
  root.set_version_flag("--version", std::string("pictor ") + "0.1.0");
  std::vector<Command> commands = {add_generate_command(root), add_edit_command(root),
                                   add_train_command(root),
                                   add_eval_command(root), add_check_command(root),
                                   add_bench_command(root),
                                   add_models_command(root), add_pull_command(root),
                                   add_keys_command(root),
                                   add_serve_command(root), add_worker_command(root), add_arena_command(root)};
  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return root.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return root.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "pictor: error: %s (see pictor --help)\n", e.what());
    return 2;
  }
  for (auto& c : commands)
    if (c.app->parsed()) return c.run();
  return 2;
}
