/* Global setup, diagnostics, version, backend registry. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_count;
static int curl_ready;

static kft_diag_cb diag_cb;
static void *diag_payload;
static int diag_level = -1;

typedef struct backend_entry {
	char *name;
	kft_backend_factory_cb factory;
	void *payload;
	struct backend_entry *next;
} backend_entry;
static backend_entry *backends;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

int kft_version(void)
{
	return KFT_VERSION_NUM;
}

const char *kft_version_string(void)
{
	return KFT_VERSION_STRING;
}

static int register_locked(const char *name, kft_backend_factory_cb factory, void *payload)
{
	backend_entry *e;

	for (e = backends; e; e = e->next) {
		if (!strcmp(e->name, name)) {
			e->factory = factory;
			e->payload = payload;
			return 0;
		}
	}
	if ((e = kft__calloc(1, sizeof(*e))) == NULL || (e->name = kft__strdup(name)) == NULL) {
		free(e);
		return kft__error_oom();
	}
	e->factory = factory;
	e->payload = payload;
	e->next = backends;
	backends = e;
	return 0;
}

/* The built-in backends take their settings from kft_client_opts_t's fields, no backend options. */
typedef struct {
	const char *name;
	kft_backend_factory_cb factory;
} builtin_backend;

static const builtin_backend builtins[] = {
	{ "local", kft__backend_local_factory },
	{ "container", kft__backend_container_factory },
	{ "kubernetes", kft__backend_kubernetes_factory },
};

static int builtin_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload)
{
	const builtin_backend *b = payload;
	int error;

	*out = NULL;
	if ((error = kft__backend_options_none(opts, b->name)) < 0)
		return error;
	return b->factory(out, opts, NULL);
}

static void register_builtins(void)
{
	size_t i;

	pthread_mutex_lock(&global_lock);
	for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		register_locked(builtins[i].name, builtin_factory, (void *)&builtins[i]);
	pthread_mutex_unlock(&global_lock);
}

static int ensure_curl(void)
{
	int error = 0;

	pthread_mutex_lock(&global_lock);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "curl_global_init failed");
		else
			curl_ready = 1;
	}
	pthread_mutex_unlock(&global_lock);
	return error;
}

int kft_init(void)
{
	int n, error;

	pthread_once(&builtin_once, register_builtins);
	if ((error = ensure_curl()) < 0)
		return error;
	pthread_mutex_lock(&global_lock);
	n = ++init_count;
	pthread_mutex_unlock(&global_lock);
	return n;
}

int kft_shutdown(void)
{
	int n;

	pthread_mutex_lock(&global_lock);
	if (init_count > 0)
		init_count--;
	n = init_count;
	/* curl stays initialised: other clients may still be using it, and
	 * curl_global_cleanup is not thread-safe. */
	pthread_mutex_unlock(&global_lock);
	return n;
}

/* Called by kft_client_new: the same setup without counting. */
int kft__global_ensure(void);
int kft__global_ensure(void)
{
	pthread_once(&builtin_once, register_builtins);
	return ensure_curl();
}

int kft_backend_register(const char *name, kft_backend_factory_cb factory, void *payload)
{
	int error;

	KFT_ASSERT_ARG(name && *name && factory);
	pthread_once(&builtin_once, register_builtins);
	pthread_mutex_lock(&global_lock);
	error = register_locked(name, factory, payload);
	pthread_mutex_unlock(&global_lock);
	return error;
}

int kft_backend_unregister(const char *name)
{
	backend_entry **pp, *e;

	KFT_ASSERT_ARG(name);
	pthread_once(&builtin_once, register_builtins);
	pthread_mutex_lock(&global_lock);
	for (pp = &backends; (e = *pp) != NULL; pp = &e->next) {
		if (!strcmp(e->name, name)) {
			*pp = e->next;
			free(e->name);
			free(e);
			pthread_mutex_unlock(&global_lock);
			return 0;
		}
	}
	pthread_mutex_unlock(&global_lock);
	return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID, "no backend named \"%s\"", name);
}

int kft__backend_lookup(kft_backend_factory_cb *factory, void **payload, const char *name);
int kft__backend_lookup(kft_backend_factory_cb *factory, void **payload, const char *name)
{
	backend_entry *e;
	kft__buf names = KFT__BUF_INIT;

	pthread_mutex_lock(&global_lock);
	for (e = backends; e; e = e->next) {
		if (!strcmp(e->name, name)) {
			*factory = e->factory;
			*payload = e->payload;
			pthread_mutex_unlock(&global_lock);
			return 0;
		}
	}
	for (e = backends; e; e = e->next)
		kft__buf_printf(&names, "%s%s", names.len ? ", " : "", e->name);
	pthread_mutex_unlock(&global_lock);
	kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
	               "unknown backend \"%s\" (known: %s)", name, names.ptr ? names.ptr : "none");
	kft__buf_free(&names);
	return KFT_ENOTFOUND;
}

void kft_diag_set_handler(kft_diag_cb cb, int max_level, void *payload)
{
	diag_cb = cb;
	diag_payload = payload;
	diag_level = max_level;
}

int kft__log_enabled(int level)
{
	return diag_cb && level <= diag_level;
}

void kft__log(int level, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (!kft__log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_cb(level, msg, diag_payload);
}
