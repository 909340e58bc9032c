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

# Rootful podman keeps its network definitions in /etc/containers/networks (kft_engine_up sets
# network_config_dir instead), netavark's IPAM database and aardvark-dns (one DNS server
# process, and one file per network NAME whose first line lists the addresses that server
# listens on) in /run/containers/networks, whatever --root/--runroot say. Two private podman engines at once
# (two test runs on this machine) share them: a job network of the same name in both (cl-net)
# gets one file with the first engine's gateway only, so the second engine's containers ask a
# nameserver nobody listens on ("Temporary failure in name resolution"), and one engine's
# teardown stops the other's server. So a podman test runs in a network and mount namespace of
# its own with a private /run/containers/networks (bridges, port 53, iptables rules all its own).
# kft_engine_own_ns "$0" "$@" re-executes the script there (podman only, once); it returns for
# dockerd, when already there, or when namespaces are not available here (printing a note).
kft_engine_own_ns() {
	[ "$ENGINE" = podman ] && [ -z "${KFT_ENGINE_NS:-}" ] || return 0
	if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1 &&
		unshare --net --mount true 2>/dev/null && mkdir -p /run/containers/networks; then
		KFT_ENGINE_NS=1 exec unshare --net --mount --propagation private sh -c \
			'ip link set lo up && mount -t tmpfs -o mode=755 kft-netrun /run/containers/networks &&
			exec sh "$@"' sh "$@"
	fi
	echo "note: no network namespace of our own: this podman shares /run/containers/networks with any other"
}

# kft_engine_wait KFT JOB SECONDS: `kft wait`, except that it gives up early, printing why and
# returning 5, when a node keeps failing to resolve a peer's name for 30 s (the job network's
# DNS does not answer; torch's c10d would retry for 30 minutes); else kft wait's status.
kft_engine_wait() {
	_left=$3 _n0=0 _stuck=0
	while [ "$_left" -gt 0 ]; do
		_err=$("$1" wait "$2" --timeout 10 2>&1 >/dev/null) && return 0
		_rc=$?; [ $_rc = 4 ] || { echo "$_err" >&2; return $_rc; }
		_left=$((_left - 10))
		_n=$("$1" logs "$2" 2>/dev/null | grep -c 'name resolution\|Name or service not known')
		if [ "$_n" -gt "$_n0" ]; then _stuck=$((_stuck + 1)); else _stuck=0; fi
		_n0=$_n
		if [ $_stuck -ge 3 ]; then
			echo "$2: a node has failed to resolve a peer's name for 30 s, the job network's DNS does not answer:"
			"$1" logs "$2" 2>/dev/null | grep 'name resolution\|Name or service not known' | tail -2
			return 5
		fi
	done
	return 4
}

kft_engine_up() {   # start (or restart) the engine in $D
	if [ "$ENGINE" = podman ]; then
		export CONTAINERS_CONF="$D/containers.conf"
		# network_config_dir: rootful podman's default is /etc/containers/networks, shared by
		# every podman here (a cl-net of another test run: "network name cl-net already used")
		mkdir -p "$D/networks"
		printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[network]\nnetwork_backend = "netavark"\nnetwork_config_dir = "%s"\n[engine]\nruntime = "runc"\n' "$D/networks" >"$CONTAINERS_CONF"
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
