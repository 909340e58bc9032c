#!/bin/sh
# tests/t_container.sh and t_container_sup.sh (supervisor-owned jobs) against
# podman's Docker-compatible service (podman + runc, private storage, the
# containers.conf this machine needs), and the 2-node DDP job on a per-job
# internal network there. Exit 77 without podman.
# SPDX-License-Identifier: Apache-2.0
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
export KFT_TEST_ENGINE=podman
sh "$TOP/tests/t_container.sh" || exit $?
sh "$TOP/tests/t_container_sup.sh" || exit $?
KFT_DDP_NETWORKS=internal exec sh "$TOP/tests/t_container_ddp.sh"
