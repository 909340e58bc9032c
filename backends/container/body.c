/*
 * The container-create body (Docker Engine API) of one plan step: image,
 * command, env, labels, the job workspace and the plan's files bind-mounted,
 * resources (cpu/memory limits, GPUs), network. See container.h.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_bind(cJSON *binds, const char *spec)
{
	cJSON *s = cJSON_CreateString(spec);

	if (!s || !cJSON_AddItemToArray(binds, s)) {
		cJSON_Delete(s);
		return kft__error_oom();
	}
	return 0;
}

/*
 * Requests as the kubelet maps them to cgroups: cpu to CpuShares (1024 per CPU,
 * at least 2), memory to a soft limit (MemoryReservation). A request never caps.
 */
static int add_requests(cJSON *hc, const cJSON *step)
{
	const cJSON *req = kft__json_path(step, "resources.requests");
	const char *names[] = { "cpu", "memory" };
	size_t i;
	int error;

	for (i = 0; i < 2; i++) {
		const cJSON *it = kft__json_get(req, names[i]);
		const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
		char what[160], num[32];
		int64_t q;

		if (!it)
			continue;
		if (cJSON_IsNumber(it)) {
			snprintf(num, sizeof(num), "%.9g", it->valuedouble);
			v = num;
		}
		snprintf(what, sizeof(what), "steps[%s].resources.requests.%s",
		         kft__json_str(step, "name") ? kft__json_str(step, "name") : "?", names[i]);
		if ((error = kft__quantity_parse(&q, v, i == 0 ? 1000 : 1, what)) < 0)
			return error;
		if (i == 0) {   /* q is milli-CPUs */
			int64_t shares = q * 1024 / 1000;

			if (!cJSON_AddNumberToObject(hc, "CpuShares", (double)(shares < 2 ? 2 : shares)))
				return kft__error_oom();
		} else if (!cJSON_AddNumberToObject(hc, "MemoryReservation", (double)q)) {
			return kft__error_oom();
		}
	}
	return 0;
}

/* Resources: cpu/memory limits, GPUs (Docker device requests, podman CDI names). */
static int add_resources(cJSON *hc, const cJSON *step, int podman)
{
	const cJSON *lim = kft__json_path(step, "resources.limits"), *it;
	int error;

	if ((error = add_requests(hc, step)) < 0)
		return error;

	cJSON_ArrayForEach(it, lim) {
		const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
		char what[160], num[32];
		int64_t q;

		if (cJSON_IsNumber(it)) {
			snprintf(num, sizeof(num), "%.9g", it->valuedouble);
			v = num;
		}
		snprintf(what, sizeof(what), "steps[%s].resources.limits.%s",
		         kft__json_str(step, "name") ? kft__json_str(step, "name") : "?",
		         it->string);
		if (!strcmp(it->string, "cpu")) {
			if ((error = kft__quantity_parse(&q, v, 1e9, what)) < 0)
				return error;
			if (!cJSON_AddNumberToObject(hc, "NanoCpus", (double)q))
				return kft__error_oom();
		} else if (!strcmp(it->string, "memory")) {
			if ((error = kft__quantity_parse(&q, v, 1, what)) < 0)
				return error;
			/* same swap limit: the container is OOM-killed instead of swapping */
			if (!cJSON_AddNumberToObject(hc, "Memory", (double)q) ||
			    !cJSON_AddNumberToObject(hc, "MemorySwap", (double)q))
				return kft__error_oom();
		} else if (strstr(it->string, "/gpu")) {
			cJSON *arr, *d;
			char vendor[64];
			int64_t i;

			if ((error = kft__quantity_parse(&q, v, 1, what)) < 0)
				return error;
			if (q == 0)
				continue;
			snprintf(vendor, sizeof(vendor), "%.*s", (int)(strchr(it->string, '/') -
			         it->string), it->string);
			if (podman) {   /* CDI device names: nvidia.com/gpu=0 ... */
				if (!(arr = kft__json_get(hc, "Devices") ? (cJSON *)kft__json_get(hc, "Devices")
				                                          : cJSON_AddArrayToObject(hc, "Devices")))
					return kft__error_oom();
				for (i = 0; i < q; i++) {
					char cdi[128];

					snprintf(cdi, sizeof(cdi), "%s=%lld", it->string, (long long)i);
					if (!(d = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, d) ||
					    !cJSON_AddStringToObject(d, "PathOnHost", cdi) ||
					    !cJSON_AddStringToObject(d, "PathInContainer", "") ||
					    !cJSON_AddStringToObject(d, "CgroupPermissions", "rwm"))
						return kft__error_oom();
				}
			} else {
				cJSON *caps, *cap;

				if (!(arr = kft__json_get(hc, "DeviceRequests") ?
				      (cJSON *)kft__json_get(hc, "DeviceRequests") :
				      cJSON_AddArrayToObject(hc, "DeviceRequests")))
					return kft__error_oom();
				if (!(d = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, d) ||
				    !cJSON_AddStringToObject(d, "Driver",
				                             !strcmp(vendor, "nvidia.com") ? "nvidia" : vendor) ||
				    !cJSON_AddNumberToObject(d, "Count", (double)q) ||
				    !(caps = cJSON_AddArrayToObject(d, "Capabilities")) ||
				    !(cap = cJSON_CreateStringArray((const char *[]){ "gpu" }, 1)) ||
				    !cJSON_AddItemToArray(caps, cap))
					return kft__error_oom();
			}
		}
	}
	return 0;
}

int kft__container_body(cJSON **out, const body_ctx *c, const cJSON *step)
{
	cJSON *body = cJSON_CreateObject(), *labels, *env, *hc, *binds, *ep, *arr;
	const char *name = kft__json_str(step, "name"), *image = kft__json_str(step, "image");
	const char *cwd = kft__json_str(step, "cwd"), *mounts = getenv("KFT_CONTAINER_MOUNTS");
	const cJSON *argv = kft__json_get(step, "argv"), *it;
	char host[256], bind[4200];
	int error = 0, n = 0;

	*out = NULL;
	if (!body)
		return kft__error_oom();
	if (!name || !image) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "plan step %s: %s is required for containers",
		                       name ? name : "(unnamed)", name ? "image" : "name");
		goto out;
	}
	snprintf(host, sizeof(host), "%s-%s", c->job, name);
	if (strlen(host) > 63)   /* a hostname label; the container name is not affected */
		host[63] = '\0';
	/* host mode keeps the host's name (resolvable from its /etc/hosts, no DNS query) */
	if (!cJSON_AddStringToObject(body, "Image", image) ||
	    (strcmp(c->network, "host") && !cJSON_AddStringToObject(body, "Hostname", host)) ||
	    !(labels = cJSON_AddObjectToObject(body, "Labels")) ||
	    !cJSON_AddStringToObject(labels, L_JOB, c->job) ||
	    !cJSON_AddStringToObject(labels, L_STEP, name) ||
	    !cJSON_AddStringToObject(labels, L_RUNTIME, c->runtime ? c->runtime : "") ||
	    !cJSON_AddStringToObject(labels, L_ROLE, kft__json_str(step, "role") ?
	                             kft__json_str(step, "role") : "node") ||
	    !cJSON_AddStringToObject(labels, L_STEPS, c->steps) ||
	    !cJSON_AddStringToObject(labels, L_JOBDIR, c->jobdir) ||
	    !cJSON_AddStringToObject(labels, L_WORKSPACE, c->workspace) ||
	    !cJSON_AddStringToObject(labels, L_CREATED, c->created) ||
	    !cJSON_AddStringToObject(labels, L_NODES, c->nodes) ||
	    !cJSON_AddStringToObject(labels, L_NETWORK, c->network) ||
	    (c->deadline && !cJSON_AddStringToObject(labels, L_DEADLINE, c->deadline)) ||
	    (c->suspended && !cJSON_AddStringToObject(labels, L_SUSPENDED, "true")) ||
	    !(env = cJSON_AddArrayToObject(body, "Env")))
		goto oom;
	cJSON_ArrayForEach(it, kft__json_get(step, "env")) {
		kft__buf kv = KFT__BUF_INIT;
		cJSON *s;

		if (!cJSON_IsString(it))
			continue;
		kft__buf_printf(&kv, "%s=%s", it->string, it->valuestring);
		if (kv.oom || !(s = cJSON_CreateString(kv.ptr)) || !cJSON_AddItemToArray(env, s)) {
			kft__buf_free(&kv);
			goto oom;
		}
		kft__buf_free(&kv);
	}
	/* argv[0] replaces the image's entrypoint, the rest its CMD (as "command" in a pod) */
	if (cJSON_GetArraySize(argv) > 0) {
		cJSON *ent = cJSON_AddArrayToObject(body, "Entrypoint");
		cJSON *cmd = cJSON_AddArrayToObject(body, "Cmd");

		if (!ent || !cmd)
			goto oom;
		cJSON_ArrayForEach(it, argv) {
			cJSON *s = cJSON_IsString(it) ? cJSON_CreateString(it->valuestring) : NULL;

			if (!s || !cJSON_AddItemToArray(n++ ? cmd : ent, s)) {
				cJSON_Delete(s);
				if (!cJSON_IsString(it)) {
					error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
					                       "plan step %s: argv[%d] is not a string",
					                       name, n - 1);
					goto out;
				}
				goto oom;
			}
		}
	}
	if (cwd && !cJSON_AddStringToObject(body, "WorkingDir", cwd))
		goto oom;
	if (!(hc = cJSON_AddObjectToObject(body, "HostConfig")) ||
	    !(binds = cJSON_AddArrayToObject(hc, "Binds")))
		goto oom;
	snprintf(bind, sizeof(bind), "%s:/workspace:rw", c->workspace);
	if ((error = add_bind(binds, bind)) < 0)
		goto out;
	cJSON_ArrayForEach(it, c->files) {
		const char *p = kft__json_str(it, "path");

		if (!p || kft__has_prefix(p, "/workspace/"))
			continue;
		snprintf(bind, sizeof(bind), "%s/files%s:%s:ro", c->jobdir, p, p);
		if ((error = add_bind(binds, bind)) < 0)
			goto out;
	}
	cJSON_ArrayForEach(it, kft__json_get(step, "mounts")) {   /* the TrainJob's volumes */
		const char *type = kft__json_str(it, "type"), *target = kft__json_str(it, "target");
		int ro = cJSON_IsTrue(kft__json_get(it, "readOnly"));

		if (!type || !target || *target != '/') {
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                       "plan step %s: a mount needs a type and an absolute target",
			                       name);
			goto out;
		}
		if (!strcmp(type, "ssh-auth")) {   /* the job's MPI keys (made at submit) */
			if ((size_t)snprintf(bind, sizeof(bind), "%s/ssh:%s:ro", c->jobdir, target) >=
			    sizeof(bind) || strchr(target, ':')) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "sshAuthMountPath %s: too long or contains ':'",
				                       target);
				goto out;
			}
			if ((error = add_bind(binds, bind)) < 0)
				goto out;
		} else if (!strcmp(type, "bind")) {
			const char *src = kft__json_str(it, "source");

			if (!src || *src != '/' || strchr(src, ':') || strchr(target, ':')) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "volume %s: host path and mount path must be absolute "
				                       "and contain no ':'", kft__json_str(it, "volume"));
				goto out;
			}
			if ((size_t)snprintf(bind, sizeof(bind), "%s:%s:%s", src, target,
			                     ro ? "ro" : "rw") >= sizeof(bind)) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "volume %s: paths too long",
				                       kft__json_str(it, "volume"));
				goto out;
			}
			if ((error = add_bind(binds, bind)) < 0)
				goto out;
		} else {   /* emptyDir: an anonymous volume, removed with the container */
			cJSON *marr = (cJSON *)kft__json_get(hc, "Mounts"), *mo;

			if ((!marr && !(marr = cJSON_AddArrayToObject(hc, "Mounts"))) ||
			    !(mo = cJSON_CreateObject()) || !cJSON_AddItemToArray(marr, mo) ||
			    !cJSON_AddStringToObject(mo, "Target", target) ||
			    !cJSON_AddStringToObject(mo, "Type", !strcmp(type, "tmpfs") ? "tmpfs" : "volume") ||
			    !cJSON_AddBoolToObject(mo, "ReadOnly", ro))
				goto oom;
		}
	}
	while (mounts && *mounts) {
		const char *comma = strchr(mounts, ',');
		size_t len = comma ? (size_t)(comma - mounts) : strlen(mounts);

		if (len > 0 && len < sizeof(bind)) {
			snprintf(bind, sizeof(bind), "%.*s", (int)len, mounts);
			if ((error = add_bind(binds, bind)) < 0)
				goto out;
		}
		mounts = comma ? comma + 1 : NULL;
	}
	if ((error = add_resources(hc, step, c->podman)) < 0)
		goto out;
	if (!strcmp(c->network, "host")) {
		if (!cJSON_AddStringToObject(hc, "NetworkMode", "host"))
			goto oom;
	} else {
		if (!cJSON_AddStringToObject(hc, "NetworkMode", c->network) ||
		    !(ep = cJSON_AddObjectToObject(body, "NetworkingConfig")) ||
		    !(ep = cJSON_AddObjectToObject(ep, "EndpointsConfig")) ||
		    !(ep = cJSON_AddObjectToObject(ep, c->network)) ||
		    !(arr = cJSON_AddArrayToObject(ep, "Aliases")) ||
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(host)))
			goto oom;
	}
	*out = body;
	return 0;
oom:
	error = kft__error_oom();
out:
	cJSON_Delete(body);
	return error;
}

