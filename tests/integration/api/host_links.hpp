// The host's links as the network tests check them: how many veths, which berth links (veths,
// br-*), and bounded waits for them to settle (berthd deletes veths in the background after a
// container goes, within milliseconds).
#pragma once
#include <net/if.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace berth::api::test {

inline std::vector<std::string> berth_links() {
  std::vector<std::string> out;
  if (auto* all = if_nameindex()) {
    for (auto* i = all; i->if_index; ++i)
      if (std::string n = i->if_name; n.starts_with("veth") || n.starts_with("br-")) out.push_back(n);
    if_freenameindex(all);
  }
  return out;
}

inline int veths_on_host() {
  int n = 0;
  for (auto& l : berth_links()) n += l.starts_with("veth");
  return n;
}

// veths_on_host() once it equals n (or its value after 10 s).
inline int veths_settle_at(int n) {
  berth::test::wait_until([&] { return veths_on_host() == n; }, std::chrono::seconds(10));
  return veths_on_host();
}

inline std::vector<std::string> links_settle_at(const std::vector<std::string>& want) {
  berth::test::wait_until([&] { return berth_links() == want; }, std::chrono::seconds(10));
  return berth_links();
}

}  // namespace berth::api::test
