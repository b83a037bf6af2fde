// One HTTP exchange as route handlers see it: the parsed request, its body (read whole with a
// limit, or streamed), and one way to answer (a whole response, a chunked stream, or a hijacked
// raw connection). No Boost here: handlers and the engine never compile Beast.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::api {

struct Request {
  std::string method;       // "GET"
  std::string target;       // as sent: "/v1.50/images/json?all=1"
  std::string path;         // decoded, without the /vNN prefix: "/images/json"
  std::string api_version;  // from the prefix, else the highest served
  std::map<std::string, std::string> headers;             // lower-case names
  std::multimap<std::string, std::string> query;          // decoded
  std::map<std::string, std::string> params;              // path parameters from the route

  std::string header(const std::string& lower_name) const;
  std::optional<std::string> query_value(const std::string& key) const;
  std::vector<std::string> query_values(const std::string& key) const;
  // Docker's boolean query values: "1", "true", "True" are true; absent is `def`.
  bool query_bool(const std::string& key, bool def = false) const;
  std::string param(const std::string& name) const;
};

// A connection taken over by the handler after "101 UPGRADED": raw bytes both ways.
struct Hijacked {
  UniqueFd fd;
  std::string pending;  // bytes the client sent after the request that the parser already read
};

enum class WaitResult { Ready, ClientGone, Timeout };

class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual Request& request() = 0;

  // The whole body; an Invalid error when it is longer than limit.
  virtual Result<std::string> read_body(size_t limit) = 0;
  // Up to n bytes of the body; 0 at its end.
  virtual Result<size_t> read_body_some(char* buf, size_t n) = 0;

  // A complete response. extra: more headers.
  virtual Result<> reply(int status, std::string_view content_type, std::string_view body,
                         const std::map<std::string, std::string>& extra = {}) = 0;
  // A chunked response, written as it is produced (progress, events, archives).
  virtual Result<> start_stream(int status, std::string_view content_type) = 0;
  // The same with more headers (docker cp's path stat); exchanges that cannot send them refuse.
  virtual Result<> start_stream_with_headers(int, std::string_view, const std::map<std::string, std::string>&) {
    return fail(ErrorKind::Internal, "this exchange cannot stream with extra headers");
  }
  virtual Result<> write(std::string_view data) = 0;
  virtual Result<> finish_stream() = 0;
  virtual bool responded() const = 0;

  // Blocks until fd is readable (Ready), the client hangs up (ClientGone) or timeout_ms passes
  // (-1: no timeout). fd < 0 waits for the client only. Lets a stream sleep without polling.
  virtual WaitResult wait(int fd, int timeout_ms) = 0;

  // Answers 101 UPGRADED (when the client asked for "Upgrade: tcp") or 200, with content_type,
  // and hands the raw connection over. The exchange is finished afterwards.
  virtual Result<Hijacked> hijack(std::string_view content_type) = 0;
};

}  // namespace berth::api
