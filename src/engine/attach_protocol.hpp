// The attach protocol between berthd and a berth-shim, over the unix socket the shim serves in
// its state dir (attach.sock, mode 0600: only berthd, as root, connects). Every message is a
// frame: a 1-byte type, the payload length as a 4-byte big-endian integer, the payload.
//
//   berthd -> shim   Attach      (empty)        subscribe this connection to the live output
//                    Stdin       bytes          for the container's stdin (pipe or pty master)
//                    CloseStdin  (empty)        EOF on the container's stdin (non-TTY)
//                    Resize      rows, cols     two 4-byte big-endian integers, each <= 65535
//                    Exec        JSON           run a process in the container (exec_request.hpp);
//                                               the connection becomes that exec's: its Stdin,
//                                               CloseStdin and Resize go to the exec, which
//                                               sends its output, then ExecExit, then closes
//                    ExecResize  JSON           the terminal size of a running exec, by pid
//                    ReopenLog   (empty)        close the log file and open its path again (a
//                                               CRI log the kubelet renamed for rotation)
//   shim -> berthd   Stdout      bytes          output as it is read (TTY output is all Stdout)
//                    Stderr      bytes
//                    ExecStarted pid            the exec's process runs (pid in decimal)
//                    ExecExit    JSON           how it ended (exec_request.hpp)
//                    Error       text           the frame was refused; the shim closes the
//                                               connection after it
//
// The shim closes every connection once the container's output has reached EOF. A frame of an
// unknown type, or longer than kMaxFramePayload, is a protocol error.
//
// Also here: docker's detach keys ("ctrl-p,ctrl-q"), shared by berthd and the berth CLI.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::engine {

enum class FrameType : uint8_t {
  Attach = 1,
  Stdin = 2,
  CloseStdin = 3,
  Resize = 4,
  Exec = 5,
  ExecResize = 6,
  ReopenLog = 7,
  Stdout = 0x11,
  Stderr = 0x12,
  ExecStarted = 0x13,
  ExecExit = 0x14,
  Error = 0x1f,
};

inline constexpr size_t kFrameHeader = 5;
inline constexpr size_t kMaxFramePayload = 64 * 1024;
inline constexpr uint32_t kMaxWinSize = 65535;  // struct winsize holds unsigned shorts
inline constexpr const char* kAttachSocket = "attach.sock";

struct Frame {
  FrameType type;
  std::string payload;
};

// The bytes of one frame; payload longer than kMaxFramePayload is split into several frames.
std::string encode_frame(FrameType type, std::string_view payload = {});
std::string encode_resize(uint32_t rows, uint32_t cols);
// rows and cols of a Resize payload: an Invalid error for a wrong length or a value > 65535.
Result<std::pair<uint32_t, uint32_t>> decode_resize(std::string_view payload);

// Reassembles frames from arbitrarily split input. After an error it stays failed.
class FrameDecoder {
 public:
  void feed(std::string_view data) { buf_.append(data); }
  // The next complete frame, nullopt when more input is needed, an Invalid error for garbage.
  Result<std::optional<Frame>> next();
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// The shim's listening socket in state_dir (mode 0600, non-blocking, close-on-exec), and
// berthd's connection to it. Both go through /proc/self/fd/<dir> so that a long exec root
// cannot overflow sun_path.
Result<UniqueFd> listen_attach_socket(const std::string& state_dir);
Result<UniqueFd> connect_attach_socket(const std::string& state_dir);

// Docker's detach keys: comma-separated, each one character or "ctrl-<c>" for c in a-z, @, [,
// \, ], ^, _ (or "DEL"). Empty input is an error, as in docker ("Unknown character: ''").
Result<std::string> parse_detach_keys(std::string_view keys);
inline constexpr const char* kDefaultDetachKeys = "ctrl-p,ctrl-q";

// Watches a stdin stream for the detach sequence however the bytes are split. feed() returns the
// bytes to forward; a partial match is held back until it completes (detached() turns true and
// the held bytes are dropped) or fails (they are forwarded with what follows).
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  std::string feed(std::string_view data);
  bool detached() const { return detached_; }
  // Bytes held back by a partial match (to forward at EOF).
  std::string take_pending();

 private:
  std::string keys_;
  size_t matched_ = 0;
  bool detached_ = false;
};

}  // namespace berth::engine
