// The Stable-Diffusion pipelines against diffusers 0.25.1's StableDiffusionPipeline and
// StableDiffusionImg2ImgPipeline on sd-tiny-A (fixture README, "full pipelines": latents and
// images atol 1e-3), the inpainting and seeding properties, bf16 vs fp32, and the Engine on the
// same folder (family, quality mapping, load errors).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "engine/engine.h"
#include "engine/pipelines/sd_pipeline.h"
#include "sd_reference.h"

namespace pictor::engine::sd {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::input;
at::Tensor reference(const std::string& name) { return testing::ref(name); }

constexpr const char* kPrompt = "a photo of an astronaut riding a horse on mars";

SdModel& model() {
  static SdModel m = [] {
    auto r = load_sd_folder(fixture(""));
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return std::move(*r);
  }();
  return m;
}

// Absolute tolerance check with the measured error printed.
void expect_atol(const at::Tensor& got, const at::Tensor& want, const std::string& what, double atol) {
  ASSERT_TRUE(got.defined()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double err = testing::max_abs_diff(got, want);
  std::printf("  %-34s max|diff| %.3g (atol %.3g, max|ref| %.3g)\n", what.c_str(), err, atol,
              want.abs().max().item<double>());
  EXPECT_LE(err, atol) << what;
}

double psnr(const at::Tensor& a, const at::Tensor& b) {
  const double mse = (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).mean().item<double>();
  return mse == 0 ? 1e9 : 10 * std::log10(1.0 / mse);
}

SdPipelineRequest t2i(int steps) {
  SdPipelineRequest r;
  r.prompt = kPrompt;
  r.steps = steps;
  r.guidance = 0;
  r.width = r.height = 64;
  r.init_noise = input("pipe_latents");
  return r;
}

struct Run {
  SdPipelineResult out;
  std::vector<at::Tensor> steps;
};

Run run(SdModel& m, const SdPipelineRequest& r) {
  Run result;
  auto out = run_sd_pipeline(m, r, {}, nullptr,
                             [&](int, int, const at::Tensor& x) { result.steps.push_back(x.clone()); });
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  if (out.is_ok()) result.out = *out;
  return result;
}

void expect_pipeline(const Run& got, const std::string& name) {
  expect_atol(got.out.latents, reference("pipe_" + name + "_final_latents"), name + " final latents", 1e-3);
  expect_atol(got.out.images, reference("pipe_" + name + "_image"), name + " image", 1e-3);
  auto steps = reference("pipe_" + name + "_step_latents");
  ASSERT_EQ(int64_t(got.steps.size()), steps.size(0));
  expect_atol(torch::stack(got.steps), steps, name + " step latents", 1e-3);
}

TEST(SdPipeline, TextToImageOneStepMatchesDiffusers) {
  auto r = run(model(), t2i(1));
  EXPECT_EQ(r.out.steps_run, 1);
  expect_pipeline(r, "t2i_1step");
}

TEST(SdPipeline, TextToImageFourStepsMatchesDiffusers) {
  expect_pipeline(run(model(), t2i(4)), "t2i_4step");
}

TEST(SdPipeline, ImageToImageMatchesDiffusers) {
  SdPipelineRequest r = t2i(4);
  r.init_image = input("img2img_image_01");
  r.strength = 0.5;
  r.encode_noise = input("img2img_noise_0");  // the VAE posterior sample
  r.init_noise = input("img2img_noise_1");    // add_noise at t = 499
  auto got = run(model(), r);
  EXPECT_EQ(got.out.steps_run, 2);
  expect_pipeline(got, "img2img");
}

TEST(SdPipeline, InpaintingWithFullMaskIsTextToImage) {
  // Everything repainted, strength 1: the run starts from the noise alone and the blend keeps
  // every latent, so it is text-to-image from the same noise.
  SdPipelineRequest r = t2i(4);
  r.init_image = input("img2img_image_01");
  r.mask = torch::ones({1, 1, 64, 64});
  auto got = run(model(), r);
  expect_atol(got.out.images, reference("pipe_t2i_4step_image"), "inpaint (full mask) image", 1e-3);
}

TEST(SdPipeline, InpaintingKeepsPixelsOutsideTheMask) {
  SdPipelineRequest r = t2i(2);
  r.init_image = input("img2img_image_01");
  auto mask = torch::zeros({1, 1, 64, 64});
  mask.slice(2, 16, 40).slice(3, 8, 48).fill_(1);
  r.mask = mask;
  auto got = run(model(), r);
  auto keep = (1 - mask).to(torch::kBool).expand({1, 3, 64, 64});
  EXPECT_TRUE(torch::equal(got.out.images.masked_select(keep), r.init_image.masked_select(keep)));
  EXPECT_GT(testing::max_abs_diff(got.out.images, r.init_image), 0.05);  // the hole changed
  // Latents outside the (8x8-block) mask are the encoded image's after the final blend.
  auto none = r;
  none.mask = torch::zeros({1, 1, 64, 64});
  auto kept = run(model(), none);
  EXPECT_TRUE(torch::equal(kept.out.images, r.init_image));
}

TEST(SdPipeline, SeededNoiseIsPerImageAndDeterministic) {
  SdPipelineRequest r;
  r.prompt = kPrompt;
  r.steps = 2;
  r.seed = 42;
  r.sampler = SdSampler::kEulerAncestral;  // step noise too
  r.n = 2;
  auto two = run(model(), r).out.images;
  r.n = 1;
  auto one = run(model(), r).out.images;
  EXPECT_TRUE(torch::equal(two.slice(0, 0, 1), one));
  EXPECT_FALSE(torch::equal(two[0], two[1]));
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto single = run(model(), r).out.images;
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(single, one)) << "thread count changed the pixels";
}

TEST(SdPipeline, GuidanceNegativePromptDecodersAndSamplers) {
  SdPipelineRequest r = t2i(4);
  r.guidance = 7.5;
  r.negative_prompt = "blurry";
  auto guided = run(model(), r).out.images;
  r.guidance = 1.0;  // ≤ 1: no unconditional pass, as guidance 0
  expect_atol(run(model(), r).out.images, reference("pipe_t2i_4step_image"), "guidance 1 image", 1e-3);
  EXPECT_GT(testing::max_abs_diff(guided, reference("pipe_t2i_4step_image")), 1e-3);
  r.decoder = SdDecoder::kTaesd;
  auto taesd = run(model(), r).out;
  EXPECT_EQ(taesd.images.sizes(), (std::vector<int64_t>{1, 3, 64, 64}));
  // TAESD decodes the same latents.
  auto expected = vae_output_to_unit_range(model().taesd->decode(reference("pipe_t2i_4step_final_latents")));
  expect_atol(taesd.images, expected, "TAESD-decoded image", 1e-3);
  for (auto s : {SdSampler::kDpmpp2m, SdSampler::kLcm}) {
    r.sampler = s;
    r.karras = s == SdSampler::kDpmpp2m;
    auto out = run(model(), r).out.images;
    EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  }
}

TEST(SdPipeline, ProgressCancellationAndInputChecks) {
  SdPipelineRequest r = t2i(4);
  std::vector<int> seen;
  std::atomic<bool> cancel{false};
  auto out = run_sd_pipeline(model(), r, [&](int, int step, int total) {
    seen.push_back(step);
    EXPECT_EQ(total, 4);
    if (step == 2) cancel = true;
  }, &cancel);
  ASSERT_FALSE(out.is_ok());
  EXPECT_EQ(out.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(seen, (std::vector<int>{1, 2}));

  r.width = 60;
  EXPECT_EQ(run_sd_pipeline(model(), r).status().code(), StatusCode::kInvalidArgument);
  r.width = 64;
  r.init_noise = torch::zeros({1, 4, 4, 8});
  auto bad = run_sd_pipeline(model(), r);
  EXPECT_NE(bad.status().message().find("init noise must be [1, 4, 8, 8]"), std::string::npos) << bad.status().message();
  r = t2i(4);
  r.init_image = input("img2img_image_01");
  r.strength = 0.1;  // int(4 · 0.1) = 0 steps
  EXPECT_EQ(run_sd_pipeline(model(), r).status().code(), StatusCode::kInvalidArgument);
}

TEST(SdPipeline, Bf16AgreesWithFp32) {
  auto loaded = load_sd_folder(fixture(""));
  ASSERT_TRUE(loaded.is_ok());
  loaded->text_encoder->set_dtype(torch::kBFloat16);
  loaded->unet->set_dtype(torch::kBFloat16);
  loaded->vae->set_bf16(true);  // as `--dtype bf16`: bf16 products in the VAE's convolutions too
  for (const char* name : {"t2i_1step", "t2i_4step"}) {
    auto bf16 = run(*loaded, t2i(name == std::string("t2i_1step") ? 1 : 4)).out.images;
    const double db = psnr(bf16, reference(std::string("pipe_") + name + "_image"));
    std::printf("  bf16 (text encoder, UNet, VAE convs) vs fp32 reference, %s image: PSNR %.1f dB\n",
                name, db);
    EXPECT_GE(db, 30.0) << name;
  }
}

// ------------------------------------------------------------------------------------------
// Engine on the same folder

TEST(SdEngine, LoadsTheFolderAsSdTurbo) {
  auto e = Engine::load(fixture(""));
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  const auto& info = (*e)->info();
  EXPECT_EQ(info.family, "sd-turbo");
  EXPECT_EQ(info.native_width, 64);
  EXPECT_EQ((*e)->steps_for(Quality::kLow), 1);
  EXPECT_EQ((*e)->steps_for(Quality::kMedium), 2);
  EXPECT_EQ((*e)->steps_for(Quality::kHigh), 4);

  GenerateRequest req;
  req.prompt = kPrompt;
  req.quality = Quality::kHigh;  // VAE
  req.steps = 4;
  auto noise = input("pipe_latents");
  req.init_noise.assign(noise.data_ptr<float>(), noise.data_ptr<float>() + noise.numel());
  req.init_noise_shape = noise.sizes().vec();
  req.return_tensor = true;
  auto r = (*e)->generate(req);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->guidance, 0);
  EXPECT_EQ(r->steps, 4);
  ASSERT_EQ(r->tensor_shape, (std::vector<int64_t>{1, 3, 64, 64}));
  auto t = torch::from_blob(r->tensor.data(), {1, 3, 64, 64}, torch::kFloat);
  expect_atol(t, reference("pipe_t2i_4step_image"), "engine t2i_4step image", 1e-3);
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].width, 64);
  // 8-bit image = round(255 · tensor)
  auto img = torch::from_blob(r->images[0].pixels.data(), {64, 64, 3}, torch::kUInt8).permute({2, 0, 1});
  EXPECT_LE((img.to(torch::kFloat) - t[0] * 255).abs().max().item<float>(), 0.5001f);

  // Edits: inpainting keeps every pixel outside the mask, exactly.
  GenerateRequest edit;
  edit.prompt = "a red square";
  edit.quality = Quality::kLow;  // 1 step, TAESD
  edit.seed = 3;
  Image src(64, 64, 3), mask(64, 64, 4);
  for (size_t i = 0; i < src.pixels.size(); ++i) src.pixels[i] = uint8_t(i * 7);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) mask.at(x, y)[3] = (x >= 20 && x < 40 && y >= 10 && y < 30) ? 0 : 255;
  edit.images = {src};
  edit.mask = mask;
  auto er = (*e)->generate(edit);
  ASSERT_TRUE(er.is_ok()) << er.status().message();
  int changed = 0;
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      const bool hole = mask.at(x, y)[3] == 0;
      for (int c = 0; c < 3; ++c) {
        if (!hole) ASSERT_EQ(er->images[0].at(x, y)[c], src.at(x, y)[c]);
        else changed += er->images[0].at(x, y)[c] != src.at(x, y)[c];
      }
    }
  EXPECT_GT(changed, 0);
  // Image-to-image at another size: generated at multiples of 8, resized back.
  GenerateRequest i2i;
  i2i.prompt = "a photo";
  i2i.steps = 4;
  i2i.strength = 0.5;
  i2i.images = {Image(50, 30, 3)};
  auto ir = (*e)->generate(i2i);
  ASSERT_TRUE(ir.is_ok()) << ir.status().message();
  EXPECT_EQ(ir->steps, 2);
  EXPECT_EQ(ir->images[0].width, 50);
  EXPECT_EQ(ir->images[0].height, 30);
  // An instruction edit (no mask, no strength) is not something SD does.
  GenerateRequest instr;
  instr.prompt = "make it blue";
  instr.images = {src};
  EXPECT_EQ((*e)->generate(instr).status().code(), StatusCode::kUnsupported);
  GenerateRequest bad_sampler = req;
  bad_sampler.sampler = "ddim";
  EXPECT_EQ((*e)->generate(bad_sampler).status().code(), StatusCode::kInvalidArgument);
}

TEST(SdEngine, LoadsASingleFileCheckpoint) {
  // The LDM-named fp16 file next to the folder's tokenizer/ and scheduler/ (trailing: SD-Turbo-like).
  auto e = Engine::load(fixture("sd-tiny-A-single-file-fp16.safetensors"));
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  EXPECT_EQ((*e)->info().family, "sd-turbo");
  EXPECT_EQ((*e)->info().name, "sd-tiny-A-single-file-fp16");
  // With the folder's configs as hints the file holds the same (fp16-exact) weights: same image.
  GenerateRequest req;
  req.prompt = kPrompt;
  req.steps = 4;
  req.quality = Quality::kHigh;
  auto noise = input("pipe_latents");
  req.init_noise.assign(noise.data_ptr<float>(), noise.data_ptr<float>() + noise.numel());
  req.init_noise_shape = noise.sizes().vec();
  req.return_tensor = true;
  auto r = (*e)->generate(req);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(r->tensor.size(), size_t(3 * 64 * 64));
  auto t = torch::from_blob(r->tensor.data(), {1, 3, 64, 64}, torch::kFloat);
  expect_atol(t, reference("pipe_t2i_4step_image"), "single-file t2i_4step image", 1e-3);
}

TEST(SdEngine, LoadErrorsAreClear) {
  auto dir = testing::temp_dir("engine-load");
  // A folder that is not a model.
  fs::create_directories(dir / "empty");
  auto e = Engine::load((dir / "empty").string());
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(e.status().message().find("is not a model"), std::string::npos) << e.status().message();
  // Another pipeline family.
  fs::create_directories(dir / "xl");
  std::ofstream(dir / "xl" / "model_index.json") << R"({"_class_name": "StableDiffusionXLPipeline"})";
  e = Engine::load((dir / "xl").string());
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(e.status().message().find("StableDiffusionXLPipeline is not supported"), std::string::npos)
      << e.status().message();
  // A copy of the fixture without merges.txt.
  const fs::path copy = dir / "no-merges";
  fs::remove_all(copy);
  fs::copy(fixture(""), copy, fs::copy_options::recursive);
  fs::remove(copy / "tokenizer" / "merges.txt");
  e = Engine::load(copy.string());
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().code(), StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("tokenizer/merges.txt is missing"), std::string::npos) << e.status().message();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pictor::engine::sd
