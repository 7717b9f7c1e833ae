// Cross-namespace ACL (Flux reference §2.3 step 2, §7.5 item 44; fluxcd/pkg runtime/acl).
#include "reflector/controller/access_control.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/fake_image_repository_getter.h"

namespace imgauto::reflector::controller {
namespace {

using Labels = std::map<std::string, std::string>;
using Selectors = std::vector<api::NamespaceSelector>;

api::NamespaceSelector Selector(Labels labels) {
  api::NamespaceSelector selector;
  selector.match_labels = std::move(labels);
  return selector;
}

class AccessControlTest : public ::testing::Test {
 protected:
  Result<void> Check(const std::optional<Selectors>& access_from, Labels policy_ns_labels) {
    namespaces_.SetNamespaceLabels("apps", std::move(policy_ns_labels));
    return CheckAccessFrom("apps", {"registry", "podinfo"}, access_from, namespaces_);
  }

  testing::FakeImageRepositoryGetter namespaces_;
};

TEST_F(AccessControlTest, SameNamespaceIsAlwaysAllowed) {
  EXPECT_TRUE(CheckAccessFrom("apps", {"apps", "podinfo"}, std::nullopt, namespaces_));
}

TEST_F(AccessControlTest, OtherNamespaceWithoutAccessFromIsDenied) {
  Result<void> ok = Check(std::nullopt, {});
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kUnauthorized);
  EXPECT_EQ(ok.error().message(),
            "'registry/podinfo' can't be accessed due to missing ACL labels on 'accessFrom'");
}

TEST_F(AccessControlTest, EmptyMatchLabelsAllowsEveryNamespace) {
  EXPECT_TRUE(Check(Selectors{Selector({})}, {}));
}

TEST_F(AccessControlTest, AllLabelsOfASelectorMustMatch) {
  EXPECT_TRUE(Check(Selectors{Selector({{"tenant", "b"}, {"env", "test"}})},
                    {{"tenant", "b"}, {"env", "test"}}));
  Result<void> denied = Check(Selectors{Selector({{"tenant", "b"}, {"env", "test"}})},
                              {{"tenant", "a"}, {"env", "test"}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().message(),
            "'registry/podinfo' can't be accessed due to ACL labels mismatch on namespace 'apps'");
}

TEST_F(AccessControlTest, AnySelectorMayMatch) {
  const Labels labels = {{"foo1", "bar1"}, {"foo2", "bar2"}};
  EXPECT_TRUE(Check(Selectors{Selector({{"aaa", "bbb"}}), Selector({{"foo2", "bar2"}}),
                              Selector({{"xxx", "yyy"}})},
                    labels));
  EXPECT_FALSE(Check(
      Selectors{Selector({{"aaa", "bbb"}}), Selector({{"mmm", "nnn"}}), Selector({{"xxx", "yyy"}})},
      labels));
}

TEST_F(AccessControlTest, EmptySelectorListDeniesEverything) {
  EXPECT_FALSE(Check(Selectors{}, {{"tenant", "a"}}));
}

TEST_F(AccessControlTest, NamespaceReadErrorIsReturned) {
  Result<void> ok =
      CheckAccessFrom("ghost", {"registry", "podinfo"}, Selectors{Selector({})}, namespaces_);
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(ok.error().message(), "namespaces \"ghost\" not found");
}

}  // namespace
}  // namespace imgauto::reflector::controller
