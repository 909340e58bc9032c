#!/bin/sh
# tests/t_container.sh, t_container_sup.sh (supervisor-owned jobs),
# t_container_progress.sh (progress from every network mode),
# t_container_mpi.sh (MPI over SSH across containers) and
# t_cluster_script_container.sh (a cluster's DDP script run unchanged) against
# podman's Docker-compatible service (podman + runc, private storage, the
# containers.conf this machine needs), and the 2-node DDP job on a per-job
# internal network there. Exit 77 without podman.
# SPDX-License-Identifier: Apache-2.0
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
export KFT_TEST_ENGINE=podman
. "$TOP/tests/images/engine.sh"
kft_engine_own_ns "$0" "$@"
sh "$TOP/tests/t_container.sh" || exit $?
sh "$TOP/tests/t_container_sup.sh" || exit $?
sh "$TOP/tests/t_container_progress.sh" || exit $?
sh "$TOP/tests/t_container_mpi.sh"; rc=$?   # 77: no mpirun/sshd here, the rest still runs
[ $rc = 0 ] || [ $rc = 77 ] || exit $rc
sh "$TOP/tests/t_cluster_script_container.sh"; rc=$?   # 77: no torch
[ $rc = 0 ] || [ $rc = 77 ] || exit $rc
KFT_DDP_NETWORKS=internal exec sh "$TOP/tests/t_container_ddp.sh"
