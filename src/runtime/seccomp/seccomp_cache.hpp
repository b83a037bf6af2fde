// Compiled seccomp programs kept between runtime invocations, keyed by everything the program
// depends on. Internal to the seccomp module; a miss or any doubt about the cache is silent.
#pragma once
#include <linux/filter.h>

#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

std::optional<std::vector<sock_filter>> seccomp_cache_load(const std::string& cache_dir, const std::string& key);
void seccomp_cache_store(const std::string& cache_dir, const std::string& key, const std::vector<sock_filter>& program);

}  // namespace berth::runtime
