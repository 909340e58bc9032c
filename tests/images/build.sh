#!/bin/sh
# Build the container tests' images locally, with no registry, into the engine
# at $DOCKER_HOST (a private dockerd or podman's compatible service):
#   localhost/kft-busybox:1  busybox-static applets (2 MB), CMD /bin/sh
#   localhost/kft-skel:1     an almost empty rootfs (etc, tmp, usr symlinks) meant
#                            to run with the host's /usr bind-mounted read-only
#                            (torch from Debian's python3-torch, no image build)
# Usage: DOCKER_HOST=unix:///path/docker.sock sh tests/images/build.sh WORKDIR
# Uses the preinstalled docker CLI client (docker import); idempotent.
set -eu
W=${1:?work dir}
BB=/bin/busybox   # Debian's busybox-static (a static binary runs in an empty rootfs)
mkdir -p "$W"
if ! docker image inspect localhost/kft-busybox:1 >/dev/null 2>&1; then
	R="$W/bbroot"; rm -rf "$R"; mkdir -p "$R/bin" "$R/tmp" "$R/etc" "$R/workspace"
	chmod 1777 "$R/tmp"
	cp "$BB" "$R/bin/busybox"
	for a in $("$BB" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"
	done
	grep '^root:' /etc/passwd >"$R/etc/passwd"
	tar -C "$R" -c . | docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
		- localhost/kft-busybox:1 >/dev/null
fi
if ! docker image inspect localhost/kft-skel:1 >/dev/null 2>&1; then
	S="$W/skel"; rm -rf "$S"; mkdir -p "$S"
	(cd "$S" && mkdir -p etc tmp proc sys dev usr workspace && chmod 1777 tmp &&
		for d in bin sbin lib lib64; do ln -s usr/$d $d; done &&
		grep '^root:' /etc/passwd >etc/passwd && echo 'root:x:0:' >etc/group)
	tar -C "$S" -c . | docker import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
		- localhost/kft-skel:1 >/dev/null
fi
