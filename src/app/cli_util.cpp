#include "app/cli_util.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/progress.h"
#include "engine/weights/safetensors.h"

namespace pictor::app {

namespace fs = std::filesystem;

int exit_code(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kUnsupported: return 2;
    default: return 1;
  }
}

int fail(const Status& s) {
  std::string msg = s.message();
  for (char& c : msg) if (c == '\n') c = ' ';
  std::fprintf(stderr, "pictor: error: %s\n", msg.c_str());
  return exit_code(s);
}

void warn(const std::string& message) { std::fprintf(stderr, "pictor: warning: %s\n", message.c_str()); }

void GenerationFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--model", model, "model name (see `pictor models`) or path to weights")->capture_default_str();
  cmd.add_option("--seed", seed, "random seed; the same seed and options give the same pixels (default: random, printed)");
  cmd.add_option("-n,--n", n, "number of images, 1-10")->capture_default_str();
  cmd.add_option("--quality", quality, "low | medium | high | auto: sets steps (see docs/cli.md)")->capture_default_str();
  cmd.add_option("--steps", steps, "sampler steps (overrides --quality)");
  cmd.add_option("--guidance", guidance, "classifier-free guidance scale (default: the model's)");
  cmd.add_option("--negative", negative, "negative prompt: what the image should not look like");
  cmd.add_option("--size", size, "output size WxH (default: the model's native size; larger sizes are upsampled)");
  cmd.add_option("--format", format, "png | jpeg | webp (default: from the -o extension, else png)");
  cmd.add_option("--compression", compression, "0-100 as OpenAI's output_compression: jpeg/webp quality (100 = best, the default), png zlib effort");
  cmd.add_option("--threads", threads, "compute threads (default: all cores)");
  cmd.add_option("--dtype", dtype, "auto | fp32 | bf16")->capture_default_str();
  cmd.add_option("-o,--output", output, "output file; numbered (out-1.png, …) when n > 1")->capture_default_str();
  cmd.add_option("--sampler", sampler,
                 "Stable Diffusion: euler | euler_a | dpmpp_2m | dpmpp_2m_karras | lcm (default: the model's)");
  cmd.add_option("--decoder", decoder, "Stable Diffusion: vae | taesd (default: from --quality)");
  cmd.add_option("--init-noise", init_noise,
                 "Stable Diffusion: .safetensors with tensor \"latents\" [n, 4, H/8, W/8], unit-variance start noise");
  cmd.add_option("--save-tensor", save_tensor,
                 "also write the decoded images, tensor \"image\" [n, 3, H, W] float in [0, 1], to this .safetensors");
  cmd.add_flag("--show-plan", show_plan,
               "print the layout each image was drawn from (pictor-mini's map and tokens designs): objects with\n"
               "size, colour, shape and centre (x right, y down, 0-1), to compare with `pictor check`");
}

Status read_float_tensor(const std::string& path, const std::string& name, std::vector<float>& values,
                         std::vector<int64_t>& shape) {
  auto file = weights::SafetensorsFile::open(path);
  if (!file.is_ok()) return invalid_argument(file.status().message());
  const auto* t = (*file)->find(name);
  if (!t) return invalid_argument(path + " has no tensor \"" + name + "\"");
  shape = t->shape;
  const int64_t n = t->numel();
  values.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (t->dtype) {
      case weights::DType::kF32: std::memcpy(&values[size_t(i)], t->data + i * 4, 4); break;
      case weights::DType::kF16:
      case weights::DType::kBF16: {
        uint16_t bits;
        std::memcpy(&bits, t->data + i * 2, 2);
        values[size_t(i)] = t->dtype == weights::DType::kF16 ? weights::f16_to_f32(bits) : weights::bf16_to_f32(bits);
        break;
      }
      default:
        return invalid_argument(path + ": tensor \"" + name + "\" is " + weights::dtype_name(t->dtype) +
                                " (expected F32, F16 or BF16)");
    }
  }
  return Status::ok();
}

Status write_float_tensor(const std::string& path, const std::string& name, const std::vector<float>& values,
                          const std::vector<int64_t>& shape) {
  weights::SafetensorsWriter w;
  w.add(name, weights::DType::kF32, shape,
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float)));
  return w.write(path);
}

Status parse_size(const std::string& s, int& width, int& height) {
  width = height = 0;
  if (s.empty() || s == "auto") return Status::ok();
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(s.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || (x != 'x' && x != 'X') || w < 1 ||
      h < 1 || w > 4096 || h > 4096)
    return invalid_argument("size must look like WxH with each side 1-4096 (got '" + s + "')");
  width = w;
  height = h;
  return Status::ok();
}

std::vector<std::string> numbered_outputs(const std::string& path, int n) {
  if (n <= 1) return {path};
  fs::path p(path);
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i)
    out.push_back((p.parent_path() / (p.stem().string() + "-" + std::to_string(i) + p.extension().string())).string());
  return out;
}

Status check_writable(const std::string& path) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return io_error("cannot write " + path + ": directory " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK) != 0) return io_error("cannot write " + path + ": directory " + dir.string() + " is not writable");
  if (fs::is_directory(path, ec)) return io_error("cannot write " + path + ": it is a directory");
  return Status::ok();
}

int run_generation(const GenerationFlags& flags, const engine::GenerateRequest& req,
                   codecs::ImageFormat format, const char* label) {
  const auto outputs = numbered_outputs(flags.output, req.n);
  for (const auto& path : outputs)
    if (auto st = check_writable(path); !st.is_ok()) return fail(st);
  if (!flags.save_tensor.empty())
    if (auto st = check_writable(flags.save_tensor); !st.is_ok()) return fail(st);

  engine::LoadOptions load;
  load.threads = flags.threads;
  load.dtype = flags.dtype;
  auto engine = engine::Engine::load(flags.model, load);
  if (!engine.is_ok()) return fail(engine.status());

  const int steps = req.steps > 0 ? req.steps : (*engine)->steps_for(req.quality);
  ProgressBar bar(label, long(steps) * req.n);
  auto progress = [&](int image, int step, int total) { bar.update(long(image) * total + step); };
  auto result = (*engine)->generate(req, progress);
  bar.finish();
  if (!result.is_ok()) return fail(result.status());
  for (const auto& w : result->warnings) warn(w);

  for (size_t i = 0; i < result->images.size(); ++i) {
    auto bytes = codecs::encode_image(result->images[i], format,
                                      flags.compression >= 0 ? flags.compression : codecs::kDefaultCompression);
    if (!bytes.is_ok()) return fail(bytes.status());
    if (auto st = codecs::write_file_atomic(outputs[i], *bytes); !st.is_ok()) return fail(st);
  }
  if (!flags.save_tensor.empty()) {
    if (result->tensor.empty())
      return fail(unsupported("--save-tensor: model " + (*engine)->info().name + " does not return image tensors"));
    if (auto st = write_float_tensor(flags.save_tensor, "image", result->tensor, result->tensor_shape); !st.is_ok())
      return fail(st);
  }
  if (flags.show_plan) {
    if (result->layouts.empty()) warn("--show-plan: model " + (*engine)->info().name + " draws without a layout plan");
    for (size_t i = 0; i < result->layouts.size(); ++i) {
      const auto& plan = result->layouts[i];
      std::printf("plan %zu: %zu object%s\n", i + 1, plan.objects.size(), plan.objects.size() == 1 ? "" : "s");
      for (size_t j = 0; j < plan.objects.size(); ++j) {
        const auto& o = plan.objects[j];
        std::printf("  %zu. %s at (%.2f, %.2f)\n", j + 1, world::describe(o).c_str(), o.cx, o.cy);
      }
    }
  }
  const auto& img = result->images[0];
  std::fprintf(stderr, "wrote %s%s (%dx%d, seed %llu, %d steps, guidance %.1f, %.2f s)\n",
               outputs[0].c_str(), outputs.size() > 1 ? " …" : "", img.width, img.height,
               (unsigned long long)req.seed, result->steps, result->guidance, result->seconds);
  return 0;
}

Status GenerationFlags::to_request(const std::string& prompt, engine::GenerateRequest& req,
                                   codecs::ImageFormat& fmt) const {
  req.prompt = prompt;
  req.negative_prompt = negative;
  req.n = n;
  auto q = engine::parse_quality(quality);
  if (!q.is_ok()) return q.status();
  req.quality = *q;
  if (steps < 0 || steps > 200) return invalid_argument("--steps must be between 1 and 200");
  req.steps = steps;
  req.guidance = guidance;
  PICTOR_RETURN_IF_ERROR(parse_size(size, req.width, req.height));
  if (seed < -1) return invalid_argument("--seed must be a non-negative integer");
  req.seed = seed >= 0 ? uint64_t(seed) : (uint64_t(std::random_device{}()) & 0x7fffffff);
  std::string f = format;
  if (f.empty()) {
    std::string ext = fs::path(output).extension().string();
    f = ext.empty() ? "png" : ext.substr(1);
    if (f != "png" && f != "jpg" && f != "jpeg" && f != "webp") f = "png";
  }
  auto parsed = codecs::parse_format(f);
  if (!parsed.is_ok()) return parsed.status();
  fmt = *parsed;
  if (compression < -1 || compression > 100) return invalid_argument("--compression must be between 0 and 100");
  if (threads < 0) return invalid_argument("--threads must be positive");
  req.sampler = sampler;
  req.decoder = decoder;
  if (!decoder.empty() && decoder != "vae" && decoder != "taesd")
    return invalid_argument("--decoder must be vae or taesd (got '" + decoder + "')");
  if (!sampler.empty() && sampler != "euler" && sampler != "euler_a" && sampler != "dpmpp_2m" &&
      sampler != "dpmpp_2m_karras" && sampler != "lcm")
    return invalid_argument("unknown --sampler '" + sampler + "' (euler, euler_a, dpmpp_2m, dpmpp_2m_karras, lcm)");
  if (!init_noise.empty()) {
    PICTOR_RETURN_IF_ERROR(read_float_tensor(init_noise, "latents", req.init_noise, req.init_noise_shape));
    if (req.init_noise_shape.size() != 4)
      return invalid_argument("--init-noise: tensor \"latents\" must be [n, 4, H/8, W/8]");
  }
  req.return_tensor = !save_tensor.empty();
  return engine::validate_request(req);
}

}  // namespace pictor::app
