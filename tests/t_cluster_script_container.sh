#!/bin/sh
# t_cluster_script.sh (a cluster's 2-node torch DDP script run unchanged: /workspace
# dataset and output, progress reported with its own client, kft cp, nothing left
# after delete) on the container backend, under a private dockerd; t_container_podman.sh
# runs it under podman. Exit 77 when no engine or no torch.
# SPDX-License-Identifier: Apache-2.0
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
KFT_CLUSTER_BACKEND=container exec sh "$TOP/tests/t_cluster_script.sh"
