#include "runtime/cgroup/cgroup_devices_bpf.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"

namespace berth::runtime {

using nlohmann::json;

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
bpf_insn alu_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn jmp_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm); }
bpf_insn jmp_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_JMP | op | BPF_X, dst, src, off, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int access_bits(const std::string& a) {
  int bits = 0;
  for (char c : a) bits |= c == 'm' ? BPF_DEVCG_ACC_MKNOD : c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
  return bits;
}

long bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

std::vector<bpf_insn> device_filter_program(const json& rules) {
  // Registers: r2 = device type, r3 = requested access, r4 = major, r5 = minor.
  std::vector<bpf_insn> p = {
      ldx_w(2, 1, 0), alu_imm(BPF_AND, 2, 0xffff),  // access_type low half: BPF_DEVCG_DEV_*
      ldx_w(3, 1, 0), alu_imm(BPF_RSH, 3, 16),      // high half: BPF_DEVCG_ACC_*
      ldx_w(4, 1, 4), ldx_w(5, 1, 8),
  };
  bool default_allow = true;  // a cgroup without rules inherits "a *:* rwm"
  size_t first = 0;
  for (size_t i = 0; i < rules.size(); ++i)
    if (cg::opt_s(rules[i], "type").value_or("a") == "a") {
      default_allow = rules[i].at("allow").get<bool>();
      first = i + 1;
    }
  // Last rule wins: test the rules from the end, the first match returns.
  for (size_t k = rules.size(); k-- > first;) {
    const json& r = rules[k];
    bool allow = r.at("allow").get<bool>();
    std::string type = cg::opt_s(r, "type").value_or("a");
    int acc = access_bits(cg::opt_s(r, "access").value_or("rwm"));
    if (acc == 0) acc = access_bits("rwm");
    std::vector<bpf_insn> block;
    std::vector<size_t> to_next;  // jumps to patch to the end of this block
    block.push_back(jmp_imm(BPF_JNE, 2, type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    to_next.push_back(block.size() - 1);
    if (acc != access_bits("rwm")) {
      block.push_back(mov_reg(1, 3));
      block.push_back(alu_imm(BPF_AND, 1, acc));
      if (allow) block.push_back(jmp_reg(BPF_JNE, 1, 3, 0));  // allow: every requested bit granted
      else block.push_back(jmp_imm(BPF_JEQ, 1, 0, 0));        // deny: any requested bit refused
      to_next.push_back(block.size() - 1);
    }
    if (auto maj = cg::opt_i(r, "major"); maj && *maj >= 0) {
      block.push_back(jmp_imm(BPF_JNE, 4, static_cast<int32_t>(*maj), 0));
      to_next.push_back(block.size() - 1);
    }
    if (auto min = cg::opt_i(r, "minor"); min && *min >= 0) {
      block.push_back(jmp_imm(BPF_JNE, 5, static_cast<int32_t>(*min), 0));
      to_next.push_back(block.size() - 1);
    }
    block.push_back(alu_imm(BPF_MOV, 0, allow ? 1 : 0));
    block.push_back(exit_insn());
    for (size_t j : to_next) block[j].off = static_cast<int16_t>(block.size() - j - 1);
    p.insert(p.end(), block.begin(), block.end());
  }
  p.push_back(alu_imm(BPF_MOV, 0, default_allow ? 1 : 0));
  p.push_back(exit_insn());
  return p;
}

Result<> attach_device_filter(const std::string& cgroup_dir, const json& rules) {
  auto prog = device_filter_program(rules);
  UniqueFd dirfd(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return fail_sys("device filter: open " + cgroup_dir);

  // What is attached now, so it can be replaced after the new program is in place.
  uint32_t old_ids[64] = {};
  bpf_attr q{};
  q.query.target_fd = static_cast<uint32_t>(dirfd.get());
  q.query.attach_type = BPF_CGROUP_DEVICE;
  q.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
  q.query.prog_cnt = 64;
  uint32_t old_cnt = bpf(BPF_PROG_QUERY, &q) == 0 ? q.query.prog_cnt : 0;

  static char log_buf[65536];
  log_buf[0] = 0;
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uint64_t>("Apache");
  load.log_buf = reinterpret_cast<uint64_t>(log_buf);
  load.log_size = sizeof log_buf;
  load.log_level = 1;
  std::strncpy(load.prog_name, "berth_devices", sizeof load.prog_name - 1);
  UniqueFd progfd(static_cast<int>(bpf(BPF_PROG_LOAD, &load)));
  if (!progfd) {
    int e = errno;
    return fail(sys_error(std::string("device filter: load eBPF program") + (log_buf[0] ? " (verifier: " + std::string(log_buf) + ")" : ""), e));
  }
  bpf_attr at{};
  at.target_fd = static_cast<uint32_t>(dirfd.get());
  at.attach_bpf_fd = static_cast<uint32_t>(progfd.get());
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &at) != 0) return fail_sys("device filter: attach to " + cgroup_dir);

  for (uint32_t i = 0; i < old_cnt && i < 64; ++i) {
    bpf_attr g{};
    g.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, &g)));
    if (!old) continue;
    bpf_attr d{};
    d.target_fd = static_cast<uint32_t>(dirfd.get());
    d.attach_bpf_fd = static_cast<uint32_t>(old.get());
    d.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &d) != 0 && errno != ENOENT) return fail_sys("device filter: detach the previous program");
  }
  return {};
}

}  // namespace berth::runtime
