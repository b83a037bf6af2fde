#include "common/process.hpp"

#include <csignal>
#include <cstring>
#include <strings.h>
#include <unistd.h>

#include <climits>

#include "common/fs.hpp"

namespace berth {

static std::optional<std::string> stat_after_comm(pid_t pid) {
  auto s = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!s) return std::nullopt;
  auto close = s->rfind(')');
  if (close == std::string::npos || close + 2 > s->size()) return std::nullopt;
  return s->substr(close + 2);  // starts at field 3 (state)
}

std::optional<unsigned long long> process_start_time(pid_t pid) {
  auto rest = stat_after_comm(pid);
  if (!rest) return std::nullopt;
  // field 3 is index 0 here; starttime is field 22 -> index 19
  size_t pos = 0;
  for (int i = 0; i < 19; ++i) {
    pos = rest->find(' ', pos);
    if (pos == std::string::npos) return std::nullopt;
    ++pos;
  }
  return std::stoull(rest->substr(pos));
}

bool process_running(pid_t pid) {
  auto rest = stat_after_comm(pid);
  if (!rest || rest->empty()) return false;
  return (*rest)[0] != 'Z' && (*rest)[0] != 'X';
}

namespace {
struct SigName {
  const char* name;
  int num;
};
constexpr SigName kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},   {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS},
};
}  // namespace

Result<int> parse_signal(std::string_view s) {
  if (s.empty()) return fail(ErrorKind::Invalid, "empty signal");
  if (s.find_first_not_of("0123456789") == std::string_view::npos) {
    int n = std::stoi(std::string(s));
    if (n <= 0 || n > SIGRTMAX) return fail(ErrorKind::Invalid, "invalid signal number " + std::string(s));
    return n;
  }
  std::string up(s);
  for (auto& c : up) c = static_cast<char>(toupper(c));
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (const auto& e : kSignals)
    if (up == e.name) return e.num;
  if (up.rfind("RTMIN", 0) == 0 || up.rfind("RTMAX", 0) == 0) {
    int base = up[2] == 'M' && up[3] == 'I' ? SIGRTMIN : SIGRTMAX;
    int off = 0;
    if (up.size() > 5) {
      try {
        off = std::stoi(up.substr(5));
      } catch (...) {
        return fail(ErrorKind::Invalid, "unknown signal " + std::string(s));
      }
    }
    int n = base + off;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  return fail(ErrorKind::Invalid, "unknown signal \"" + std::string(s) + "\"");
}

std::string signal_name(int sig) {
  for (const auto& e : kSignals)
    if (e.num == sig) return std::string("SIG") + e.name;
  return "SIG" + std::to_string(sig);
}

std::string sibling_executable(std::string_view name) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return std::string(name);
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + std::string(name);
}

}  // namespace berth
