// Minimal JSON for the core: a writer producing the canonical frames (fixed key order, no spaces,
// so the shared test vectors can be compared byte for byte) and a non-allocating reader over a
// text span (enough for the server's acks and commands; no DOM, no Arduino, no exceptions).
#pragma once
#include <cstdint>
#include <string>

namespace fadjma {
namespace json {

class Writer {
 public:
  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(const char* k);
  Writer& value(const char* s);
  Writer& value(const std::string& s) { return value(s.c_str()); }
  // Every integer type by name (int64_t is `long` on the host, `long long` on the ESP32).
  Writer& value(long long v);
  Writer& value(unsigned long long v);
  Writer& value(int v) { return value(static_cast<long long>(v)); }
  Writer& value(unsigned v) { return value(static_cast<unsigned long long>(v)); }
  Writer& value(long v) { return value(static_cast<long long>(v)); }
  Writer& value(unsigned long v) { return value(static_cast<unsigned long long>(v)); }
  Writer& value(bool b);
  Writer& centi(int32_t hundredths);  // 3685 -> 36.85, 3690 -> 36.9, 3700 -> 37
  Writer& raw(const std::string& json);  // an already-encoded JSON value
  const std::string& str() const { return out_; }

 private:
  void comma();
  std::string out_;
  bool need_comma_ = false;
};

// A view of one JSON value inside a text buffer (which must outlive it).
class Value {
 public:
  enum Type { Invalid, Null, Bool, Number, String, Object, Array };
  Value() = default;
  static Value parse(const char* text, size_t len);
  static Value parse(const std::string& s) { return parse(s.data(), s.size()); }
  static Value parse(const char* text);
  static Value parse(std::string&&) = delete;  // a Value must not point into a dying temporary
  Type type() const { return type_; }
  bool valid() const { return type_ != Invalid; }
  bool is_null() const { return type_ == Null; }
  Value get(const char* key) const;  // object member, Invalid if absent
  Value at(size_t index) const;      // array element, Invalid if absent
  size_t size() const;               // elements of an array / members of an object
  bool as_bool(bool fallback = false) const;
  bool get_int(int64_t* out) const;  // false unless an integral number
  int64_t as_int(int64_t fallback) const;
  bool as_double(double* out) const;
  std::string as_string() const;     // unescaped; empty unless a string
  std::string text() const { return std::string(begin_, end_ - begin_); }

 private:
  Value(Type t, const char* b, const char* e) : type_(t), begin_(b), end_(e) {}
  static const char* skip(const char* p, const char* end, Type* type);
  Type type_ = Invalid;
  const char* begin_ = nullptr;
  const char* end_ = nullptr;
};

}  // namespace json
}  // namespace fadjma
