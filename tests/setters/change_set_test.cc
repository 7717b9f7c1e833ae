#include "setters/change_set.h"

#include <gtest/gtest.h>

namespace imgauto::setters {
namespace {

const ObjectId kDeployment{"apps/v1", "Deployment", "app", "default"};
const ObjectId kKustomization{"kustomize.config.k8s.io/v1beta1", "Kustomization", "", ""};

TEST(ChangeSetTest, StartsEmpty) {
  ChangeSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.Changes().empty());
  EXPECT_TRUE(set.Files().empty());
}

TEST(ChangeSetTest, SortsFilesByteWise) {
  ChangeSet set;
  set.Add("b.yaml", kDeployment, Change{"a", "b", "ns:p"});
  set.Add("A.yaml", kDeployment, Change{"a", "b", "ns:p"});
  set.Add("a/x.yaml", kDeployment, Change{"a", "b", "ns:p"});
  EXPECT_EQ(set.Files(), (std::vector<std::string>{"A.yaml", "a/x.yaml", "b.yaml"}));
}

TEST(ChangeSetTest, OrdersObjectsFieldByField) {
  EXPECT_LT((ObjectId{"apps/v1", "Deployment", "z", ""}),
            (ObjectId{"apps/v1", "StatefulSet", "a", ""}));
  EXPECT_LT((ObjectId{"apps/v1", "Deployment", "a", "z"}),
            (ObjectId{"apps/v1", "Deployment", "b", "a"}));
  EXPECT_LT(kDeployment, kKustomization);
}

TEST(ChangeSetTest, KeepsWalkOrderWithinObject) {
  ChangeSet set;
  set.Add("f.yaml", kKustomization, Change{"replaced", "new/name", "ns:p:name"});
  set.Add("f.yaml", kKustomization, Change{"v1", "v1.0.1", "ns:p:tag"});
  const auto& changes = set.FileChanges().at("f.yaml").at(kKustomization);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].setter, "ns:p:name");
  EXPECT_EQ(changes[1].setter, "ns:p:tag");
}

TEST(ChangeSetTest, ChangesDeduplicatesInFirstSeenOrder) {
  ChangeSet set;
  set.Add("kustomization.yml", kKustomization, Change{"replaced", "n", "ns:p:name"});
  set.Add("kustomization.yml", kKustomization, Change{"v1", "v2", "ns:p:tag"});
  set.Add("Kustomization", kKustomization, Change{"replaced", "n", "ns:p:name"});
  set.Add("Kustomization", kKustomization, Change{"v1", "v2", "ns:p:other"});
  EXPECT_EQ(set.Changes(), (std::vector<Change>{{"replaced", "n", "ns:p:name"},
                                                {"v1", "v2", "ns:p:other"},
                                                {"v1", "v2", "ns:p:tag"}}));
}

// Vector 90: one Deployment changed in a base and an overlay merges into one Objects() key.
TEST(ChangeSetTest, ObjectsMergesAcrossFiles) {
  ChangeSet set;
  set.Add("overlays/prod/deployment.yaml", kDeployment, Change{"app:1", "app:2", "ns:p"});
  set.Add("base/deployment.yaml", kDeployment, Change{"app:0", "app:2", "ns:p"});
  const ObjectChanges objects = set.Objects();
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(objects.at(kDeployment),
            (std::vector<Change>{{"app:0", "app:2", "ns:p"}, {"app:1", "app:2", "ns:p"}}));
}

}  // namespace
}  // namespace imgauto::setters
