# Sourced by tests/t_container*.sh and bench/container: a private dockerd on a
# short unix socket path, its own data root, no docker0 bridge, no iptables.
# Needs TOP (the source tree). kft_engine_start sets D, DOCKER_HOST; on failure it prints why and returns 1.
# SPDX-License-Identifier: Apache-2.0

# KFT_TEST_ENGINE=podman: podman's Docker-compatible service instead (podman +
# runc, the containers.conf this machine needs, private storage).
# KFT_ENGINE_FIREWALL=1 (dockerd, inside a network namespace the test made):
# dockerd with its default bridge and iptables rules.
ENGINE=${KFT_TEST_ENGINE:-docker}

kft_engine_prereqs() {
	[ "$(id -u)" = 0 ] || { echo "the test engine needs root (uid $(id -u))"; return 1; }
	if [ "$ENGINE" = podman ]; then
		command -v podman >/dev/null 2>&1 || { echo "podman not installed (apt-get install podman runc)"; return 1; }
		command -v runc >/dev/null 2>&1 || { echo "runc not installed"; return 1; }
	else
	command -v dockerd >/dev/null 2>&1 || { echo "dockerd not installed (apt-get install docker.io)"; return 1; }
	fi
	command -v docker >/dev/null 2>&1 || { echo "docker CLI not installed"; return 1; }
	[ -x /bin/busybox ] || { echo "busybox-static not installed"; return 1; }
	return 0
}

kft_engine_up() {   # start (or restart) the engine in $D
	if [ "$ENGINE" = podman ]; then
		export CONTAINERS_CONF="$D/containers.conf"
		printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[network]\nnetwork_backend = "netavark"\n[engine]\nruntime = "runc"\n' >"$CONTAINERS_CONF"
		# from $D: conmon writes a file named "oom" into its working directory when a
		# container is OOM-killed, and it inherits the service's
		(cd "$D" && exec podman --root "$D/data" --runroot "$D/exec" system service --time=0 \
			"unix://$D/docker.sock") >>"$D/dockerd.log" 2>&1 &
		echo $! >"$D/dockerd.pid"
	elif [ -n "${KFT_ENGINE_FIREWALL:-}" ]; then
		# dockerd as installed (docker0, its iptables rules): only in a network namespace of
		# the test's own, where those rules and bridges stay
		[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ] ||
			{ echo "KFT_ENGINE_FIREWALL needs a private network namespace"; return 1; }
		(cd "$D" && exec dockerd --shutdown-timeout 2 \
			--data-root "$D/data" --exec-root "$D/exec" -H "unix://$D/docker.sock" \
			--pidfile "$D/dockerd.pid") >>"$D/dockerd.log" 2>&1 &
	else
	(cd "$D" && exec dockerd --bridge=none --iptables=false --ip-masq=false --shutdown-timeout 2 \
		--data-root "$D/data" --exec-root "$D/exec" -H "unix://$D/docker.sock" \
		--pidfile "$D/dockerd.pid") >>"$D/dockerd.log" 2>&1 &
	fi
	i=0
	while [ $i -lt 200 ]; do
		curl -s --unix-socket "$D/docker.sock" http://d/_ping >/dev/null 2>&1 && return 0
		sleep 0.1; i=$((i + 1))
	done
	echo "$ENGINE did not answer within 20 s; last log lines:"; tail -5 "$D/dockerd.log"
	return 1
}

kft_engine_down() {   # stop dockerd and wait until it is gone
	[ -f "$D/dockerd.pid" ] || return 0
	p=$(cat "$D/dockerd.pid")
	kill "$p" 2>/dev/null
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$p" 2>/dev/null
	rm -f "$D/dockerd.pid"
}

kft_engine_start() {
	kft_engine_prereqs || return 1
	D=$(mktemp -d /tmp/kd.XXXXXX)
	chmod 755 "$D"
	export DOCKER_HOST="unix://$D/docker.sock"
	kft_engine_up || return 1
	sh "$TOP/tests/images/build.sh" "$D/img" || { echo "image build failed"; return 1; }
}

kft_engine_stop() {
	[ -n "${D:-}" ] || return 0
	docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
	docker network prune -f >/dev/null 2>&1   # a failed test's per-job bridges stay on the host otherwise
	kft_engine_down
	# containerd-shims of this daemon exit with it; unmount leftovers, then remove
	if [ "$ENGINE" = podman ]; then
		podman --root "$D/data" --runroot "$D/exec" rm -af -t 0 >/dev/null 2>&1
		podman --root "$D/data" --runroot "$D/exec" network prune -f >/dev/null 2>&1
	fi
	grep " $D/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$D"
}
