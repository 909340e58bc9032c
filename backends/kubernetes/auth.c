/*
 * Credentials: static token, token file (re-read when it changes or after a
 * 401), client certificates, basic auth, and exec credential plugins
 * (client.authentication.k8s.io/v1 and v1beta1) run through kft__proc_spawn
 * with an argv and an environment for the child only - never a shell.
 * Secrets never reach a log line or an error message.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define EXEC_TIMEOUT_MS 60000
#define EXEC_OUT_MAX (4 * 1024 * 1024)

static void secret_free(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int exec_info(char **out, const kft__k8s *k)
{
	const kft__k8s_config *c = &k->cfg;
	cJSON *root = cJSON_CreateObject(), *spec, *cl;
	int error = 0;

	*out = NULL;
	KFT_CHECK_ALLOC(root);
	if (!cJSON_AddStringToObject(root, "apiVersion", c->exec.api_version) ||
	    !cJSON_AddStringToObject(root, "kind", "ExecCredential") ||
	    !(spec = cJSON_AddObjectToObject(root, "spec")) ||
	    !cJSON_AddBoolToObject(spec, "interactive", 0)) {
		error = kft__error_oom();
		goto out;
	}
	if (c->exec.provide_cluster_info) {
		if (!(cl = cJSON_AddObjectToObject(spec, "cluster")) ||
		    !cJSON_AddStringToObject(cl, "server", c->server) ||
		    (c->tls_server_name && !cJSON_AddStringToObject(cl, "tls-server-name",
		                                                    c->tls_server_name)) ||
		    (c->insecure && !cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", 1)) ||
		    (c->proxy_url && !cJSON_AddStringToObject(cl, "proxy-url", c->proxy_url))) {
			error = kft__error_oom();
			goto out;
		}
		if (c->ca) {
			char *b64 = kft__base64_encode((const unsigned char *)c->ca, c->ca_len);

			if (!b64 || !cJSON_AddStringToObject(cl, "certificate-authority-data", b64)) {
				free(b64);
				error = kft__error_oom();
				goto out;
			}
			free(b64);
		}
	}
	if ((*out = cJSON_PrintUnformatted(root)) == NULL)
		error = kft__error_oom();
out:
	cJSON_Delete(root);
	return error;
}

/* Read both pipes until EOF (or the deadline); 0, or KFT_ETIMEOUT. */
static int drain(int fds[2], kft__buf bufs[2], int64_t deadline)
{
	char chunk[8192];
	int open_n = 2;

	while (open_n > 0) {
		struct pollfd p[2];
		int np = 0, i, wait_ms;
		int64_t left = deadline - kft__mono_ms();

		if (left <= 0)
			return KFT_ETIMEOUT;
		wait_ms = left > 1000 ? 1000 : (int)left;
		for (i = 0; i < 2; i++) {
			if (fds[i] >= 0) {
				p[np].fd = fds[i];
				p[np].events = POLLIN;
				p[np].revents = 0;
				np++;
			}
		}
		if (poll(p, (nfds_t)np, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			return kft__error_os(KFT_ERROR, "poll");
		}
		for (i = 0; i < np; i++) {
			int w = p[i].fd == fds[0] ? 0 : 1;
			ssize_t r;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, chunk, sizeof(chunk));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(fds[w]);
				fds[w] = -1;
				open_n--;
				continue;
			}
			if (bufs[w].len < EXEC_OUT_MAX && kft__buf_put(&bufs[w], chunk, (size_t)r) < 0)
				return KFT_ENOMEM;
		}
	}
	return 0;
}

static void trim(kft__buf *b)
{
	while (b->len > 0 && (b->ptr[b->len - 1] == '\n' || b->ptr[b->len - 1] == ' ' ||
	                      b->ptr[b->len - 1] == '\r'))
		b->ptr[--b->len] = '\0';
}

int kft__k8s_parse_credential(kft__k8s *k, const char *text, size_t len, const char *cmd)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	const cJSON *st;
	const char *api, *kind, *tok, *cert, *key, *exp;
	int error = 0;

	if (!doc || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG,
		                      "exec plugin %s: output is not an ExecCredential JSON object", cmd);
	}
	api = kft__json_str(doc, "apiVersion");
	kind = kft__json_str(doc, "kind");
	if (!kft__streq(kind, "ExecCredential") || !kft__streq(api, k->cfg.exec.api_version)) {
		kft__buf got = KFT__BUF_INIT;   /* the plugin's words: no terminal escapes */

		kft__buf_puts(&got, "kind ");
		kft__buf_put_text(&got, kind ? kind : "(none)", 100, NULL);
		kft__buf_puts(&got, ", apiVersion ");
		kft__buf_put_text(&got, api ? api : "(none)", 100, NULL);
		error = kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG,
		                       "exec plugin %s: expected kind ExecCredential, apiVersion %s; "
		                       "got %s", cmd, k->cfg.exec.api_version,
		                       got.ptr ? got.ptr : "");
		kft__buf_free(&got);
		goto out;
	}
	st = kft__json_get(doc, "status");
	tok = kft__json_str(st, "token");
	cert = kft__json_str(st, "clientCertificateData");
	key = kft__json_str(st, "clientKeyData");
	if ((!tok || !*tok) && !(cert && key)) {
		error = kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG,
		                       "exec plugin %s: status has neither a token nor "
		                       "clientCertificateData and clientKeyData", cmd);
		goto out;
	}
	secret_free(&k->token);
	free(k->exec_cert);
	secret_free(&k->exec_key);
	k->exec_cert = NULL;
	if (tok && *tok && (k->token = kft__strdup(tok)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if (cert && key && ((k->exec_cert = kft__strdup(cert)) == NULL ||
	                    (k->exec_key = kft__strdup(key)) == NULL)) {
		error = kft__error_oom();
		goto out;
	}
	exp = kft__json_str(st, "expirationTimestamp");
	k->token_expiry_ms = exp ? kft__time_rfc3339_ms(exp) : 0;
	if (exp && k->token_expiry_ms == 0) {
		kft__buf t = KFT__BUF_INIT;

		kft__buf_put_text(&t, exp, 100, NULL);
		kft__log(KFT_DIAG_WARN, "exec plugin %s: unparsable expirationTimestamp \"%s\"", cmd,
		         t.ptr ? t.ptr : "");
		kft__buf_free(&t);
	}
	k->exec_valid = 1;
	kft__log(KFT_DIAG_DEBUG, "exec plugin %s: got a %s%s", cmd,
	         tok && *tok ? "token" : "client certificate",
	         exp ? " with an expiry" : " (no expiry)");
out:
	/* the output held the secret: wipe it from the parsed tree too */
	st = kft__json_get(doc, "status");
	if (st) {
		cJSON *it;

		cJSON_ArrayForEach(it, st)
			if (cJSON_IsString(it) && it->valuestring)
				explicit_bzero(it->valuestring, strlen(it->valuestring));
	}
	cJSON_Delete(doc);
	return error;
}

static int run_exec(kft__k8s *k)
{
	const kft__k8s_exec *ex = &k->cfg.exec;
	const char *cmd = base_name(ex->command);
	kft__strv argv = KFT__STRV_INIT, env = KFT__STRV_INIT;
	kft__buf bufs[2] = { KFT__BUF_INIT, KFT__BUF_INIT }, said = KFT__BUF_INIT;
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, fds[2], status = 0, error;
	char *info = NULL, **e;
	kft__proc_opts po;
	pid_t pid = -1;
	size_t i;

	if (kft__streq(ex->interactive_mode, "Always"))
		return kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG,
		                      "exec plugin %s needs an interactive terminal (interactiveMode: "
		                      "Always), which a library cannot provide", cmd);
	if ((error = kft__strv_push(&argv, ex->command)) < 0)
		goto out;
	for (i = 0; i < ex->args.n; i++)
		if ((error = kft__strv_push(&argv, ex->args.v[i])) < 0)
			goto out;
	for (e = environ; e && *e; e++)
		if ((error = kft__strv_push(&env, *e)) < 0)
			goto out;
	for (i = 0; i < ex->env.n; i++) {
		const char *eq = strchr(ex->env.v[i], '=');
		char *name = kft__strndup(ex->env.v[i], (size_t)(eq - ex->env.v[i]));

		if (!name) {
			error = kft__error_oom();
			goto out;
		}
		error = kft__env_set(&env, name, eq + 1);
		free(name);
		if (error < 0)
			goto out;
	}
	if ((error = exec_info(&info, k)) < 0 ||
	    (error = kft__env_set(&env, "KUBERNETES_EXEC_INFO", info)) < 0)
		goto out;
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0) {
		error = kft__error_os(KFT_ERROR, "pipe");
		goto out;
	}
	memset(&po, 0, sizeof(po));
	po.file = ex->command;
	po.argv = argv.v;
	po.env = env.v;
	po.stdin_fd = -1;
	po.stdout_fd = out_p[1];
	po.stderr_fd = err_p[1];
	kft__log(KFT_DIAG_DEBUG, "running exec credential plugin %s", cmd);
	if ((error = kft__proc_spawn(&pid, &po)) < 0) {
		kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG, "exec credential plugin %s: %s%s%s",
		               cmd, kft_error_last()->message, ex->install_hint ? "\n" : "",
		               ex->install_hint ? ex->install_hint : "");
		error = KFT_EAUTH;
		goto out;
	}
	close(out_p[1]);
	close(err_p[1]);
	out_p[1] = err_p[1] = -1;
	fds[0] = out_p[0];
	fds[1] = err_p[0];
	out_p[0] = err_p[0] = -1;
	error = drain(fds, bufs, kft__mono_ms() + EXEC_TIMEOUT_MS);
	for (i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (error == KFT_ETIMEOUT) {
		kft__kill(pid, SIGKILL, 0);
		waitpid(pid, &status, 0);
		error = kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG,
		                       "exec credential plugin %s did not finish within %d s", cmd,
		                       EXEC_TIMEOUT_MS / 1000);
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (error < 0)
		goto out;
	trim(&bufs[1]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char how[64];

		if (WIFEXITED(status))
			snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
		else
			snprintf(how, sizeof(how), "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		/* its stderr, without terminal escapes, nor the token it had handed out before */
		kft__buf_put_text(&said, bufs[1].len ? bufs[1].ptr : "(no stderr output)", 2000,
		                  k->token);
		error = kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG,
		                       "exec credential plugin %s failed (%s): %s", cmd, how,
		                       said.ptr ? said.ptr : "");
		goto out;
	}
	error = kft__k8s_parse_credential(k, bufs[0].ptr ? bufs[0].ptr : "", bufs[0].len, cmd);
out:
	if (bufs[0].ptr)
		explicit_bzero(bufs[0].ptr, bufs[0].len);
	kft__buf_free(&bufs[0]);
	if (bufs[1].ptr)
		explicit_bzero(bufs[1].ptr, bufs[1].len);
	kft__buf_free(&bufs[1]);
	kft__buf_free(&said);
	for (i = 0; i < 2; i++) {
		if (out_p[i] >= 0)
			close(out_p[i]);
		if (err_p[i] >= 0)
			close(err_p[i]);
	}
	free(info);
	kft__strv_free(&argv);
	kft__strv_free(&env);
	return error;
}

static int read_token_file(kft__k8s *k, int force)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int error;

	if (stat(k->cfg.token_file, &st) < 0) {
		if (k->token)   /* keep the last good token across a rotation gap */
			return 0;
		return kft__error_os(KFT_EAUTH, "token file %s", k->cfg.token_file);
	}
	if (!force && k->token_st_valid && st.st_ino == k->token_st.st_ino &&
	    st.st_dev == k->token_st.st_dev && st.st_size == k->token_st.st_size &&
	    st.st_mtim.tv_sec == k->token_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == k->token_st.st_mtim.tv_nsec)
		return 0;
	if ((error = kft__read_file(&text, &len, k->cfg.token_file)) < 0) {
		kft__error_prefix("token file");
		return error == KFT_ENOTFOUND ? KFT_EAUTH : error;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (len == 0) {
		free(text);
		return kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_CONFIG, "token file %s is empty",
		                      k->cfg.token_file);
	}
	secret_free(&k->token);
	k->token = text;
	k->token_st = st;
	k->token_st_valid = 1;
	kft__log(KFT_DIAG_DEBUG, "read the bearer token from %s", k->cfg.token_file);
	return 0;
}

int kft__k8s_auth_refreshable(const kft__k8s *k)
{
	return k->cfg.has_exec || k->cfg.token_file != NULL;
}

int kft__k8s_auth_refresh(kft__k8s *k, int force)
{
	const kft__k8s_config *c = &k->cfg;

	if (c->has_exec) {
		/* refresh a little before expiry so a request never carries a dead token */
		if (force || !k->exec_valid ||
		    (k->token_expiry_ms && kft__now_ms() >= k->token_expiry_ms - 5000))
			return run_exec(k);
		return 0;
	}
	if (c->token && *c->token) {
		if (!k->token)
			KFT_CHECK_ALLOC(k->token = kft__strdup(c->token));
		return 0;
	}
	if (c->token_file)
		return read_token_file(k, force);
	return 0;
}

int kft__k8s_auth_apply(kft__k8s *k, CURL *h, struct curl_slist **hdrs)
{
	const kft__k8s_config *c = &k->cfg;

	if (k->token) {
		int error = kft__http_add_bearer(hdrs, k->token);

		if (error < 0)
			return error;
	} else if (c->username && c->password) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
	}
	if (k->exec_cert && k->exec_key)   /* the exec plugin's client certificate */
		kft__http_client_cert(h, k->exec_cert, strlen(k->exec_cert), k->exec_key,
		                      strlen(k->exec_key));
	return 0;
}
