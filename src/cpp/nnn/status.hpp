// Status codes shared by the C++ API, the C ABI and the Fortran module.
#pragma once

#include <stdexcept>
#include <string>

namespace nnn {

enum class Status : int {
  Ok = 0,
  BadInput = 1,        // a field has an invalid value (the message names it)
  NetworkFile = 2,     // missing, unreadable or corrupt network file
  IntegratorFailed = 3,// step size underflow, too many steps, non-finite state
  EmulatorFile = 4,    // missing, corrupt or mismatched emulator model
  Internal = 5,        // a bug: please report
  OutOfDomain = 6,     // a burn's state left the rates' or EOS's domain (self-heating T), or its captures the network's physics
};

class Error : public std::runtime_error {
 public:
  Error(Status s, const std::string& msg) : std::runtime_error(msg), status_(s) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

}  // namespace nnn
