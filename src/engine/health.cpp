#include "engine/health.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

bool is_zero(const json& j, const char* k) {
  return !j.is_object() || !j.contains(k) || j[k].is_null() || (j[k].is_number() && j[k].get<int64_t>() == 0);
}

Result<std::chrono::milliseconds> duration(const json& hc, const char* key, std::chrono::milliseconds def) {
  if (is_zero(hc, key)) return def;
  if (!hc[key].is_number_integer()) return fail(ErrorKind::Invalid, std::string("Healthcheck.") + key + ": expected nanoseconds");
  int64_t ns = hc[key].get<int64_t>();
  if (ns < 0) return fail(ErrorKind::Invalid, std::string("Healthcheck.") + key + " can't be negative");
  return std::chrono::milliseconds(std::max<int64_t>(1, ns / 1'000'000));
}

}  // namespace

json merge_healthcheck(const json& container, const json& image) {
  bool have_c = container.is_object(), have_i = image.is_object();
  if (!have_c && !have_i) return nullptr;
  if (!have_c) return image;
  json out = container;
  if (!have_i) return out;
  if (!out.contains("Test") || !out["Test"].is_array() || out["Test"].empty()) out["Test"] = image.value("Test", json());
  for (const char* k : {"Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"})
    if (is_zero(out, k) && image.contains(k)) out[k] = image[k];
  return out;
}

Result<std::optional<HealthConfig>> health_config(const json& hc) {
  if (!hc.is_object() || !hc.contains("Test") || !hc["Test"].is_array() || hc["Test"].empty())
    return std::optional<HealthConfig>{};
  std::vector<std::string> test;
  for (auto& t : hc["Test"]) {
    if (!t.is_string()) return fail(ErrorKind::Invalid, "Healthcheck.Test: expected strings");
    test.push_back(t.get<std::string>());
  }
  HealthConfig c;
  if (test[0] == "NONE") return std::optional<HealthConfig>{};
  if (test[0] == "CMD") {
    c.argv.assign(test.begin() + 1, test.end());
  } else if (test[0] == "CMD-SHELL") {
    std::string cmd;
    for (size_t i = 1; i < test.size(); ++i) cmd += (i > 1 ? " " : "") + test[i];
    c.argv = {"/bin/sh", "-c", cmd};
  } else {
    return fail(ErrorKind::Invalid, "unknown healthcheck type '" + test[0] + "' (expected 'CMD') in Healthcheck.Test");
  }
  if (c.argv.empty()) return fail(ErrorKind::Invalid, "Healthcheck.Test: no command");
  c.interval = BERTH_TRY(duration(hc, "Interval", c.interval), "");
  c.timeout = BERTH_TRY(duration(hc, "Timeout", c.timeout), "");
  c.start_period = BERTH_TRY(duration(hc, "StartPeriod", c.start_period), "");
  c.start_interval = BERTH_TRY(duration(hc, "StartInterval", c.start_interval), "");
  if (!is_zero(hc, "Retries")) {
    if (!hc["Retries"].is_number_integer() || hc["Retries"].get<int64_t>() < 0)
      return fail(ErrorKind::Invalid, "Healthcheck.Retries can't be negative");
    c.retries = static_cast<int>(hc["Retries"].get<int64_t>());
  }
  return std::optional<HealthConfig>{std::move(c)};
}

bool record_probe(HealthState& s, const HealthConfig& c, HealthProbe p, bool in_start_period) {
  std::string before = s.status;
  if (p.exit_code == 0) {
    s.failing_streak = 0;
    s.status = "healthy";
  } else if (!(s.status == "starting" && in_start_period)) {
    if (++s.failing_streak >= c.retries) s.status = "unhealthy";
  }
  s.log.push_back(std::move(p));
  while (s.log.size() > kHealthLog) s.log.pop_front();
  return s.status != before;
}

json health_json(const HealthState& s) {
  json log = json::array();
  for (auto& p : s.log) log.push_back({{"Start", p.start}, {"End", p.end}, {"ExitCode", p.exit_code}, {"Output", p.output}});
  return {{"Status", s.status}, {"FailingStreak", s.failing_streak}, {"Log", log}};
}

std::string health_status_text(const HealthState& s) { return s.status == "starting" ? "health: starting" : s.status; }

std::string go_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  if (ms >= 3'600'000) {
    out += std::to_string(ms / 3'600'000) + "h";
    ms %= 3'600'000;
  }
  if (!out.empty() || ms >= 60'000) {
    out += std::to_string(ms / 60'000) + "m";
    ms %= 60'000;
  }
  std::string secs = std::to_string(ms / 1000);
  if (ms % 1000) {
    std::string frac = std::to_string(1000 + ms % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    secs += "." + frac;
  }
  return out + secs + "s";
}

}  // namespace berth::engine
