// Private to libnnn: the C handles' definitions and the helpers shared by
// every C ABI translation unit (nnn_c.cpp, nnn_emulator_c.cpp): exceptions
// become a status code plus the thread-local message nnn_last_error() returns.
#pragma once

#include <memory>
#include <new>
#include <string>

#include "nnn.h"
#include "nnn/burn.hpp"
#include "nnn/network.hpp"
#include "nnn/status.hpp"

struct nnn_network {
  std::shared_ptr<const nnn::Network> net;
};

namespace nnn::capi {

inline thread_local std::string g_last_error;

inline int fail(int status, const std::string& msg) {
  g_last_error = msg;
  return status;
}

// Runs f() and turns any exception into a status code and message.
template <class F>
int guarded(F&& f) {
  try {
    g_last_error.clear();
    return f();
  } catch (const nnn::Error& e) {
    return fail(static_cast<int>(e.status()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(NNN_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    return fail(NNN_INTERNAL, e.what());
  } catch (...) {
    return fail(NNN_INTERNAL, "unknown error");
  }
}

inline nnn::BurnOptions to_options(const nnn_options* o) {
  nnn::BurnOptions b;
  if (o) {
    b.rtol = o->rtol;
    b.atol = o->atol;
    b.max_steps = o->max_steps;
  }
  return b;
}

// Input rejected before any work: every zone carries that status.
inline int mark_rejected(int status, int* zone_status, int n_zones) {
  if (zone_status && (status == NNN_BAD_INPUT || status == NNN_INTERNAL))
    for (int z = 0; z < n_zones; ++z) zone_status[z] = status;
  return status;
}

}  // namespace nnn::capi

using nnn::capi::fail;
using nnn::capi::mark_rejected;
using nnn::capi::g_last_error;
using nnn::capi::guarded;
using nnn::capi::to_options;

#define NNN_REQUIRE(ptr, name) \
  if (!(ptr)) return fail(NNN_BAD_INPUT, std::string(name) + " is NULL")
