#include "go_template.hpp"

#include <algorithm>

#include "common/fs.hpp"

namespace berth::cli {

namespace {

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 't' || s[i + 1] == 'n')) {
      out += s[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string plain(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "<no value>";
  if (v.is_array()) {  // Go prints slices as [a b c]
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + plain(v[i]);
    return s + "]";
  }
  if (v.is_object()) {
    std::string s = "map[";
    bool first = true;
    for (auto& [k, e] : v.items()) {
      s += (first ? "" : " ") + k + ":" + plain(e);
      first = false;
    }
    return s + "]";
  }
  return v.dump();
}

}  // namespace

Result<GoTemplate> GoTemplate::parse(std::string_view text, const std::map<std::string, std::string>& headers) {
  GoTemplate t;
  t.headers_ = headers;
  std::string s = unescape(text);
  if (s.starts_with("table")) {
    t.table_ = true;
    s = trim(s.substr(5));
  }
  size_t pos = 0;
  while (pos < s.size()) {
    auto open = s.find("{{", pos);
    if (open == std::string::npos) {
      t.parts_.push_back({true, s.substr(pos), false, {}});
      break;
    }
    if (open > pos) t.parts_.push_back({true, s.substr(pos, open - pos), false, {}});
    auto close = s.find("}}", open);
    if (close == std::string::npos) return fail(ErrorKind::Invalid, "template: unclosed action in \"" + s + "\"");
    std::string action = trim(s.substr(open + 2, close - open - 2));
    Part p;
    p.literal = false;
    if (action.starts_with("json ")) {
      p.json = true;
      action = trim(action.substr(5));
    }
    if (action.empty() || action[0] != '.')
      return fail(ErrorKind::Invalid, "template: unsupported action \"{{" + action + "}}\"");
    if (action != ".") {
      size_t i = 1;
      while (i <= action.size()) {
        auto dot = action.find('.', i);
        if (dot == std::string::npos) dot = action.size();
        p.path.push_back(action.substr(i, dot - i));
        i = dot + 1;
      }
    }
    t.parts_.push_back(std::move(p));
    pos = close + 2;
  }
  return t;
}

std::string GoTemplate::header() const {
  std::string out;
  for (auto& p : parts_) {
    if (p.literal) {
      out += p.text;
      continue;
    }
    std::string name = p.path.empty() ? "" : p.path.back();
    auto it = headers_.find(name);
    if (it != headers_.end()) {
      out += it->second;
    } else {
      for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::string GoTemplate::render(const nlohmann::json& v) const {
  std::string out;
  for (auto& p : parts_) {
    if (p.literal) {
      out += p.text;
      continue;
    }
    const nlohmann::json* cur = &v;
    static const nlohmann::json null_value;
    for (auto& k : p.path) {
      if (cur->is_object() && cur->contains(k)) cur = &(*cur)[k];
      else {
        cur = &null_value;
        break;
      }
    }
    out += p.json ? cur->dump() : plain(*cur);
  }
  return out;
}

std::string align_columns(const std::vector<std::string>& rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  for (auto& r : rows) {
    std::vector<std::string> c;
    size_t pos = 0;
    while (true) {
      auto tab = r.find('\t', pos);
      c.push_back(r.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    for (size_t i = 0; i + 1 < c.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max({width[i], c[i].size() + 3, size_t{10}});
    }
    cells.push_back(std::move(c));
  }
  std::string out;
  for (auto& c : cells) {
    std::string line;
    for (size_t i = 0; i < c.size(); ++i) {
      line += c[i];
      if (i + 1 < c.size()) line += std::string(width[i] - c[i].size(), ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace berth::cli
