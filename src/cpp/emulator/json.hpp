// A minimal JSON reader for the emulator metadata (nnn_meta.json): objects,
// arrays, strings (with \u escapes to UTF-8), numbers, true/false/null.
// Not a general-purpose library: no writer, no streaming; errors throw
// std::runtime_error naming the byte offset.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nnn::json {

class Value {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Type type = Type::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // file order

  bool is_null() const { return type == Type::Null; }
  bool is_number() const { return type == Type::Number; }
  bool is_string() const { return type == Type::String; }
  bool is_array() const { return type == Type::Array; }
  bool is_object() const { return type == Type::Object; }

  // Member of an object, or nullptr (also when *this is not an object).
  const Value* find(const std::string& key) const;
};

// Parses a whole document; throws std::runtime_error("... at offset N").
Value parse(const std::string& text);

const char* type_name(Value::Type t);

}  // namespace nnn::json
