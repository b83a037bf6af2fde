// A registry token given by the caller (CRI's AuthConfig.registry_token) answers a Bearer
// challenge as it is: no request goes to the token service.
#include <gtest/gtest.h>

#include "image/registry_client.hpp"
#include "image/registry_fixture.hpp"

using namespace berth::image;
using namespace berth::image::test;

TEST(RegistryToken, SentAsTheBearerTokenWithoutTheTokenService) {
  std::atomic<int> realm_hits{0};
  TinyHttpServer realm([&](const HttpReq&) {
    ++realm_hits;
    return HttpResp{200, "application/json", R"({"token":"from-realm"})", {}};
  });
  TinyHttpServer registry([&](const HttpReq& r) {
    auto a = r.headers.find("authorization");
    if (a != r.headers.end() && a->second == "Bearer given-token") return HttpResp{200, "application/json", "{}", {}};
    return HttpResp{401, "application/json", R"({"errors":[{"code":"UNAUTHORIZED","message":"no"}]})",
                    {{"WWW-Authenticate", "Bearer realm=\"" + realm.url() + "/token\",service=\"test\""}}};
  });
  std::string host = registry.url().substr(7);  // 127.0.0.1:PORT, plain HTTP as loopback is
  RegistryOptions o;
  o.credentials = Credentials{.username = "", .password = "", .identity_token = "", .registry_token = "given-token"};
  RegistryClient with_token(host, o);
  auto ok = with_token.ping();
  EXPECT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(realm_hits, 0);

  o.credentials = Credentials{.username = "", .password = "", .identity_token = "", .registry_token = "wrong"};
  RegistryClient wrong(host, o);
  auto refused = wrong.ping();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().what().find("credentials refused"), std::string::npos) << refused.error().what();
  EXPECT_EQ(realm_hits, 0);
}
