#pragma once
// Each subcommand registers its flags on the root app and returns how to run it.
#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace pictor::app {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_generate_command(CLI::App& root);
Command add_edit_command(CLI::App& root);
Command add_train_command(CLI::App& root);
Command add_eval_command(CLI::App& root);
Command add_check_command(CLI::App& root);
Command add_bench_command(CLI::App& root);
Command add_models_command(CLI::App& root);
Command add_pull_command(CLI::App& root);
Command add_keys_command(CLI::App& root);
Command add_serve_command(CLI::App& root);
Command add_worker_command(CLI::App& root);
Command add_arena_command(CLI::App& root);

}  // namespace pictor::app
