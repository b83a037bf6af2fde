// Routes by method and path template. "{name}" matches one path segment; "{name*}" matches one
// or more segments, because image names contain slashes ("/images/127.0.0.1:5000/x/y/json").
// The first route added that matches wins.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http.hpp"
#include "common/error.hpp"

namespace berth::api {

// A handler answers through the exchange; an error it returns before answering becomes
// dockerd's JSON error ({"message": ...}) with the status of its kind.
using Handler = std::function<Result<>(Exchange&)>;

struct RouteMatch {
  const Handler* handler = nullptr;  // null: no route
  bool path_known = false;           // some route has this path with another method (405)
  std::map<std::string, std::string> params;
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler h);
  RouteMatch match(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// "/a/b/" -> {"a", "b"}; empty segments are dropped.
std::vector<std::string> split_path(std::string_view path);

}  // namespace berth::api
