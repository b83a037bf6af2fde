#include "engine/attach_protocol.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "common/big_endian.hpp"

namespace berth::engine {

namespace {

bool known_type(uint8_t t) {
  switch (static_cast<FrameType>(t)) {
    case FrameType::Attach:
    case FrameType::Stdin:
    case FrameType::CloseStdin:
    case FrameType::Resize:
    case FrameType::Exec:
    case FrameType::ExecResize:
    case FrameType::ReopenLog:
    case FrameType::Stdout:
    case FrameType::Stderr:
    case FrameType::ExecStarted:
    case FrameType::ExecExit:
    case FrameType::Error:
      return true;
  }
  return false;
}

}  // namespace

std::string encode_frame(FrameType type, std::string_view payload) {
  std::string out;
  do {
    auto part = payload.substr(0, kMaxFramePayload);
    payload.remove_prefix(part.size());
    out.push_back(static_cast<char>(type));
    put_be32(out, static_cast<uint32_t>(part.size()));
    out.append(part);
  } while (!payload.empty());
  return out;
}

std::string encode_resize(uint32_t rows, uint32_t cols) {
  std::string p;
  put_be32(p, rows);
  put_be32(p, cols);
  return encode_frame(FrameType::Resize, p);
}

Result<std::pair<uint32_t, uint32_t>> decode_resize(std::string_view payload) {
  if (payload.size() != 8)
    return fail(ErrorKind::Invalid, "resize: payload of " + std::to_string(payload.size()) + " bytes, want 8");
  uint32_t rows = get_be32(payload), cols = get_be32(payload.substr(4));
  if (rows > kMaxWinSize || cols > kMaxWinSize)
    return fail(ErrorKind::Invalid, "resize: " + std::to_string(rows) + "x" + std::to_string(cols) +
                                        " is out of range (at most " + std::to_string(kMaxWinSize) + ")");
  return std::pair{rows, cols};
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (failed_) return fail(ErrorKind::Invalid, "attach protocol: stream already failed");
  if (buffered() < kFrameHeader) return std::optional<Frame>{};
  std::string_view head = std::string_view(buf_).substr(pos_, kFrameHeader);
  auto type = static_cast<uint8_t>(head[0]);
  uint32_t len = get_be32(head.substr(1));
  if (!known_type(type)) {
    failed_ = true;
    return fail(ErrorKind::Invalid, "attach protocol: unknown frame type " + std::to_string(type));
  }
  if (len > kMaxFramePayload) {
    failed_ = true;
    return fail(ErrorKind::Invalid, "attach protocol: frame of " + std::to_string(len) +
                                        " bytes exceeds the limit of " + std::to_string(kMaxFramePayload));
  }
  if (buffered() < kFrameHeader + len) return std::optional<Frame>{};
  Frame f{static_cast<FrameType>(type), buf_.substr(pos_ + kFrameHeader, len)};
  pos_ += kFrameHeader + len;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return std::optional<Frame>{std::move(f)};
}

namespace {

struct DirAddr {
  UniqueFd dir;
  sockaddr_un sa{};
};

Result<DirAddr> dir_addr(const std::string& state_dir) {
  DirAddr a;
  a.dir = UniqueFd(open(state_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!a.dir) return fail_sys("open " + state_dir);
  a.sa.sun_family = AF_UNIX;
  std::string p = "/proc/self/fd/" + std::to_string(a.dir.get()) + "/" + kAttachSocket;
  std::memcpy(a.sa.sun_path, p.c_str(), p.size() + 1);
  return a;
}

}  // namespace

Result<UniqueFd> listen_attach_socket(const std::string& state_dir) {
  auto a = BERTH_TRY(dir_addr(state_dir), "attach socket");
  unlinkat(a.dir.get(), kAttachSocket, 0);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_sys("attach socket");
  mode_t old = umask(0177);
  int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&a.sa), sizeof a.sa);
  umask(old);
  if (rc != 0) return fail_sys("bind attach socket in " + state_dir);
  if (fchmodat(a.dir.get(), kAttachSocket, 0600, 0) != 0) return fail_sys("chmod attach socket");
  if (listen(fd.get(), 16) != 0) return fail_sys("listen on attach socket");
  return fd;
}

Result<UniqueFd> connect_attach_socket(const std::string& state_dir) {
  auto a = BERTH_TRY(dir_addr(state_dir), "attach socket");
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys("attach socket");
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a.sa), sizeof a.sa) != 0)
    return fail_sys("connect to the shim's attach socket");
  return fd;
}

Result<std::string> parse_detach_keys(std::string_view keys) {
  static constexpr std::array<const char*, 32> kCtrl = {
      "ctrl-@", "ctrl-a", "ctrl-b", "ctrl-c", "ctrl-d", "ctrl-e", "ctrl-f",  "ctrl-g", "ctrl-h", "ctrl-i", "ctrl-j",
      "ctrl-k", "ctrl-l", "ctrl-m", "ctrl-n", "ctrl-o", "ctrl-p", "ctrl-q",  "ctrl-r", "ctrl-s", "ctrl-t", "ctrl-u",
      "ctrl-v", "ctrl-w", "ctrl-x", "ctrl-y", "ctrl-z", "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"};
  std::string out;
  size_t start = 0;
  while (true) {
    size_t comma = keys.find(',', start);
    std::string_view key = keys.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (key.size() == 1) {
      out.push_back(key[0]);
    } else if (key == "DEL") {
      out.push_back(static_cast<char>(127));
    } else {
      bool found = false;
      for (size_t code = 0; code < kCtrl.size(); ++code)
        if (key == kCtrl[code]) {
          out.push_back(static_cast<char>(code));
          found = true;
          break;
        }
      if (!found) return fail(ErrorKind::Invalid, "Unknown character: '" + std::string(key) + "'");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string DetachMatcher::feed(std::string_view data) {
  std::string out;
  if (detached_) return out;
  if (keys_.empty()) return std::string(data);
  for (char ch : data) {
    if (ch == keys_[matched_]) {
      if (++matched_ == keys_.size()) {
        detached_ = true;  // the sequence is consumed; whatever follows is not forwarded
        return out;
      }
      continue;
    }
    // A failed partial match: the held bytes go out, and this byte may start a new match.
    out.append(keys_, 0, matched_);
    matched_ = 0;
    if (ch == keys_[0]) {
      matched_ = 1;
      if (keys_.size() == 1) {
        detached_ = true;
        return out;
      }
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string DetachMatcher::take_pending() {
  std::string held = detached_ ? "" : keys_.substr(0, matched_);
  matched_ = 0;
  return held;
}

}  // namespace berth::engine
