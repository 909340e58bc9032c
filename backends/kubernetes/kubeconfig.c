/*
 * kubeconfig loading: explicit file, or $KUBECONFIG (a colon list merged as
 * kubectl merges: the first file to define a cluster/user/context name wins,
 * current-context from the first file that sets it), or ~/.kube/config; else
 * the in-cluster service account. Relative paths resolve against the
 * directory of the file that defined the entry.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

typedef struct {
	cJSON *doc;     /* parsed file */
	char *path;
	char *dir;
} kcfile;

const char *kft__k8s_sa_dir(void)
{
	const char *d = getenv("KFT_K8S_SA_DIR");

	return d && *d ? d : SA_DIR;
}

void kft__k8s_config_free(kft__k8s_config *c)
{
	if (!c)
		return;
	free(c->origin);
	free(c->context);
	free(c->cluster_name);
	free(c->user_name);
	free(c->server);
	free(c->ca);
	free(c->tls_server_name);
	free(c->proxy_url);
	free(c->ns);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->cert);
	if (c->key)
		explicit_bzero(c->key, c->key_len);
	free(c->key);
	free(c->username);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->exec.api_version);
	free(c->exec.command);
	kft__strv_free(&c->exec.args);
	kft__strv_free(&c->exec.env);
	free(c->exec.install_hint);
	free(c->exec.interactive_mode);
	memset(c, 0, sizeof(*c));
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *cwd, *d;

	if (slash)
		return slash == path ? kft__strdup("/") : kft__strndup(path, (size_t)(slash - path));
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return kft__strdup(".");
	d = kft__strdup(cwd);
	free(cwd);
	return d;
}

static char *resolve(const char *dir, const char *p)
{
	if (!p)
		return NULL;
	if (p[0] == '/' || !dir)
		return kft__strdup(p);
	return kft__path_join(dir, p);
}

/* Find the named entry in a list like clusters: [{name, cluster: {...}}]. */
static const cJSON *find_named(const cJSON *doc, const char *list, const char *inner,
                               const char *name)
{
	const cJSON *it, *arr = kft__json_get(doc, list);

	if (!cJSON_IsArray(arr))
		return NULL;
	cJSON_ArrayForEach(it, arr) {
		if (kft__streq(kft__json_str(it, "name"), name)) {
			const cJSON *v = kft__json_get(it, inner);

			return v ? v : it;   /* an entry with a null body is still "defined" */
		}
	}
	return NULL;
}

/* First file (merge order) that defines name in list; the entry body and that file. */
static const cJSON *merged_find(const kcfile *files, size_t n, const char *list, const char *inner,
                                const char *name, const kcfile **from)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const cJSON *e = find_named(files[i].doc, list, inner, name);

		if (e) {
			*from = &files[i];
			return e;
		}
	}
	return NULL;
}

static int read_kcfile(kcfile *f, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int error;

	memset(f, 0, sizeof(*f));
	if ((error = kft__read_file(&text, &len, path)) < 0) {
		if (error == KFT_ENOTFOUND)
			return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
			                      "kubeconfig %s: no such file", path);
		kft__error_prefix("kubeconfig %s", path);
		return error;
	}
	error = kft__yaml_parse(&f->doc, text, len, path);
	free(text);
	if (error < 0) {
		kft__error_prefix("kubeconfig is malformed");
		return KFT_EINVALID;
	}
	if (cJSON_IsNull(f->doc) || !f->doc) {
		cJSON_Delete(f->doc);
		KFT_CHECK_ALLOC(f->doc = cJSON_CreateObject());
	}
	if (!cJSON_IsObject(f->doc)) {
		cJSON_Delete(f->doc);
		f->doc = NULL;
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig %s is malformed: expected a mapping at the top", path);
	}
	if ((f->path = kft__strdup(path)) == NULL || (f->dir = dir_of(path)) == NULL)
		return kft__error_oom();
	return 0;
}

static void free_files(kcfile *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cJSON_Delete(files[i].doc);
		free(files[i].path);
		free(files[i].dir);
	}
	free(files);
}

/* Bytes from "<key>-data" (base64) or "<key>" (a file, relative to dir). */
static int load_blob(char **out, size_t *len, const cJSON *obj, const char *key, const char *dir,
                     const char *what)
{
	char dkey[64];
	const char *data, *path;
	char *full;
	int error;

	*out = NULL;
	*len = 0;
	snprintf(dkey, sizeof(dkey), "%s-data", key);
	if ((data = kft__json_str(obj, dkey)) != NULL && *data) {
		unsigned char *bytes;

		if (kft__base64_decode(&bytes, len, data, strlen(data)) < 0)
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
			                      "kubeconfig %s: %s is not valid base64", what, dkey);
		*out = (char *)bytes;
		return 0;
	}
	if ((path = kft__json_str(obj, key)) == NULL || !*path)
		return 0;
	KFT_CHECK_ALLOC(full = resolve(dir, path));
	error = kft__read_file(out, len, full);
	if (error < 0)
		kft__error_set(error == KFT_ENOTFOUND ? KFT_ENOTFOUND : KFT_ERROR, KFT_ERROR_CLASS_CONFIG,
		               "kubeconfig %s: %s %s cannot be read", what, key, full);
	free(full);
	return error;
}

static int dupstr(char **dst, const char *s)
{
	if (!s)
		return 0;
	KFT_CHECK_ALLOC(*dst = kft__strdup(s));
	return 0;
}

static int is_true(const cJSON *v)
{
	return cJSON_IsTrue(v) || (cJSON_IsString(v) && kft__strcaseeq(v->valuestring, "true"));
}

static int load_exec(kft__k8s_config *c, const cJSON *ex, const char *dir, const char *uname)
{
	const char *cmd = kft__json_str(ex, "command"), *api = kft__json_str(ex, "apiVersion");
	const cJSON *it;
	int error;

	if (!cmd || !*cmd)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig user %s: exec.command is required", uname);
	if (!api || (strcmp(api, "client.authentication.k8s.io/v1") &&
	             strcmp(api, "client.authentication.k8s.io/v1beta1")))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig user %s: exec.apiVersion must be "
		                      "client.authentication.k8s.io/v1 or v1beta1, got \"%s\"",
		                      uname, api ? api : "");
	c->has_exec = 1;
	if ((error = dupstr(&c->exec.api_version, api)) < 0)
		return error;
	/* kubectl: a command with a path separator is relative to the kubeconfig's dir */
	if (strchr(cmd, '/'))
		c->exec.command = resolve(dir, cmd);
	else
		c->exec.command = kft__strdup(cmd);
	KFT_CHECK_ALLOC(c->exec.command);
	cJSON_ArrayForEach(it, kft__json_get(ex, "args")) {
		if (!cJSON_IsString(it))
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
			                      "kubeconfig user %s: exec.args must be strings", uname);
		if ((error = kft__strv_push(&c->exec.args, it->valuestring)) < 0)
			return error;
	}
	cJSON_ArrayForEach(it, kft__json_get(ex, "env")) {
		const char *n = kft__json_str(it, "name"), *v = kft__json_str(it, "value");

		if (!n || !v || !*n || strchr(n, '='))
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
			                      "kubeconfig user %s: exec.env entries need a name and a "
			                      "value", uname);
		if ((error = kft__env_set(&c->exec.env, n, v)) < 0)
			return error;
	}
	c->exec.provide_cluster_info = is_true(kft__json_get(ex, "provideClusterInfo"));
	if ((error = dupstr(&c->exec.install_hint, kft__json_str(ex, "installHint"))) < 0 ||
	    (error = dupstr(&c->exec.interactive_mode, kft__json_str(ex, "interactiveMode"))) < 0)
		return error;
	return 0;
}

static int known_contexts(kft__buf *b, const kcfile *files, size_t n)
{
	size_t i;
	const cJSON *it;
	int first = 1;

	for (i = 0; i < n; i++) {
		cJSON_ArrayForEach(it, kft__json_get(files[i].doc, "contexts")) {
			const char *name = kft__json_str(it, "name");

			if (!name)
				continue;
			kft__buf_printf(b, "%s%s", first ? "" : ", ", name);
			first = 0;
		}
	}
	if (first)
		kft__buf_puts(b, "none");
	return b->oom ? KFT_ENOMEM : 0;
}

static int strip_server(char **dst, const char *server)
{
	size_t n;

	KFT_CHECK_ALLOC(*dst = kft__strdup(server));
	n = strlen(*dst);
	while (n > 0 && (*dst)[n - 1] == '/')
		(*dst)[--n] = '\0';
	return 0;
}

static int from_files(kft__k8s_config *c, kcfile *files, size_t n, const char *context,
                      const char *ns)
{
	const char *ctxname = context;
	const cJSON *ctx, *cluster, *user = NULL, *v;
	const kcfile *cf = NULL, *clf = NULL, *uf = NULL;
	kft__buf b = KFT__BUF_INIT;
	size_t i;
	int error;

	if (!ctxname) {
		for (i = 0; i < n && !ctxname; i++) {
			const char *cc = kft__json_str(files[i].doc, "current-context");

			if (cc && *cc)
				ctxname = cc;
		}
	}
	if (!ctxname) {
		known_contexts(&b, files, n);
		kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		               "kubeconfig %s: no current-context is set; pick one with --context "
		               "(known contexts: %s)", files[0].path, b.ptr ? b.ptr : "none");
		kft__buf_free(&b);
		return KFT_EINVALID;
	}
	if ((ctx = merged_find(files, n, "contexts", "context", ctxname, &cf)) == NULL) {
		known_contexts(&b, files, n);
		kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
		               "kubeconfig: context \"%s\" not found (known contexts: %s)", ctxname,
		               b.ptr ? b.ptr : "none");
		kft__buf_free(&b);
		return KFT_ENOTFOUND;
	}
	if ((error = dupstr(&c->context, ctxname)) < 0 ||
	    (error = dupstr(&c->origin, cf->path)) < 0 ||
	    (error = dupstr(&c->cluster_name, kft__json_str(ctx, "cluster"))) < 0 ||
	    (error = dupstr(&c->user_name, kft__json_str(ctx, "user"))) < 0)
		return error;
	if (!c->cluster_name)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig context \"%s\" names no cluster", ctxname);
	cluster = merged_find(files, n, "clusters", "cluster", c->cluster_name, &clf);
	if (!cluster)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig context \"%s\": cluster \"%s\" not found", ctxname,
		                      c->cluster_name);
	if (!kft__json_str(cluster, "server") || !*kft__json_str(cluster, "server"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig cluster \"%s\": server is required", c->cluster_name);
	if ((error = strip_server(&c->server, kft__json_str(cluster, "server"))) < 0)
		return error;
	if (strncmp(c->server, "https://", 8) && strncmp(c->server, "http://", 7))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
		                      "kubeconfig cluster \"%s\": server \"%s\" must start with "
		                      "https:// or http://", c->cluster_name, c->server);
	c->insecure = is_true(kft__json_get(cluster, "insecure-skip-tls-verify"));
	{
		const cJSON *dc = kft__json_get(cluster, "disable-compression");

		c->compression = !dc || cJSON_IsNull(dc) ? -1 : !is_true(dc);
	}
	if ((error = load_blob(&c->ca, &c->ca_len, cluster, "certificate-authority", clf->dir,
	                       c->cluster_name)) < 0 ||
	    (error = dupstr(&c->tls_server_name, kft__json_str(cluster, "tls-server-name"))) < 0 ||
	    (error = dupstr(&c->proxy_url, kft__json_str(cluster, "proxy-url"))) < 0)
		return error;
	if (c->user_name) {
		user = merged_find(files, n, "users", "user", c->user_name, &uf);
		if (!user)
			return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
			                      "kubeconfig context \"%s\": user \"%s\" not found", ctxname,
			                      c->user_name);
	}
	if (user && cJSON_IsObject(user)) {
		const char *uname = c->user_name;

		if ((error = dupstr(&c->token, kft__json_str(user, "token"))) < 0)
			return error;
		if ((v = kft__json_get(user, "tokenFile")) && cJSON_IsString(v) && *v->valuestring)
			KFT_CHECK_ALLOC(c->token_file = resolve(uf->dir, v->valuestring));
		if ((error = load_blob(&c->cert, &c->cert_len, user, "client-certificate", uf->dir,
		                       uname)) < 0 ||
		    (error = load_blob(&c->key, &c->key_len, user, "client-key", uf->dir, uname)) < 0)
			return error;
		if (!c->cert != !c->key)
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
			                      "kubeconfig user \"%s\": client-certificate and client-key "
			                      "must be given together", uname);
		if ((error = dupstr(&c->username, kft__json_str(user, "username"))) < 0 ||
		    (error = dupstr(&c->password, kft__json_str(user, "password"))) < 0)
			return error;
		if ((v = kft__json_get(user, "exec")) && !cJSON_IsNull(v) &&
		    (error = load_exec(c, v, uf->dir, uname)) < 0)
			return error;
		if (kft__json_get(user, "auth-provider"))
			kft__log(KFT_DIAG_WARN, "kubeconfig user \"%s\": auth-provider is not supported "
			         "(use an exec plugin)", uname);
	}
	if (ns)
		return dupstr(&c->ns, ns);
	v = kft__json_get(ctx, "namespace");
	return dupstr(&c->ns, cJSON_IsString(v) && *v->valuestring ? v->valuestring : "default");
}

static int in_cluster(kft__k8s_config *c, const char *ns)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *dir = kft__k8s_sa_dir();
	char *p, *text = NULL;
	size_t len;
	int error;

	c->in_cluster = 1;
	KFT_CHECK_ALLOC(c->origin = kft__strdup("in-cluster service account"));
	{
		kft__buf b = KFT__BUF_INIT;

		if (strchr(host, ':'))
			kft__buf_printf(&b, "https://[%s]:%s", host, port);
		else
			kft__buf_printf(&b, "https://%s:%s", host, port);
		if (b.oom)
			return kft__error_oom();
		c->server = kft__buf_detach(&b);
	}
	KFT_CHECK_ALLOC(c->token_file = kft__path_join(dir, "token"));
	KFT_CHECK_ALLOC(p = kft__path_join(dir, "ca.crt"));
	error = kft__read_file(&c->ca, &c->ca_len, p);
	free(p);
	if (error < 0 && error != KFT_ENOTFOUND)
		return error;
	kft_error_clear();
	if (ns)
		return dupstr(&c->ns, ns);
	KFT_CHECK_ALLOC(p = kft__path_join(dir, "namespace"));
	error = kft__read_file(&text, &len, p);
	free(p);
	if (error == 0) {
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\r'))
			text[--len] = '\0';
		if (len > 0) {
			c->ns = text;
			return 0;
		}
	}
	free(text);
	kft_error_clear();
	return dupstr(&c->ns, "default");
}

int kft__k8s_config_load(kft__k8s_config *out, const char *kubeconfig, const char *context,
                         const char *ns)
{
	const char *env = getenv("KUBECONFIG");
	kcfile *files = NULL;
	size_t n = 0, cap = 0;
	int error = 0;
	char *home = NULL, *def = NULL;

	memset(out, 0, sizeof(*out));
	out->compression = -1;
	if (kubeconfig && *kubeconfig) {
		KFT_CHECK_ALLOC(files = kft__calloc(1, sizeof(*files)));
		n = 1;
		if ((error = read_kcfile(&files[0], kubeconfig)) < 0)
			goto out;
	} else if (env && *env) {
		const char *p = env;

		for (;;) {
			const char *colon = strchr(p, ':');
			size_t len = colon ? (size_t)(colon - p) : strlen(p);

			if (len > 0) {
				char *path = kft__strndup(p, len);
				kcfile f;

				if (!path) {
					error = kft__error_oom();
					goto out;
				}
				error = read_kcfile(&f, path);
				free(path);
				if (error == KFT_ENOTFOUND) {
					kft_error_clear();   /* kubectl skips missing files in the list */
					error = 0;
				} else if (error < 0) {
					goto out;
				} else {
					if ((error = kft__grow(&files, &cap, n + 1, sizeof(*files), 4)) < 0) {
						cJSON_Delete(f.doc);
						free(f.path);
						free(f.dir);
						goto out;
					}
					files[n++] = f;
				}
			}
			if (!colon)
				break;
			p = colon + 1;
		}
		if (n == 0) {
			error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
			                       "no kubeconfig: none of the files in $KUBECONFIG (%s) "
			                       "exists", env);
			goto out;
		}
	} else {
		if ((home = kft__home_dir()) == NULL || (def = kft__path_join(home, ".kube/config")) == NULL) {
			error = kft__error_oom();
			goto out;
		}
		if (access(def, F_OK) != 0) {
			if (getenv("KUBERNETES_SERVICE_HOST") && getenv("KUBERNETES_SERVICE_PORT")) {
				error = in_cluster(out, ns);
				goto out;
			}
			error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
			                       "no kubeconfig: %s does not exist, $KUBECONFIG is not set "
			                       "and this is not a pod (KUBERNETES_SERVICE_HOST unset); use "
			                       "--kubeconfig", def);
			goto out;
		}
		KFT_CHECK_ALLOC(files = kft__calloc(1, sizeof(*files)));
		n = 1;
		if ((error = read_kcfile(&files[0], def)) < 0)
			goto out;
	}
	error = from_files(out, files, n, context, ns);
out:
	free_files(files, n);
	free(home);
	free(def);
	if (error < 0)
		kft__k8s_config_free(out);
	return error;
}
