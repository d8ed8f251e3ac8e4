// Private to libnnn: the C handles' definitions and the thread-local error
// message shared by every C ABI translation unit (nnn_c.cpp,
// nnn_emulator_c.cpp), so that nnn_last_error() reports all of them.
#pragma once

#include <memory>
#include <string>

#include "nnn/network.hpp"

struct nnn_network {
  std::shared_ptr<const nnn::Network> net;
};

namespace nnn::capi {
inline thread_local std::string g_last_error;
}  // namespace nnn::capi
using nnn::capi::g_last_error;
