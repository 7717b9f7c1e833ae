// `imgauto reflector`, `imgauto automation` and `imgauto controllers` (both in one process): the
// in-cluster controllers, drop-in for Flux's image-reflector-controller and
// image-automation-controller (and the ones KubeVela's fluxcd addon runs). They accept every flag
// those Deployments pass (cmd/controller_flags.h) and talk to the API server with the pod's
// service account, or a kubeconfig (--kubeconfig, $KUBECONFIG) when run outside the cluster.
//
//   imgauto reflector --watch-all-namespaces --storage-path=/data --enable-leader-election
//
// Exit codes: 0 after SIGTERM/SIGINT, 1 on a fatal error (API unreachable at start, groups not
// served, leadership lost), 2 for usage errors.
#pragma once

#include "cmd/app.h"
#include "cmd/controller_flags.h"

namespace imgauto::cmd {

Command ReflectorCommand();
Command AutomationCommand();
Command ControllersCommand();

}  // namespace imgauto::cmd
