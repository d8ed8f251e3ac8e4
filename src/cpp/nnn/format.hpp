// The one formatter for numbers and file text in messages. A message must
// name the value the caller gave, so numbers are printed exactly: the
// shortest text that reads back as the same value (Python's repr), never
// std::to_string's fixed six decimals ("-0.000000" for -1e-300, 300 digits
// for 1e300).
#pragma once

#include <charconv>
#include <string>
#include <type_traits>

namespace nnn {

// 0.1 -> "0.1", 1e300 -> "1e+300", -1e-300 -> "-1e-300", NaN -> "nan"
inline std::string repr(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
inline std::string repr(I v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Text read from a file, in single quotes, with every byte outside
// printable ASCII written as \xNN: a corrupt file's bytes must reach the
// caller as a message every language can decode (Python raised
// UnicodeDecodeError on them and lost the file name).
inline std::string quoted(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "'";
  for (unsigned char ch : s) {
    if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
      out += static_cast<char>(ch);
    } else {
      out += "\\x";
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out + "'";
}

}  // namespace nnn
