// linux.seccomp -> BPF. libseccomp builds the filter in the parent and exports it as a BPF
// program; the child installs that program with one seccomp(2) call. So the child neither
// allocates nor runs libseccomp after fork (the caller may be a threaded shim), and every
// profile error is reported before a namespace exists.
#include "runtime/seccomp/seccomp.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "common/fd.hpp"
#include "common/json_util.hpp"
#include "common/log.hpp"
#include "runtime/seccomp/seccomp_cache.hpp"
#include "runtime/spec/spec_fields.hpp"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

namespace berth::runtime {

using nlohmann::json;

struct SeccompFilter::Impl {
  std::vector<sock_filter> program;
  unsigned long flags = 0;  // SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
  bool notify = false;
  bool from_cache = false;
  std::string listener_path, listener_metadata;
};

SeccompFilter::SeccompFilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SeccompFilter::~SeccompFilter() = default;
SeccompFilter::SeccompFilter(SeccompFilter&&) noexcept = default;
SeccompFilter& SeccompFilter::operator=(SeccompFilter&&) noexcept = default;

bool SeccompFilter::uses_notify() const { return impl_->notify; }
bool SeccompFilter::from_cache() const { return impl_->from_cache; }
const std::string& SeccompFilter::listener_path() const { return impl_->listener_path; }
const std::string& SeccompFilter::listener_metadata() const { return impl_->listener_metadata; }

// Runs in the forked child: no allocation on the success path.
Result<int> SeccompFilter::load() {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(impl_->program.size());
  prog.filter = impl_->program.data();
  unsigned long flags = impl_->flags;
  if (impl_->notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // With a listener the kernel cannot report the failing thread id, so it wants ESRCH instead.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;  // only meaningful with a listener
  }
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) return fail_sys("seccomp(SECCOMP_SET_MODE_FILTER)");
  if (impl_->notify) return static_cast<int>(rc);
  if (rc > 0)
    return fail(ErrorKind::Internal,
                "seccomp: SECCOMP_FILTER_FLAG_TSYNC: thread " + std::to_string(rc) + " could not be synchronised");
  return -1;
}

namespace {

std::string at(std::string_view path, size_t i) { return std::string(path) + "[" + std::to_string(i) + "]"; }

// Absent/null -> nullopt; otherwise an unsigned integer no larger than max.
Result<std::optional<uint64_t>> get_uint(const json& o, const char* key, std::string_view path, uint64_t max) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::optional<uint64_t>();
  std::string p = std::string(path) + "." + key;
  if (!it->is_number_integer()) return fail(json_type_error(p, "unsigned integer", *it));
  // JSON text gives non-negative numbers as unsigned, but a json built in code may hold signed ones.
  if (!it->is_number_unsigned() && it->get<int64_t>() < 0) return invalid(p, "must not be negative");
  uint64_t v = it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(it->get<int64_t>());
  if (v > max) return invalid(p, "value " + std::to_string(v) + " out of range (max " + std::to_string(max) + ")");
  return std::optional<uint64_t>(v);
}

constexpr uint64_t kMaxErrno = 0xffff;  // the action's data field is 16 bits wide

// An action name plus its optional errnoRet -> the libseccomp action value.
Result<uint32_t> parse_action(const std::string& name, std::optional<uint64_t> ret, std::string_view name_path,
                              std::string_view ret_path) {
  uint32_t data = ret ? static_cast<uint32_t>(*ret) : EPERM;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  std::optional<uint32_t> act;
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") act = SCMP_ACT_KILL_THREAD;
  else if (name == "SCMP_ACT_KILL_PROCESS") act = SCMP_ACT_KILL_PROCESS;
  else if (name == "SCMP_ACT_TRAP") act = SCMP_ACT_TRAP;
  else if (name == "SCMP_ACT_ALLOW") act = SCMP_ACT_ALLOW;
  else if (name == "SCMP_ACT_LOG") act = SCMP_ACT_LOG;
  else if (name == "SCMP_ACT_NOTIFY") act = SCMP_ACT_NOTIFY;
  if (!act) return invalid(name_path, "unknown action \"" + name + "\"");
  if (ret) return invalid(ret_path, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " + name);
  return *act;
}

constexpr std::pair<const char*, scmp_compare> kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr std::pair<const char*, unsigned long> kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

constexpr const char* kActions[] = {"SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
                                    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                    "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP"};

// The OCI names; each resolves through libseccomp's own table (see parse_arch).
constexpr const char* kArchs[] = {
    "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",      "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",  "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"};

Result<scmp_compare> parse_op(const std::string& op, std::string_view path) {
  for (auto& [n, v] : kOps)
    if (op == n) return v;
  return invalid(path, "unknown operator \"" + op + "\"");
}

// "SCMP_ARCH_X86_64" -> libseccomp's token via its own name table ("x86_64").
Result<uint32_t> parse_arch(const std::string& name, std::string_view path) {
  constexpr std::string_view prefix = "SCMP_ARCH_";
  if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size()) {
    std::string lower;
    for (char c : name.substr(prefix.size())) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == "native") return seccomp_arch_native();
    if (uint32_t tok = seccomp_arch_resolve_name(lower.c_str()); tok != 0) return tok;
  }
  return invalid(path, "unknown architecture \"" + name + "\"");
}

// Flags are passed to seccomp(2) by load(); probing with a NULL program tells whether the kernel
// knows them (EFAULT: flags accepted, program unreadable; EINVAL: unknown flag).
bool kernel_knows_flag(unsigned long flag) {
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, nullptr);
  return rc < 0 && errno == EFAULT;
}

bool flag_supported(unsigned long v) {
  // The kernel accepts WAIT_KILLABLE_RECV only together with NEW_LISTENER.
  return kernel_knows_flag(v == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? v | SECCOMP_FILTER_FLAG_NEW_LISTENER : v);
}

Result<unsigned long> parse_flag(const std::string& name, std::string_view path) {
  for (auto& [n, v] : kFlags) {
    if (name != n) continue;
    if (!flag_supported(v)) return invalid(path, name + " is not supported by this kernel");
    return v;
  }
  return invalid(path, "unknown flag \"" + name + "\"");
}

struct CtxDeleter {
  void operator()(void* c) const { seccomp_release(c); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

std::string rc_text(int rc) { return std::strerror(-rc); }

// Between loading a NOTIFY filter and exec, the runtime hands the listener fd to its parent with
// sendmsg and may write to its sync socket; notifying those would wait for a listener that cannot
// have the fd yet.
bool notify_would_deadlock(const std::string& name) { return name == "write" || name == "sendmsg"; }

Result<std::vector<scmp_arg_cmp>> parse_args(const json* args, const std::string& path) {
  std::vector<scmp_arg_cmp> out;
  if (!args) return out;
  for (size_t k = 0; k < args->size(); ++k) {
    const json& a = (*args)[k];
    std::string ap = at(path + ".args", k);
    if (!a.is_object()) return fail(json_type_error(ap, "object", a));
    auto index = BERTH_TRY(get_uint(a, "index", ap, 5), "");
    if (!index) return invalid(ap + ".index", "required field is missing");
    auto value = BERTH_TRY(get_uint(a, "value", ap, UINT64_MAX), "");
    if (!value) return invalid(ap + ".value", "required field is missing");
    auto value2 = BERTH_TRY(get_uint(a, "valueTwo", ap, UINT64_MAX), "");
    auto op_name = BERTH_TRY(get_str(a, "op", ap, true), "");
    auto op = BERTH_TRY(parse_op(op_name, ap + ".op"), "");
    // For SCMP_CMP_MASKED_EQ libseccomp wants (mask, datum): value is the mask, valueTwo the datum.
    out.push_back(scmp_arg_cmp{static_cast<unsigned>(*index), op, *value, value2.value_or(0)});
  }
  return out;
}

// libseccomp refuses two comparisons on the same argument in one rule; runc then falls back to
// one rule per comparison (any of them matching triggers the action), and so do we.
bool same_arg_twice(const std::vector<scmp_arg_cmp>& conds) {
  unsigned seen = 0;
  for (auto& c : conds) {
    if (seen & (1u << c.arg)) return true;
    seen |= 1u << c.arg;
  }
  return false;
}

Result<std::vector<sock_filter>> export_bpf(void* ctx) {
  UniqueFd mem(static_cast<int>(syscall(SYS_memfd_create, "berth-seccomp", MFD_CLOEXEC)));
  if (!mem) return fail_sys("memfd_create");
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc < 0) return fail(sys_error("seccomp_export_bpf", -rc));
  off_t size = lseek(mem.get(), 0, SEEK_END);
  if (size < 0) return fail_sys("lseek seccomp program");
  if (size == 0 || size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS)
    return fail(ErrorKind::Invalid, "seccomp program has " + std::to_string(size / sizeof(sock_filter)) +
                                        " instructions (limit " + std::to_string(BPF_MAXINSNS) + ")");
  std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(mem.get(), prog.data(), static_cast<size_t>(size), 0) != size) return fail_sys("read seccomp program");
  return prog;
}

}  // namespace

Result<SeccompFilter> compile_seccomp(const json& j, const std::string& cache_dir) {
  const std::string root = "linux.seccomp";
  if (!j.is_object()) return fail(json_type_error(root, "object", j));
  auto impl = std::make_unique<SeccompFilter::Impl>();

  auto default_name = BERTH_TRY(get_str(j, "defaultAction", root, true), "");
  auto default_ret = BERTH_TRY(get_uint(j, "defaultErrnoRet", root, kMaxErrno), "");
  uint32_t default_act =
      BERTH_TRY(parse_action(default_name, default_ret, root + ".defaultAction", root + ".defaultErrnoRet"), "");
  if (default_act == SCMP_ACT_NOTIFY)
    return invalid(root + ".defaultAction", "SCMP_ACT_NOTIFY cannot be the default action");

  impl->listener_path = BERTH_TRY(get_str(j, "listenerPath", root, false), "");
  impl->listener_metadata = BERTH_TRY(get_str(j, "listenerMetadata", root, false), "");
  if (!impl->listener_metadata.empty() && impl->listener_path.empty())
    return invalid(root + ".listenerMetadata", "set without listenerPath");
  if (!impl->listener_path.empty() && impl->listener_path[0] != '/')
    return invalid(root + ".listenerPath", "must be an absolute path");

  // Parse everything first; libseccomp only runs when the cache has no program for it.
  struct ArchReq {
    uint32_t token;
    std::string name, path;
  };
  std::vector<ArchReq> archs;
  if (auto list = BERTH_TRY(get_arr(j, "architectures", root), "")) {
    for (size_t i = 0; i < list->size(); ++i) {
      std::string p = at(root + ".architectures", i);
      const json& a = (*list)[i];
      if (!a.is_string()) return fail(json_type_error(p, "string", a));
      archs.push_back({BERTH_TRY(parse_arch(a.get<std::string>(), p), ""), a.get<std::string>(), p});
    }
  }

  if (auto flags = BERTH_TRY(get_arr(j, "flags", root), "")) {
    for (size_t i = 0; i < flags->size(); ++i) {
      std::string p = at(root + ".flags", i);
      const json& f = (*flags)[i];
      if (!f.is_string()) return fail(json_type_error(p, "string", f));
      impl->flags |= BERTH_TRY(parse_flag(f.get<std::string>(), p), "");
    }
  }

  struct Rule {
    uint32_t act;
    int nr;
    std::vector<scmp_arg_cmp> conds;
    std::string name, path;
  };
  std::vector<Rule> rules;
  if (auto calls = BERTH_TRY(get_arr(j, "syscalls", root), "")) {
    for (size_t i = 0; i < calls->size(); ++i) {
      std::string p = at(root + ".syscalls", i);
      const json& c = (*calls)[i];
      if (!c.is_object()) return fail(json_type_error(p, "object", c));
      auto names = BERTH_TRY(get_arr(c, "names", p), "");
      if (!names || names->empty()) return invalid(p + ".names", "must contain at least one syscall name");
      auto action_name = BERTH_TRY(get_str(c, "action", p, true), "");
      auto ret = BERTH_TRY(get_uint(c, "errnoRet", p, kMaxErrno), "");
      uint32_t act = BERTH_TRY(parse_action(action_name, ret, p + ".action", p + ".errnoRet"), "");
      auto conds = BERTH_TRY(parse_args(BERTH_TRY(get_arr(c, "args", p), ""), p), "");
      // Validate every name before skipping anything, so a bad entry is always reported.
      for (size_t k = 0; k < names->size(); ++k) {
        const json& n = (*names)[k];
        std::string np = at(p + ".names", k);
        if (!n.is_string()) return fail(json_type_error(np, "string", n));
        if (n.get<std::string>().empty()) return invalid(np, "empty syscall name");
        if (act == SCMP_ACT_NOTIFY && notify_would_deadlock(n.get<std::string>()))
          return invalid(np, "SCMP_ACT_NOTIFY cannot be used for \"" + n.get<std::string>() +
                                 "\" (the runtime needs it to hand over the listener fd)");
      }
      // libseccomp refuses rules that repeat the default action; they change nothing.
      if (act == default_act) continue;
      if (act == SCMP_ACT_NOTIFY) impl->notify = true;
      for (size_t k = 0; k < names->size(); ++k) {
        std::string name = (*names)[k].get<std::string>();
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
          log::debug("seccomp: skipping unknown syscall \"" + name + "\" (" + p + ")");
          continue;
        }
        rules.push_back({act, nr, conds, name, p});
      }
    }
  }
  if (impl->notify && impl->listener_path.empty())
    return invalid(root + ".listenerPath", "required when a rule uses SCMP_ACT_NOTIFY");

  // Everything the program depends on, in order: the cache entry must match it exactly.
  std::string key = "libseccomp " + std::to_string(SCMP_VER_MAJOR) + "." + std::to_string(SCMP_VER_MINOR) + "." +
                    std::to_string(SCMP_VER_MICRO) + " api " + std::to_string(seccomp_api_get()) + "\ndefault " +
                    std::to_string(default_act) + "\narchs";
  for (auto& a : archs) key += " " + std::to_string(a.token);
  for (auto& r : rules) {
    key += "\n" + std::to_string(r.act) + " " + std::to_string(r.nr);
    for (auto& c : r.conds)
      key += " " + std::to_string(c.arg) + ":" + std::to_string(c.op) + ":" + std::to_string(c.datum_a) + ":" +
             std::to_string(c.datum_b);
  }
  if (auto cached = seccomp_cache_load(cache_dir, key)) {
    impl->program = std::move(*cached);
    impl->from_cache = true;
    return SeccompFilter(std::move(impl));
  }

  Ctx ctx(seccomp_init(default_act));
  if (!ctx) return invalid(root + ".defaultAction", "libseccomp rejected \"" + default_name + "\"");
  // no_new_privs is the runtime's decision (process.noNewPrivileges), not the filter's.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    return fail(sys_error("seccomp_attr_set(CTL_NNP)", -rc));
  for (auto& a : archs) {
    int rc = seccomp_arch_add(ctx.get(), a.token);
    if (rc == -EDOM) return invalid(a.path, a.name + " has another byte order than this host");
    if (rc < 0 && rc != -EEXIST) return invalid(a.path, "add architecture: " + rc_text(rc));
  }
  for (auto& r : rules) {
    auto add = [&](unsigned n, const scmp_arg_cmp* a) -> Result<> {
      if (int rc = seccomp_rule_add_array(ctx.get(), r.act, r.nr, n, a); rc < 0)
        return invalid(r.path, "add rule for \"" + r.name + "\": " + rc_text(rc));
      return {};
    };
    if (same_arg_twice(r.conds)) {
      for (auto& cond : r.conds) BERTH_CHECK(add(1, &cond), "");
    } else {
      BERTH_CHECK(add(static_cast<unsigned>(r.conds.size()), r.conds.data()), "");
    }
  }
  impl->program = BERTH_TRY(export_bpf(ctx.get()), root);
  seccomp_cache_store(cache_dir, key, impl->program);
  return SeccompFilter(std::move(impl));
}

nlohmann::json seccomp_features() {
  json archs = json::array(), known = json::array(), supported = json::array(), ops = json::array();
  // Only what a filter on this host can hold: libseccomp refuses to mix byte orders.
  Ctx probe(seccomp_init(SCMP_ACT_ALLOW));
  for (const char* a : kArchs) {
    auto tok = parse_arch(a, "");
    if (!tok || !probe) continue;
    int rc = seccomp_arch_add(probe.get(), *tok);
    if (rc == 0 || rc == -EEXIST) archs.push_back(a);
  }
  for (auto& [n, v] : kFlags) {
    known.push_back(n);
    if (flag_supported(v)) supported.push_back(n);
  }
  for (auto& [n, v] : kOps) ops.push_back(n);
  return json{{"enabled", true},
              {"actions", kActions},
              {"operators", ops},
              {"archs", archs},
              {"knownFlags", known},
              {"supportedFlags", supported}};
}

}  // namespace berth::runtime
