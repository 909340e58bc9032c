/* The client: picks a backend by name and dispatches the verbs. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

int kft__global_ensure(void);
int kft__backend_lookup(kft_backend_factory_cb *factory, void **payload, const char *name);

struct kft_client {
	kft_backend_t *be;
	char *runtime_path;
};

#define LAYOUT(type, defaults, ...) \
	static const type defaults_of_##type = defaults; \
	static const size_t sizes_of_##type[] = { __VA_ARGS__ }; \
	static const kft__opts_layout layout_of_##type = { #type, &defaults_of_##type, \
		sizes_of_##type, sizeof(sizes_of_##type) / sizeof(sizes_of_##type[0]) }

LAYOUT(kft_client_opts_t, KFT_CLIENT_OPTS_INIT,
       offsetof(kft_client_opts_t, backend_option_keys), sizeof(kft_client_opts_t));
LAYOUT(kft_train_opts_t, KFT_TRAIN_OPTS_INIT, sizeof(kft_train_opts_t));
LAYOUT(kft_delete_opts_t, KFT_DELETE_OPTS_INIT, sizeof(kft_delete_opts_t));
LAYOUT(kft_wait_opts_t, KFT_WAIT_OPTS_INIT, sizeof(kft_wait_opts_t));
LAYOUT(kft_logs_opts_t, KFT_LOGS_OPTS_INIT,
       offsetof(kft_logs_opts_t, prefix), sizeof(kft_logs_opts_t));

int kft_client_opts_init(kft_client_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &layout_of_kft_client_opts_t);
}

int kft_train_opts_init(kft_train_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &layout_of_kft_train_opts_t);
}

int kft_delete_opts_init(kft_delete_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &layout_of_kft_delete_opts_t);
}

int kft_wait_opts_init(kft_wait_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &layout_of_kft_wait_opts_t);
}

int kft_logs_opts_init(kft_logs_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &layout_of_kft_logs_opts_t);
}

const char *kft_backend_option(const kft_client_opts_t *opts, const char *key)
{
	const char *value = NULL;
	size_t i;

	if (!opts || !key || opts->version < 2 || !opts->backend_option_keys ||
	    !opts->backend_option_values)
		return NULL;
	for (i = 0; i < opts->nbackend_options; i++)
		if (opts->backend_option_keys[i] && !strcmp(opts->backend_option_keys[i], key))
			value = opts->backend_option_values[i];
	return value;
}

int kft__backend_options_none(const kft_client_opts_t *opts, const char *backend)
{
	size_t i;

	for (i = 0; opts && opts->version >= 2 && i < opts->nbackend_options; i++)
		if (opts->backend_option_keys && opts->backend_option_keys[i])
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "backend option \"%s\": the %s backend takes no backend "
			                      "options (use the kft_client_opts_t fields)",
			                      opts->backend_option_keys[i], backend);
	return 0;
}

int kft_client_new(kft_client_t **out, const kft_client_opts_t *opts)
{
	kft_client_opts_t o;
	kft_backend_factory_cb factory;
	void *payload;
	kft_client_t *c;
	const char *name;
	int error;

	KFT_ASSERT_ARG(out);
	*out = NULL;
	if ((error = kft__opts_read(&o, opts, &layout_of_kft_client_opts_t)) < 0)
		return error;
	if (o.nbackend_options && (!o.backend_option_keys || !o.backend_option_values))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "kft_client_opts_t: nbackend_options is %zu but the keys or "
		                      "values are NULL", o.nbackend_options);
	if ((error = kft__global_ensure()) < 0)
		return error;
	name = o.backend ? o.backend : getenv("KFT_BACKEND");
	if (!name || !*name)
		name = "local";
	if ((error = kft__backend_lookup(&factory, &payload, name)) < 0)
		return error;
	KFT_CHECK_ALLOC(c = kft__calloc(1, sizeof(*c)));
	if (o.runtime_path && (c->runtime_path = kft__strdup(o.runtime_path)) == NULL) {
		free(c);
		return kft__error_oom();
	}
	if ((error = factory(&c->be, &o, payload)) < 0) {
		free(c->runtime_path);
		free(c);
		return error;
	}
	if (!c->be || c->be->version < KFT_BACKEND_MIN_VERSION ||
	    c->be->version > KFT_BACKEND_VERSION || !c->be->free) {
		unsigned int v = c->be ? c->be->version : 0;

		if (c->be && c->be->free)
			c->be->free(c->be);
		free(c->runtime_path);
		free(c);
		return kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_INVALID,
		                      "backend \"%s\" has an unsupported vtable (version %u; this library "
		                      "takes %d to %d)", name, v, KFT_BACKEND_MIN_VERSION,
		                      KFT_BACKEND_VERSION);
	}
	*out = c;
	return 0;
}

void kft_client_free(kft_client_t *client)
{
	if (!client)
		return;
	if (client->be)
		client->be->free(client->be);
	free(client->runtime_path);
	free(client);
}

const char *kft_client_backend(const kft_client_t *client)
{
	return client && client->be ? client->be->name : NULL;
}

kft_backend_t *kft__client_backend(const kft_client_t *client)
{
	return client ? client->be : NULL;
}

const char *kft__client_runtime_path(const kft_client_t *client)
{
	return client ? client->runtime_path : NULL;
}

static int unsupported(const kft_client_t *c, const char *what)
{
	return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
	                      "the %s backend does not support %s", c->be->name, what);
}

/*
 * Submit once: the runtime spec.runtimeRef names is read ONCE, from this backend
 * (resolve_runtime, else get_runtime, else the local catalog); the spec is
 * expanded and canonicalized ONCE (kft__spec_finalize) and, if asked, validated.
 * The backend's submit/render_plan get that final spec and that runtime.
 */
static int resolve(kft_spec_t **final, kft_runtime_t **rt, kft_client_t *client,
                   const kft_spec_t *spec, int validate)
{
	kft_backend_t *be = client->be;
	const char *name = kft_spec_runtime_name(spec);
	const char *kind = kft__json_str(kft__json_path(kft__spec_doc(spec), "spec.runtimeRef"), "kind");
	kft_spec_t *named = NULL;
	cJSON *doc = NULL;
	int error;

	*final = NULL;
	*rt = NULL;
	if (!name)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "spec.runtimeRef.name: Required value");
	if (!kft_spec_name(spec)) {
		if ((error = kft_spec_dup(&named, spec)) < 0 ||
		    (error = kft_spec_generate_name(named)) < 0)
			goto out;
		spec = named;
	}
	error = be->resolve_runtime ? be->resolve_runtime(rt, be, name, kind) :
	        kft_get_runtime(rt, client, name);
	if (error < 0) {
		const kft_error_t *e = kft_error_last();

		/* the server may accept what this client may not read; an unreachable one
		 * (no HTTP status) fails here rather than at the POST */
		if (!(be->caps & KFT_BACKEND_CAP_REMOTE_RUNTIMES) ||
		    (e->http_status == 0 && error != KFT_EINVALID))
			goto out;
		kft__log(KFT_DIAG_DEBUG, "runtime %s is not readable from the %s backend (%s); the "
		         "local catalog expands the trainer and the server decides", name, be->name,
		         e->message);
		kft_error_clear();
		*rt = NULL;
	}
	if ((error = kft__spec_finalize(&doc, spec, *rt)) < 0 ||
	    (validate && (error = kft__spec_validate_final(doc, *rt)) < 0))
		goto out;
	error = kft__spec_from_final(final, doc);
	doc = NULL;
out:
	cJSON_Delete(doc);
	kft_spec_free(named);
	if (error < 0) {
		kft_runtime_free(*rt);
		*rt = NULL;
	}
	return error;
}

int kft_train(kft_job_t **out, kft_client_t *client, const kft_spec_t *spec,
              const kft_train_opts_t *opts)
{
	kft_job_t *discard = NULL;
	kft_spec_t *final = NULL;
	kft_runtime_t *rt = NULL;
	kft_job_t *job = NULL;
	kft_train_opts_t o;
	int error;

	KFT_ASSERT_ARG(client && spec);
	KFT__OUT_BEGIN(out, discard);
	if ((error = kft__opts_read(&o, opts, &layout_of_kft_train_opts_t)) < 0)
		return error;
	opts = &o;
	if (!client->be->submit)
		return unsupported(client, "train");
	if ((error = resolve(&final, &rt, client, spec,
	                     !(opts->flags & KFT_TRAIN_NO_VALIDATE))) < 0)
		return error;
	error = client->be->submit(&job, client->be, final, rt, opts);
	if (error == 0)
		*out = job;
	else
		kft_job_free(job);
	kft_runtime_free(rt);
	kft_spec_free(final);
	kft_job_free(discard);
	return error;
}

int kft_render_plan(char **out, kft_client_t *client, const kft_spec_t *spec,
                    const kft_render_opts_t *opts)
{
	char *discard = NULL;
	kft_spec_t *final = NULL;
	kft_runtime_t *rt = NULL;
	kft_render_opts_t o;
	int error;

	KFT_ASSERT_ARG(client && spec);
	KFT__OUT_BEGIN(out, discard);
	if ((error = kft__render_opts_read(&o, opts)) < 0)
		return error;
	if (!client->be->render_plan)
		return unsupported(client, "plan rendering");
	if ((error = resolve(&final, &rt, client, spec, 0)) < 0)
		return error;
	error = client->be->render_plan(out, client->be, final, rt, &o);
	KFT__OUT_ON_ERROR(out, error, free);
	kft_runtime_free(rt);
	kft_spec_free(final);
	free(discard);
	return error;
}

int kft_get_job(kft_job_t **out, kft_client_t *client, const char *name)
{
	kft_job_t *discard = NULL;
	int error;

	KFT_ASSERT_ARG(client && name);
	KFT__OUT_BEGIN(out, discard);
	if (!client->be->get_job)
		return unsupported(client, "get");
	error = client->be->get_job(out, client->be, name);
	KFT__OUT_END(out, error, discard, kft_job_free);
	return error;
}

int kft_list_jobs(kft_job_list_t **out, kft_client_t *client, const char *runtime)
{
	kft_job_list_t *discard = NULL;
	int error;

	KFT_ASSERT_ARG(client);
	KFT__OUT_BEGIN(out, discard);
	if (!client->be->list_jobs)
		return unsupported(client, "list");
	error = client->be->list_jobs(out, client->be, runtime);
	KFT__OUT_END(out, error, discard, kft_job_list_free);
	return error;
}

/* Fallback for backends without a wait method: get_job once a second. */
static int poll_wait(kft_job_t **out, kft_client_t *client, const char *name,
                     const kft_wait_opts_t *o)
{
	int64_t deadline = o && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	int error;

	for (;;) {
		kft_job_t *job;
		int rc;

		if ((error = kft_get_job(&job, client, name)) < 0)
			return error;
		if (!kft__wait_decide(&rc, job, name, o)) {
			kft__wait_hand_over(out, &job, rc);
			kft_job_free(job);
			return rc;
		}
		if (deadline && kft__mono_ms() >= deadline) {
			error = kft__wait_timed_out(name, job);
			kft_job_free(job);
			return error;
		}
		kft_job_free(job);
		poll(NULL, 0, 1000);
	}
}

/*
 * One rule for every function with an out parameter: *out is set only with
 * 0. A backend that hands back the failed job with KFT_EJOBFAILED gets it
 * freed here; its reason goes into kft_error_last()->reason instead.
 */
int kft_wait(kft_job_t **out, kft_client_t *client, const char *name, const kft_wait_opts_t *opts)
{
	kft_job_t *discard = NULL;
	kft_wait_opts_t o;
	int error;

	KFT_ASSERT_ARG(client && name);
	KFT__OUT_BEGIN(out, discard);
	if ((error = kft__opts_read(&o, opts, &layout_of_kft_wait_opts_t)) < 0)
		return error;
	if (o.want & ~0x1fu)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "wait: want has bits for unknown statuses (0x%x)", o.want);
	if (client->be->wait)
		error = client->be->wait(out, client->be, name, &o);
	else
		error = poll_wait(out, client, name, &o);
	if (error == KFT_EJOBFAILED && *out && kft_job_reason(*out))
		kft__error_set_reason(kft_job_reason(*out));
	KFT__OUT_END(out, error, discard, kft_job_free);
	return error;
}

/* kft_logs: opts read per its version (version 1's prefix flag bits become the
 * prefix enum); the log-prefix rule itself is kft__logs_prefix (lib/opts.c). */
int kft_logs(kft_client_t *client, const char *name, const kft_logs_opts_t *opts, kft_log_cb cb,
             void *payload)
{
	kft_logs_opts_t o;
	int error;

	KFT_ASSERT_ARG(client && name && cb);
	if ((error = kft__opts_read(&o, opts, &layout_of_kft_logs_opts_t)) < 0)
		return error;
	if (opts && opts->version == 1) {   /* version 1 spelled the prefix with flag bits 1, 2 */
		o.prefix = (o.flags & (1u << 2)) ? KFT_LOG_PREFIX_NEVER :
		           (o.flags & (1u << 1)) ? KFT_LOG_PREFIX_ALWAYS : KFT_LOG_PREFIX_AUTO;
		o.flags &= ~((1u << 1) | (1u << 2));
	}
	if (o.flags & ~(KFT_LOGS_FOLLOW | KFT_LOGS_TIMESTAMPS))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "logs: flags has unknown bits (0x%x)", o.flags);
	if (o.prefix < KFT_LOG_PREFIX_AUTO || o.prefix > KFT_LOG_PREFIX_NEVER)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "logs: prefix %d is not a kft_log_prefix_t", o.prefix);
	if (!client->be->logs)
		return unsupported(client, "logs");
	return client->be->logs(client->be, name, &o, cb, payload);
}

int kft_delete_job(kft_client_t *client, const char *name, const kft_delete_opts_t *opts)
{
	kft_delete_opts_t o;
	int error;

	KFT_ASSERT_ARG(client && name);
	if ((error = kft__opts_read(&o, opts, &layout_of_kft_delete_opts_t)) < 0)
		return error;
	if (!client->be->delete_job)
		return unsupported(client, "delete");
	return client->be->delete_job(client->be, name, &o);
}

int kft_suspend_job(kft_client_t *client, const char *name, int suspend)
{
	KFT_ASSERT_ARG(client && name);
	if (!client->be->suspend_job)
		return unsupported(client, "suspend/resume");
	return client->be->suspend_job(client->be, name, suspend);
}

int kft_get_events(kft_event_list_t **out, kft_client_t *client, const char *name)
{
	kft_event_list_t *discard = NULL;
	int error;

	KFT_ASSERT_ARG(client && name);
	KFT__OUT_BEGIN(out, discard);
	if (!client->be->get_events)
		return unsupported(client, "events");
	error = client->be->get_events(out, client->be, name);
	KFT__OUT_END(out, error, discard, kft_event_list_free);
	return error;
}

int kft_copy_from_job(kft_client_t *client, const char *name, const char *path, const char *dest)
{
	char *ws = NULL;
	int error;

	KFT_ASSERT_ARG(client && name && path && dest);
	if (client->be->version < 6 || !client->be->workspace_dir)
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
		                      "copy: the %s backend keeps no job workspace on this machine "
		                      "(on kubernetes, copy from the pod: kubectl cp)",
		                      client->be->name);
	if ((error = client->be->workspace_dir(&ws, client->be, name)) < 0)
		return error;
	error = kft__copy_out(ws, path, dest);
	free(ws);
	return error;
}

int kft_get_metrics_history(kft_metrics_history_t **out, kft_client_t *client, const char *name)
{
	kft_metrics_history_t *discard = NULL;
	int error;

	KFT_ASSERT_ARG(client && name);
	KFT__OUT_BEGIN(out, discard);
	if (!client->be->get_metrics_history)
		return unsupported(client, "a metrics history (only the latest trainerStatus is kept)");
	error = client->be->get_metrics_history(out, client->be, name);
	KFT__OUT_END(out, error, discard, kft_metrics_history_free);
	return error;
}

int kft_list_v1_jobs(kft_job_list_t **out, kft_client_t *client)
{
	KFT_ASSERT_ARG(out && client);
	*out = NULL;
	if (client->be->version < 4 || !client->be->list_v1_jobs)
		return unsupported(client, "Training Operator v1 jobs (they live on a cluster)");
	return client->be->list_v1_jobs(out, client->be);
}

int kft_get_v1_job(kft_job_t **out, kft_client_t *client, const char *ref)
{
	const char *kind;
	char *name;
	int error;

	KFT_ASSERT_ARG(out && client && ref);
	*out = NULL;
	if ((error = kft__v1_ref(&kind, &name, ref)) < 0)
		return error;
	if (client->be->version < 4 || !client->be->get_v1_job)
		error = unsupported(client, "Training Operator v1 jobs (they live on a cluster)");
	else
		error = client->be->get_v1_job(out, client->be, kind, name);
	free(name);
	return error;
}

int kft_get_job_manifest(char **out, kft_client_t *client, const char *name, int what,
                         const kft_render_opts_t *opts)
{
	char *text = NULL, *discard = NULL;
	kft_render_opts_t o;
	cJSON *doc;
	int error, format;

	KFT_ASSERT_ARG(client && name);
	KFT__OUT_BEGIN(out, discard);
	if ((error = kft__render_opts_read(&o, opts)) < 0)
		return error;
	format = o.format;
	if (what != KFT_MANIFEST_TRAINJOB && what != KFT_MANIFEST_PLAN)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "manifest kind %d: expected KFT_MANIFEST_TRAINJOB or "
		                      "KFT_MANIFEST_PLAN", what);
	if (format != KFT_FORMAT_YAML && format != KFT_FORMAT_JSON)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "manifest format %d: expected YAML or JSON", format);
	if (client->be->version < 5 || !client->be->get_manifest)
		return unsupported(client, what == KFT_MANIFEST_PLAN ? "a job's plan" :
		                   "a job's TrainJob document");
	if ((error = client->be->get_manifest(&text, client->be, name, what)) < 0)
		return error;
	doc = cJSON_Parse(text);
	kft_free(text);
	if (!doc)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
		                      "the %s of job %s is not valid JSON", what == KFT_MANIFEST_PLAN ?
		                      "plan" : "TrainJob", name);
	/* a TrainJob as a cluster of that Trainer release would take it */
	if (what == KFT_MANIFEST_TRAINJOB && o.trainer_version &&
	    (error = kft__spec_convert(doc, o.trainer_version)) < 0) {
		cJSON_Delete(doc);
		return error;
	}
	error = kft__render_doc(out, doc, format);
	cJSON_Delete(doc);
	kft_free(discard);
	return error;
}

int kft_list_runtimes(kft_runtime_list_t **out, kft_client_t *client)
{
	kft_runtime_list_t *discard = NULL;
	int error;

	KFT_ASSERT_ARG(client);
	KFT__OUT_BEGIN(out, discard);
	error = client->be->list_runtimes ? client->be->list_runtimes(out, client->be) :
	        kft__catalog_list(out, client->runtime_path);
	KFT__OUT_END(out, error, discard, kft_runtime_list_free);
	return error;
}

int kft_get_runtime(kft_runtime_t **out, kft_client_t *client, const char *name)
{
	kft_runtime_t *discard = NULL;
	int error;

	KFT_ASSERT_ARG(client && name);
	KFT__OUT_BEGIN(out, discard);
	error = client->be->get_runtime ? client->be->get_runtime(out, client->be, name) :
	        kft__catalog_get(out, client->runtime_path, name);
	KFT__OUT_END(out, error, discard, kft_runtime_free);
	return error;
}
