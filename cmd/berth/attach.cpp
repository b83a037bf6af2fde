// Interactive containers on the CLI side: `berth attach`, and the attached half of `berth run`
// and `berth start -a`. The attach is hijacked before the start (no output is missed), output is
// written as it arrives (demultiplexed to stdout/stderr without a TTY), -i forwards stdin and
// half-closes at its EOF, -t puts the local terminal in raw mode, sends its size and follows
// SIGWINCH; the detach keys (--detach-keys, else detachKeys of the docker config, else
// ctrl-p,ctrl-q) end the attach and leave the container running. The terminal is restored on
// every way out, signals included.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "api/mux_stream.hpp"
#include "container_verbs.hpp"
#include "engine/attach_protocol.hpp"

namespace berth::cli {

namespace {

// The terminal as it was before raw mode; restored by the destructor, at exit and on the signals
// that would otherwise kill us in raw mode.
struct termios g_saved;
volatile sig_atomic_t g_raw = 0;

void restore_terminal() {
  if (g_raw) {
    tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
    g_raw = 0;
  }
}

void on_fatal_signal(int sig) {
  restore_terminal();
  signal(sig, SIG_DFL);
  raise(sig);
}

class RawTerminal {
 public:
  RawTerminal() {
    if (tcgetattr(STDIN_FILENO, &g_saved) != 0) return;
    static bool registered = false;
    if (!registered) {
      std::atexit(restore_terminal);
      registered = true;
    }
    for (int sig : {SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGABRT, SIGSEGV}) signal(sig, on_fatal_signal);
    struct termios raw = g_saved;
    cfmakeraw(&raw);  // output processing off too: the container's pty already made \r\n
    g_raw = 1;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0) g_raw = 0;
  }
  ~RawTerminal() { restore_terminal(); }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
};

int g_sig_pipe[2] = {-1, -1};

void on_forwarded_signal(int sig) {
  unsigned char b = static_cast<unsigned char>(sig);
  (void)!write(g_sig_pipe[1], &b, 1);
}

bool write_fd(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void send_size(api::ApiClient& c, const std::string& resize_path) {
  winsize ws{};
  int fd = isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return;
  (void)c.call("POST", resize_path + "?h=" + std::to_string(ws.ws_row) + "&w=" + std::to_string(ws.ws_col));
}

std::string config_detach_keys() {
  const char* dir = std::getenv("DOCKER_CONFIG");
  std::string path;
  if (dir && *dir)
    path = std::string(dir) + "/config.json";
  else if (const char* home = std::getenv("HOME"))
    path = std::string(home) + "/.docker/config.json";
  if (path.empty()) return "";
  std::ifstream in(path);
  if (!in) return "";
  auto j = nlohmann::json::parse(in, nullptr, false);
  return j.is_object() && j.contains("detachKeys") && j["detachKeys"].is_string() ? j["detachKeys"].get<std::string>()
                                                                                  : "";
}

std::string attach_query(const AttachOptions& o) {
  std::string qs = "stream=1&stdout=1&stderr=1";
  if (o.stdin_) qs += "&stdin=1";
  if (!o.detach_keys.empty()) qs += "&detachKeys=" + q(o.detach_keys);
  return qs;
}

}  // namespace

std::optional<std::string> resolve_detach_keys(Cli& cli, const std::string& flag) {
  std::string keys = flag.empty() ? config_detach_keys() : flag;
  if (keys.empty()) return std::string();
  if (auto k = engine::parse_detach_keys(keys); !k) {
    cli.error("Invalid detach keys (" + keys + ") provided");
    return std::nullopt;
  }
  return keys;
}

Result<AttachResult> attach_container(Cli& cli, const std::string& id, const AttachOptions& o,
                                      const std::function<Result<>()>& after_attach) {
  auto* c = cli.api();
  if (!c) return fail(ErrorKind::Unavailable, "no daemon");
  bool terminal = o.tty && o.stdin_ && isatty(STDIN_FILENO);
  auto h = BERTH_TRY(c->hijack(o.path.empty() ? "/containers/" + q(id) + "/attach?" + attach_query(o) : o.path, o.body), "");
  std::string resize_path = o.resize_path.empty() ? "/containers/" + q(id) + "/resize" : o.resize_path;
  if (h.status != 101 && h.status != 200) {
    api::ClientResponse r;
    r.status = h.status;
    r.body = h.body;
    return fail(ErrorKind::Internal, api::error_message(r));
  }
  if (after_attach) BERTH_CHECK(after_attach(), "");

  std::optional<RawTerminal> raw;
  if (terminal) raw.emplace();
  // SIGWINCH (with a TTY) and, without one, the signals docker proxies to the container.
  if (g_sig_pipe[0] < 0 && pipe2(g_sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return fail_sys("pipe");
  struct sigaction sa {};
  sa.sa_handler = on_forwarded_signal;
  sa.sa_flags = SA_RESTART;
  if (o.tty) {
    sigaction(SIGWINCH, &sa, nullptr);
    if (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO)) send_size(*c, resize_path);
  } else if (o.sig_proxy) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
  }

  AttachResult res;
  int fd = h.fd.get();
  engine::DetachMatcher detach(
      terminal
          ? BERTH_TRY(engine::parse_detach_keys(o.detach_keys.empty() ? engine::kDefaultDetachKeys : o.detach_keys), "")
          : "");
  api::MuxDecoder mux;
  auto output = [&](std::string_view data) -> bool {
    if (o.tty) return write_fd(STDOUT_FILENO, data);
    auto chunks = mux.feed(data);
    if (!chunks) return false;
    for (auto& ch : *chunks) write_fd(ch.stream == api::StdStream::Stderr ? STDERR_FILENO : STDOUT_FILENO, ch.data);
    return true;
  };
  if (!h.pending.empty() && !output(h.pending)) return fail(ErrorKind::Internal, "attach: malformed output stream");
  bool stdin_open = o.stdin_, stdin_eof_sent = false;
  std::string to_daemon;  // stdin not sent yet: the connection is never written blocking
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  auto flush = [&]() -> bool {
    while (!to_daemon.empty()) {
      ssize_t n = send(fd, to_daemon.data(), to_daemon.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) return false;
      to_daemon.erase(0, static_cast<size_t>(n));
    }
    if (!stdin_open && o.stdin_ && !stdin_eof_sent) {
      shutdown(fd, SHUT_WR);  // stdin's EOF, after all of it
      stdin_eof_sent = true;
    }
    return true;
  };
  char buf[32 * 1024];
  while (true) {
    bool take = stdin_open && to_daemon.size() < 256 * 1024;
    short ev = POLLIN | (to_daemon.empty() ? 0 : POLLOUT);
    pollfd fds[3] = {{fd, ev, 0}, {take ? STDIN_FILENO : -1, POLLIN, 0}, {g_sig_pipe[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents & POLLIN) {
      unsigned char sig;
      while (read(g_sig_pipe[0], &sig, 1) == 1) {
        if (sig == SIGWINCH)
          send_size(*c, resize_path);
        else
          (void)c->call("POST", "/containers/" + q(id) + "/kill?signal=" + std::to_string(sig));
      }
    }
    if ((fds[0].revents & POLLOUT) && !flush()) to_daemon.clear();
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        stdin_open = false;
        to_daemon += detach.take_pending();
      } else {
        to_daemon += detach.feed(std::string_view(buf, static_cast<size_t>(n)));
        if (detach.detached()) {
          res.detached = true;
          break;
        }
      }
      if (!flush()) {
        to_daemon.clear();
        stdin_open = false;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      if (!output(std::string_view(buf, static_cast<size_t>(n))))
        return fail(ErrorKind::Internal, "attach: malformed output stream");
    }
  }
  if (o.tty)
    signal(SIGWINCH, SIG_DFL);
  else if (o.sig_proxy)
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) signal(sig, SIG_DFL);
  return res;
}

int container_exit_status(Cli& cli, const std::string& id, const std::string& condition) {
  auto* c = cli.api();
  if (!c) return 125;
  auto w = c->call("POST", "/containers/" + q(id) + "/wait?condition=" + condition);
  if (!w) return cli.error(w.error().what()), 125;
  if (w->status != 200) return cli.daemon_error(*w), 125;
  auto wj = nlohmann::json::parse(w->body, nullptr, false);
  return wj.is_object() ? wj.value("StatusCode", 125) : 125;
}

int start_attached(Cli& cli, const std::string& name, bool interactive, const std::string& detach_keys) {
  auto j = cli.get_json("/containers/" + q(name) + "/json");
  if (!j) return 1;
  std::string id = j->value("Id", name);
  auto& cfg = (*j)["Config"];
  AttachOptions o;
  o.tty = cfg.value("Tty", false);
  o.stdin_ = interactive && cfg.value("OpenStdin", false);
  auto keys = resolve_detach_keys(cli, detach_keys);
  if (!keys) return 1;
  o.detach_keys = *keys;
  if (o.tty && o.stdin_ && !isatty(STDIN_FILENO)) return cli.error("the input device is not a TTY");
  auto r = attach_container(cli, id, o, [&]() -> Result<> {
    auto s = cli.api()->call("POST", "/containers/" + q(id) + "/start");
    if (!s) return fail(s.error());
    if (s->status >= 300 && s->status != 304) return fail(ErrorKind::Internal, api::error_message(*s));
    return {};
  });
  if (!r) {
    std::fprintf(stderr, "Error response from daemon: %s\n", r.error().what().c_str());
    return 1;
  }
  if (r->detached) return 0;
  return container_exit_status(cli, id);
}

void add_attach(CLI::App& app, Cli& cli) {
  struct Opts {
    std::string container, detach_keys;
    bool no_stdin = false, sig_proxy = true;
  };
  auto o = std::make_shared<Opts>();
  auto* sub =
      app.add_subcommand("attach", "Attach local standard input, output, and error streams to a running container");
  sub->add_option("container", o->container, "CONTAINER")->required();
  sub->add_option("--detach-keys", o->detach_keys, "Override the key sequence for detaching a container");
  sub->add_flag("--no-stdin", o->no_stdin, "Do not attach STDIN");
  sub->add_flag("--sig-proxy,!--no-sig-proxy", o->sig_proxy, "Proxy all received signals to the process");
  sub->callback([&cli, o] {
    auto j = cli.get_json("/containers/" + q(o->container) + "/json");
    if (!j) return (void)(cli.exit_code = 1);
    std::string id = j->value("Id", o->container);
    auto& state = (*j)["State"];
    if (!state.value("Running", false)) {
      cli.exit_code = cli.error("You cannot attach to a stopped container, start it first");
      return;
    }
    auto& cfg = (*j)["Config"];
    AttachOptions ao;
    ao.tty = cfg.value("Tty", false);
    ao.stdin_ = !o->no_stdin && cfg.value("OpenStdin", false);
    ao.sig_proxy = o->sig_proxy;
    auto keys = resolve_detach_keys(cli, o->detach_keys);
    if (!keys) return (void)(cli.exit_code = 1);
    ao.detach_keys = *keys;
    if (ao.tty && ao.stdin_ && !isatty(STDIN_FILENO)) {
      cli.exit_code = cli.error("the input device is not a TTY");
      return;
    }
    auto r = attach_container(cli, id, ao, {});
    if (!r) {
      cli.exit_code = cli.error(r.error().what());
      return;
    }
    if (r->detached) {  // as docker attach: the detach is reported as its error
      std::fprintf(stderr, "read escape sequence\n");
      cli.exit_code = 1;
      return;
    }
    cli.exit_code = container_exit_status(cli, id);
  });
}

}  // namespace berth::cli
