#!/bin/sh
# An MPI job across containers, for real: Open MPI's mpirun in the launcher
# container reaches two sshd node containers over SSH with the job's own key
# pair (made by kft at sshAuthMountPath, as Trainer's <job>-mpi-ssh-auth
# Secret) and the hostfile of container names, on a per-job internal network;
# 6 ranks (3 hosts x 2 slots) run. The host's /usr (Debian openmpi-bin,
# openssh-server) is bind-mounted read-only into the near-empty kft-skel image.
# Exit 77 when dockerd, mpirun or sshd cannot run here.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/images/engine.sh"
kft_engine_own_ns "$0" "$@"   # podman: a network namespace of its own
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
[ -x /usr/bin/mpirun ] || { echo "skip: /usr/bin/mpirun missing (apt-get install openmpi-bin)"; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "skip: /usr/sbin/sshd missing (apt-get install openssh-server)"; exit 77; }
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private dockerd here"; exit 77; }
: "${KFT_STATE_DIR:=$D/state}"
export KFT_STATE_DIR KFT_BACKEND=container KFT_RUNTIME_PATH="$D/runtimes"
export KFT_CONTAINER_MOUNTS=/usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro
K="$BLD/kft"
O=$D/out; mkdir -p "$O" "$KFT_RUNTIME_PATH"
fail() { echo "FAIL: $*"; exit 1; }
# The deepspeed runtime's shape with root images: sshd nodes (the skel image has
# no sshd user or host key: the job's key serves as host key), then the launcher.
cat >"$KFT_RUNTIME_PATH/skel-mpi.yaml" <<'YAML'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: skel-mpi, labels: {trainer.kubeflow.org/framework: deepspeed}}
spec:
  mlPolicy: {numNodes: 3, mpi: {numProcPerNode: 2, mpiImplementation: OpenMPI,
             sshAuthMountPath: /root/.ssh, runLauncherAsNode: true}}
  template: {spec: {replicatedJobs: [
    {name: node, template: {spec: {template: {spec: {containers: [{name: node,
      image: "localhost/kft-skel:1", command: [sh, -c,
        'echo sshd:x:100:65534::/run/sshd:/usr/sbin/nologin >>/etc/passwd; mkdir -p /run/sshd;
         exec /usr/sbin/sshd -De -f /dev/null -p 2222 -h /root/.ssh/id_rsa
           -o AuthorizedKeysFile=/root/.ssh/authorized_keys -o PidFile=none -o UsePAM=no
           -o PermitRootLogin=prohibit-password']}]}}}}},
    {name: launcher, dependsOn: [{name: node, status: Ready}],
     template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},
     spec: {template: {spec: {containers: [{name: node, image: "localhost/kft-skel:1"}]}}}}}]}}
YAML
"$K" --network internal train --name mpi --runtime skel-mpi --wait --timeout 180 \
	--env OMPI_MCA_plm_rsh_agent="ssh -p 2222 -i /root/.ssh/id_rsa -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectionAttempts=30" \
	-- mpirun --allow-run-as-root --hostfile /etc/mpi/hostfile \
	sh -c 'echo "rank=$OMPI_COMM_WORLD_RANK size=$OMPI_COMM_WORLD_SIZE host=$(hostname)"' \
	>"$O/train.out" 2>&1 || { cat "$O/train.out"; "$K" logs mpi | tail -40; fail "MPI job did not complete"; }
"$K" logs mpi --step launcher >"$O/launcher.log" || fail "logs mpi"
for h in mpi-launcher mpi-node-0 mpi-node-1; do
	[ "$(grep -c "size=6 host=$h\$" "$O/launcher.log")" = 2 ] ||
		{ cat "$O/launcher.log"; fail "not 2 ranks on $h"; }
done
"$K" logs mpi --step node-0 | grep -q "Accepted publickey for root" ||
	fail "node-0's sshd did not accept the job's key"
"$K" get mpi | grep -q "Status:   Complete" || fail "job not Complete"
"$K" delete mpi >/dev/null || fail "delete mpi"
echo "ok - MPI over SSH across 3 containers: 6 ranks, the job's own key pair, hostfile of container names"
