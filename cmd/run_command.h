// `imgauto run`: the standalone controller. Reads ImageRepository, ImagePolicy,
// ImageUpdateAutomation, GitRepository and Secret objects from a directory and reconciles them
// with the same reconcilers as the in-cluster controllers, keeping status and tag stores under a
// state directory (see cmd/standalone/standalone_runner.h).
//
//   imgauto run --manifests /etc/imgauto/manifests --state-dir /var/lib/imgauto
//   imgauto run --manifests ./manifests --state-dir ./state --once   # CI: exit 1 if not all Ready
//
// Exit codes: 0 (stopped by SIGTERM/SIGINT, or --once with every object Ready), 1 (--once with an
// object not Ready or a manifest issue), 2 (usage error, missing directory).
#pragma once

#include "cmd/app.h"
#include "cmd/flags.h"

namespace imgauto::cmd {

Command RunCommand();
FlagSet RunFlags();
int RunStandalone(const ParsedFlags& flags, CommandContext& ctx);

}  // namespace imgauto::cmd
