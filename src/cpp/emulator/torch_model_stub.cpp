// Built instead of torch_model.cpp when CMake did not find libtorch.
#include "model.hpp"
#include "nnn/status.hpp"

namespace nnn::emulator {

bool have_libtorch() { return false; }

std::string backend_version() { return "built without libtorch"; }

std::unique_ptr<EmulatorModel> load_torch_model(const std::string& path, std::string*,
                                                const std::string&) {
  throw Error(Status::EmulatorFile,
              "cannot load emulator model '" + path +
                  "': nnn was built without libtorch (reconfigure CMake with "
                  "-DTorch_DIR=$(python -c 'import torch; print(torch.utils.cmake_prefix_path)')/Torch)");
}

}  // namespace nnn::emulator
