#include "api/router.hpp"

namespace berth::api {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void Router::add(std::string method, std::string pattern, Handler h) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(h)});
}

namespace {

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Matches pattern segments [pi..] against path segments [si..], backtracking over greedy params.
bool match_from(const std::vector<std::string>& pat, size_t pi, const std::vector<std::string>& path, size_t si,
                std::map<std::string, std::string>& params) {
  if (pi == pat.size()) return si == path.size();
  const std::string& p = pat[pi];
  if (!is_param(p)) return si < path.size() && path[si] == p && match_from(pat, pi + 1, path, si + 1, params);
  std::string name = p.substr(1, p.size() - 2);
  if (name.back() != '*') {
    if (si >= path.size()) return false;
    params[name] = path[si];
    return match_from(pat, pi + 1, path, si + 1, params);
  }
  name.pop_back();
  // Longest first: "/images/a/json/json" names the image "a/json".
  for (size_t end = path.size(); end > si; --end) {
    if (!match_from(pat, pi + 1, path, end, params)) continue;
    std::string v;
    for (size_t k = si; k < end; ++k) v += (k > si ? "/" : "") + path[k];
    params[name] = v;
    return true;
  }
  return false;
}

}  // namespace

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch m;
  auto segs = split_path(path);
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match_from(r.segments, 0, segs, 0, params)) continue;
    if (r.method != method) {
      m.path_known = true;
      continue;
    }
    m.handler = &r.handler;
    m.params = std::move(params);
    return m;
  }
  return m;
}

}  // namespace berth::api
