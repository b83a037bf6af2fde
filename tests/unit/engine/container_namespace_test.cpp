// Which containers belong to another client of the engine (the CRI's "k8s.io"), and which label
// filters ask for them.
#include <gtest/gtest.h>

#include "engine/container_namespace.hpp"

using namespace berth::engine;

TEST(ContainerNamespace, FromTheLabel) {
  EXPECT_EQ(container_namespace(nlohmann::json{{"io.berth.namespace", "k8s.io"}, {"app", "x"}}), "k8s.io");
  EXPECT_EQ(container_namespace(nlohmann::json{{"app", "x"}}), "");
  EXPECT_EQ(container_namespace(nlohmann::json{{"io.berth.namespace", 3}}), "");
  EXPECT_EQ(container_namespace(nlohmann::json()), "");
}

TEST(ContainerNamespace, AskedOnlyByALabelFilterNamingIt) {
  EXPECT_TRUE(namespace_asked({"io.berth.namespace=k8s.io"}));
  EXPECT_TRUE(namespace_asked({"app=x", "io.berth.namespace"}));
  EXPECT_FALSE(namespace_asked({}));
  EXPECT_FALSE(namespace_asked({"app=x"}));
  EXPECT_FALSE(namespace_asked({"io.berth.namespaces=k8s.io"}));
}
