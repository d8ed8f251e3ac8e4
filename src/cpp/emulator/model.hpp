// The inference backend behind an interface, so that only torch_model.cpp
// includes the (slow to compile) libtorch headers. Without libtorch the build
// links torch_model_stub.cpp, whose loader fails with a clear message.
#pragma once

#include <memory>
#include <string>

namespace nnn::emulator {

// One loaded model: forward(x[n, n_in]) -> y[n, n_out], float32, row-major.
// forward is const and may be called by any number of threads at once; it
// throws nnn::Error(Status::EmulatorFile) if the module's output is not a
// float32 tensor of shape (n, n_out).
class EmulatorModel {
 public:
  virtual ~EmulatorModel() = default;
  // torch_threads > 0: libtorch intra-op threads for the calling thread
  // (at::set_num_threads, applied only when it differs); 0: leave as is.
  virtual void forward(const float* in, int n, int n_in, float* out, int n_out,
                       int torch_threads) const = 0;
  virtual std::string device() const = 0;
};

// True when libnnn was built with libtorch.
bool have_libtorch();
// "libtorch 2.x.y" or "built without libtorch".
std::string backend_version();

// Loads a TorchScript file saved with _extra_files={"nnn_meta.json": ...};
// *meta_json receives that file ("" if absent). device: "cpu" or "cuda[:k]"
// (inputs and outputs stay in host memory; the copies are done here).
// Throws nnn::Error(Status::EmulatorFile) naming the file and the problem.
std::unique_ptr<EmulatorModel> load_torch_model(const std::string& path, std::string* meta_json,
                                                const std::string& device = "cpu");

}  // namespace nnn::emulator
