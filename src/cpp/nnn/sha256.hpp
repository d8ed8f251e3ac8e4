// SHA-256 of a byte string (FIPS 180-4), used to tie emulators and results
// to the exact network file they came from.
#pragma once

#include <string>

namespace nnn {
std::string sha256_hex(const std::string& bytes);
}
