// See json.h. The reader validates structure while skipping, so a truncated or malformed frame
// yields Invalid instead of reading past its end.
#include "json.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fadjma {
namespace json {

void Writer::comma() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}
Writer& Writer::begin_object() { comma(); out_ += '{'; need_comma_ = false; return *this; }
Writer& Writer::end_object() { out_ += '}'; need_comma_ = true; return *this; }
Writer& Writer::begin_array() { comma(); out_ += '['; need_comma_ = false; return *this; }
Writer& Writer::end_array() { out_ += ']'; need_comma_ = true; return *this; }

Writer& Writer::key(const char* k) {
  value(k);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

Writer& Writer::value(const char* s) {
  comma();
  out_ += '"';
  for (const char* p = s; *p; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') { out_ += '\\'; out_ += static_cast<char>(c); }
    else if (c == '\n') out_ += "\\n";
    else if (c < 0x20) { char buf[8]; snprintf(buf, sizeof buf, "\\u%04x", c); out_ += buf; }
    else out_ += static_cast<char>(c);
  }
  out_ += '"';
  return *this;
}

Writer& Writer::value(long long v) { comma(); out_ += std::to_string(v); return *this; }
Writer& Writer::value(unsigned long long v) { comma(); out_ += std::to_string(v); return *this; }
Writer& Writer::value(bool b) { comma(); out_ += b ? "true" : "false"; return *this; }
Writer& Writer::raw(const std::string& j) { comma(); out_ += j; return *this; }

Writer& Writer::centi(int32_t h) {
  comma();
  if (h < 0) { out_ += '-'; h = -h; }
  out_ += std::to_string(h / 100);
  int frac = h % 100;
  if (frac) {
    out_ += '.';
    out_ += static_cast<char>('0' + frac / 10);
    if (frac % 10) out_ += static_cast<char>('0' + frac % 10);
  }
  return *this;
}

static const char* ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) ++p;
  return p;
}

const char* Value::skip(const char* p, const char* end, Type* type) {
  p = ws(p, end);
  if (p >= end) return nullptr;
  char c = *p;
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    *type = c == '{' ? Object : Array;
    p = ws(p + 1, end);
    if (p < end && *p == close) return p + 1;
    while (p < end) {
      Type t;
      if (*type == Object) {
        p = skip(p, end, &t);
        if (!p || t != String) return nullptr;
        p = ws(p, end);
        if (p >= end || *p != ':') return nullptr;
        ++p;
      }
      p = skip(p, end, &t);
      if (!p) return nullptr;
      p = ws(p, end);
      if (p >= end) return nullptr;
      if (*p == close) return p + 1;
      if (*p != ',') return nullptr;
      ++p;
    }
    return nullptr;
  }
  if (c == '"') {
    *type = String;
    for (++p; p < end; ++p) {
      if (*p == '\\') { ++p; continue; }
      if (*p == '"') return p + 1;
    }
    return nullptr;
  }
  auto word = [&](const char* w, Type t) -> const char* {
    size_t n = strlen(w);
    if (static_cast<size_t>(end - p) < n || strncmp(p, w, n) != 0) return nullptr;
    *type = t;
    return p + n;
  };
  if (c == 't') return word("true", Bool);
  if (c == 'f') return word("false", Bool);
  if (c == 'n') return word("null", Null);
  if (c == '-' || (c >= '0' && c <= '9')) {
    *type = Number;
    ++p;
    while (p < end && (strchr("0123456789.eE+-", *p) != nullptr)) ++p;
    return p;
  }
  return nullptr;
}

Value Value::parse(const char* text, size_t len) {
  const char* end = text + len;
  const char* b = ws(text, end);
  Type t;
  const char* e = skip(b, end, &t);
  if (!e || ws(e, end) != end) return Value();
  return Value(t, b, e);
}

Value Value::parse(const char* text) { return parse(text, strlen(text)); }

Value Value::get(const char* key) const {
  if (type_ != Object) return Value();
  const char* p = ws(begin_ + 1, end_);
  size_t klen = strlen(key);
  while (p < end_ && *p != '}') {
    Type t;
    const char* kend = skip(p, end_, &t);
    bool match = kend && static_cast<size_t>(kend - p) == klen + 2 && strncmp(p + 1, key, klen) == 0;
    p = ws(kend, end_);
    ++p;  // ':'
    const char* vb = ws(p, end_);
    const char* ve = skip(vb, end_, &t);
    if (match) return Value(t, vb, ve);
    p = ws(ve, end_);
    if (p < end_ && *p == ',') p = ws(p + 1, end_);
  }
  return Value();
}

Value Value::at(size_t index) const {
  if (type_ != Array) return Value();
  const char* p = ws(begin_ + 1, end_);
  for (size_t i = 0; p < end_ && *p != ']'; ++i) {
    Type t;
    const char* e = skip(p, end_, &t);
    if (i == index) return Value(t, p, e);
    p = ws(e, end_);
    if (p < end_ && *p == ',') p = ws(p + 1, end_);
  }
  return Value();
}

size_t Value::size() const {
  size_t n = 0;
  if (type_ == Array) { while (at(n).valid()) ++n; return n; }
  if (type_ != Object) return 0;
  const char* p = ws(begin_ + 1, end_);
  while (p < end_ && *p != '}') {
    Type t;
    p = ws(skip(p, end_, &t), end_) + 1;
    p = ws(skip(ws(p, end_), end_, &t), end_);
    if (p < end_ && *p == ',') p = ws(p + 1, end_);
    ++n;
  }
  return n;
}

bool Value::as_bool(bool fallback) const {
  if (type_ != Bool) return fallback;
  return *begin_ == 't';
}

bool Value::get_int(int64_t* out) const {
  if (type_ != Number) return false;
  for (const char* p = begin_; p < end_; ++p)
    if (*p == '.' || *p == 'e' || *p == 'E') return false;
  std::string s(begin_, end_ - begin_);
  *out = strtoll(s.c_str(), nullptr, 10);
  return true;
}

int64_t Value::as_int(int64_t fallback) const {
  int64_t v;
  return get_int(&v) ? v : fallback;
}

bool Value::as_double(double* out) const {
  if (type_ != Number) return false;
  std::string s(begin_, end_ - begin_);
  *out = strtod(s.c_str(), nullptr);
  return true;
}

std::string Value::as_string() const {
  std::string out;
  if (type_ != String) return out;
  for (const char* p = begin_ + 1; p < end_ - 1; ++p) {
    if (*p != '\\') { out += *p; continue; }
    ++p;
    switch (*p) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'u': {  // BMP code point to UTF-8 (surrogates left as-is: ids and codes are ASCII)
        unsigned cp = static_cast<unsigned>(strtoul(std::string(p + 1, 4).c_str(), nullptr, 16));
        p += 4;
        if (cp < 0x80) out += static_cast<char>(cp);
        else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
        else { out += static_cast<char>(0xE0 | (cp >> 12)); out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
               out += static_cast<char>(0x80 | (cp & 0x3F)); }
        break;
      }
      default: out += *p;
    }
  }
  return out;
}

}  // namespace json
}  // namespace fadjma
