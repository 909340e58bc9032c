/*
 * Kubernetes backend internals: kubeconfig, credentials, HTTP. Never installed.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_K8S_H
#define KFT_K8S_H

#include "internal.h"
#include "http.h"

#include <sys/stat.h>
#include <curl/curl.h>

/* ---- kubeconfig (kubeconfig.c) ---- */
typedef struct {
	char *api_version;     /* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;         /* resolved against the kubeconfig dir when it has a '/' */
	kft__strv args;
	kft__strv env;         /* NAME=value, set only in the child */
	char *install_hint;
	int provide_cluster_info;
	char *interactive_mode;
} kft__k8s_exec;

typedef struct {
	char *origin;          /* the file (or "in-cluster") the config came from, for messages */
	char *context;         /* context name; NULL in-cluster */
	char *cluster_name, *user_name;
	char *server;          /* https://host:port (no trailing slash) */
	char *ca;              /* PEM bytes (certificate-authority(-data)); NULL: system CAs */
	size_t ca_len;
	int insecure;          /* insecure-skip-tls-verify */
	int compression;       /* disable-compression: -1 unset (auto: none to loopback), 0/1 */
	char *tls_server_name;
	char *proxy_url;
	char *ns;              /* the namespace to use (opts, context, "default") */
	/* user */
	char *token;
	char *token_file;      /* absolute path; re-read when it changes */
	char *cert, *key;      /* PEM bytes */
	size_t cert_len, key_len;
	char *username, *password;
	int has_exec;
	kft__k8s_exec exec;
	int in_cluster;
} kft__k8s_config;

/**
 * Load the configuration: kubeconfig (opts path; else $KUBECONFIG merged as kubectl
 * does; else ~/.kube/config), else the in-cluster service account. ns NULL: the
 * context's, else "default".
 */
int kft__k8s_config_load(kft__k8s_config *out, const char *kubeconfig, const char *context,
                         const char *ns);
void kft__k8s_config_free(kft__k8s_config *c);
/** Service account directory (KFT_K8S_SA_DIR overrides, for tests). */
const char *kft__k8s_sa_dir(void);

/* ---- HTTP (http.c) ---- */
typedef struct kft__k8s kft__k8s;

struct kft__k8s {
	kft__k8s_config cfg;
	kft__http *http;       /* the client: one reused connection, streams share it */
	int64_t timeout_ms;    /* per request */
	/* credentials */
	char *token;           /* current bearer token (static, file or exec) */
	int64_t token_expiry_ms;   /* exec: 0 = none */
	struct stat token_st;  /* token file identity when read */
	int token_st_valid;
	char *exec_cert, *exec_key;  /* exec plugin client certificate */
	int exec_valid;
	char *trainer_version; /* cached cluster Trainer version ("" = unknown/old) */
	int version_known;
};

typedef int (*kft__k8s_line_cb)(const char *line, size_t len, void *payload);

typedef struct {
	const char *method;    /* GET, POST, PATCH, DELETE */
	const char *path;      /* path and escaped query */
	const char *body;      /* JSON or NULL */
	const char *content_type;  /* NULL: application/json */
	int idempotent;        /* may retry on 5xx / connection errors */
	const char *what;      /* "get TrainJob x" for messages */
} kft__k8s_req;

int kft__k8s_init(kft__k8s *k, int64_t timeout_ms);
void kft__k8s_cleanup(kft__k8s *k);
/** Full URL for a path (yours: free). */
char *kft__k8s_url(const kft__k8s *k, const char *path);
/** Percent-encode one query value (yours: free). */
char *kft__k8s_escape(const kft__k8s *k, const char *s);

/**
 * One request with retries. 2xx: 0 and the body in resp. Otherwise the
 * Status goes into kft_error_last() and the KFT_E* code is returned; *status
 * (optional) gets the HTTP status (0 on a connection error).
 */
int kft__k8s_request(kft__buf *resp, long *status, kft__k8s *k, const kft__k8s_req *r);
/**
 * A streaming body consumer: called with each piece of a 2xx body as it
 * arrives; with (NULL, 0) before every attempt (start over: a retry replays
 * the body). A negative return stops the transfer and is returned.
 */
typedef int (*kft__k8s_sink)(const char *data, size_t len, void *ud);
/** kft__k8s_request with the 2xx body streamed to sink instead of buffered. */
int kft__k8s_request_stream(long *status, kft__k8s *k, const kft__k8s_req *r,
                            kft__k8s_sink sink, void *ud);
/** Same, and parse the JSON body. */
int kft__k8s_request_json(cJSON **out, long *status, kft__k8s *k, const kft__k8s_req *r);

/* Streams (watch, log follow): several at once through a multi handle. */
typedef struct kft__k8s_stream {
	kft__k8s_req req;
	kft__k8s_line_cb on_line;   /* whole lines (without '\n'); final partial line at end */
	void *payload;
	/* filled in */
	long status;           /* HTTP status */
	int done;              /* finished (ok or error) */
	int error;             /* KFT_E* when the stream failed; message in err_msg */
	char *err_msg;
	int stop;              /* set by on_line (non-zero return) */
	int cb_ret;            /* on_line's non-zero return */
	unsigned long lines;   /* lines delivered so far */
	/* private */
	kft__http_stream hs;
	kft__buf line;
} kft__k8s_stream;

typedef struct kft__k8s_streams kft__k8s_streams;
int kft__k8s_streams_new(kft__k8s_streams **out, kft__k8s *k);
/** Start a stream (s must stay valid until it is done or the set is freed). */
int kft__k8s_stream_start(kft__k8s_streams *ss, kft__k8s_stream *s);
/**
 * Run the streams for at most max_ms, or until a line was delivered or a stream
 * finished or stopped.
 * Returns the number of streams still running, or < 0 on a fatal error.
 */
int kft__k8s_streams_run(kft__k8s_streams *ss, int64_t max_ms);
/** Stop and release one stream (safe to call twice). */
void kft__k8s_stream_end(kft__k8s_streams *ss, kft__k8s_stream *s);
void kft__k8s_streams_free(kft__k8s_streams *ss);

/* ---- credentials (auth.c) ---- */
/** Make sure the credentials are fresh (exec plugin, token file). force: after a 401. */
int kft__k8s_auth_refresh(kft__k8s *k, int force);
/** Can a 401 be fixed by refreshing (exec, token file, in-cluster)? */
int kft__k8s_auth_refreshable(const kft__k8s *k);
/** Apply credentials (Authorization header, client cert) to a handle. */
int kft__k8s_auth_apply(kft__k8s *k, CURL *h, struct curl_slist **hdrs);

/* ---- the backend (backend.c and the files named after what they do) ---- */
#define KFT__K8S_API_TRAINER "/apis/trainer.kubeflow.org/v1alpha1"
#define KFT__K8S_LBL_JOBSET "jobset.sigs.k8s.io/jobset-name"
#define KFT__K8S_LBL_RJOB "jobset.sigs.k8s.io/replicatedjob-name"
#define KFT__K8S_LBL_INDEX "batch.kubernetes.io/job-completion-index"
#define KFT__K8S_LBL_JOBINDEX "jobset.sigs.k8s.io/job-index"
#define KFT__K8S_RJOB_SET "dataset-initializer,model-initializer,launcher,node"

typedef struct {
	kft_backend_t be;
	kft__k8s k;
} kft__k8s_backend;

static inline kft__k8s *kft__k8s_be(kft_backend_t *be)
{
	return &((kft__k8s_backend *)be)->k;
}

/* backend.c: paths, queries, the Trainer version, the vtable */
char *kft__k8s_esc(kft__k8s *k, const char *s);
/** "<prefix>/namespaces/<ns>/<plural>[/<name>][/<sub>]", escaped; NULL on OOM. */
char *kft__k8s_ns_path(kft__k8s *k, const char *prefix, const char *ns, const char *plural,
                       const char *name, const char *sub);
/** Append "&key=<escaped value>" (or "?" for the first one); b->oom on failure. */
void kft__k8s_add_query(kft__buf *b, kft__k8s *k, const char *key, const char *value);
void kft__k8s_add_query_int(kft__buf *b, kft__k8s *k, const char *key, long long value);
int kft__k8s_get_json(cJSON **out, long *status, kft__k8s *k, const char *path, const char *what);
/** Minor version of Trainer for rendering: 0, 1, or 2 for "v2.2 and later". */
int kft__k8s_trainer_minor(const char *v);
/** The cluster's Trainer version (cached; "" when unknown, i.e. v2.1 or older). */
int kft__k8s_trainer_version(const char **out, kft__k8s *k);

/* v1jobs.c: Training Operator v1 jobs (kft_list_v1_jobs, kft_get_v1_job) */
void kft__k8s_v1_methods(kft_backend_t *be);

/* runtimes.c */
int kft__k8s_resolve_runtime(kft_runtime_t **out, kft_backend_t *be, const char *name,
                             const char *kind);
int kft__k8s_get_runtime(kft_runtime_t **out, kft_backend_t *be, const char *name);
int kft__k8s_list_runtimes(kft_runtime_list_t **out, kft_backend_t *be);

/* jobs.c: the job view of a TrainJob and its pods (one status algorithm) */
typedef struct {
	const cJSON *pod;
	char step[128];
	int order;          /* 0 dataset-init, 1 model-init, 2 launcher, 3 node, 4 other */
	int64_t index;
	int64_t created;
	const char *name;
	const char *phase;
	const char *rjob;
} kft__k8s_podinfo;

/*
 * What the job view reads of a TrainJob: filled from a cJSON document (get,
 * watch) or straight from the text of a LIST item (list), so one status
 * algorithm serves both.
 */
#define KFT__K8S_TJ_MAX_CONDITIONS 16
typedef struct {
	const char *type, *status, *reason, *message, *time;
} kft__k8s_tjcond;

typedef struct {
	const char *name, *ns, *created, *runtime;
	int64_t num_nodes;            /* -1: absent */
	kft__k8s_tjcond cond[KFT__K8S_TJ_MAX_CONDITIONS];
	size_t ncond;
	const cJSON *trainer_status;  /* status.trainerStatus, or NULL */
	const cJSON *labels;          /* metadata.labels (a parsed TrainJob), or NULL */
	const char *labels_json;      /* or its JSON text (a streamed list): labels_len bytes */
	size_t labels_len;
} kft__k8s_tjinfo;

const char *kft__k8s_label(const cJSON *obj, const char *key);
/** Parse, sort and dedupe pods into steps (newest pod per step). */
int kft__k8s_collect_pods(kft__k8s_podinfo **out, size_t *n, const cJSON *const *pods, size_t npods);
/** The step's main container name: the initializer's own, else "node". */
const char *kft__k8s_main_container(const kft__k8s_podinfo *pi);
const kft__k8s_tjcond *kft__k8s_condition(const kft__k8s_tjinfo *ti, const char *type);
int kft__k8s_build_job_info(kft_job_t **out, const kft__k8s_tjinfo *ti, const cJSON *const *pods,
                            size_t npods);
int kft__k8s_build_job(kft_job_t **out, const cJSON *tj, const cJSON *const *pods, size_t npods);
const cJSON **kft__k8s_items(const cJSON *list, size_t *n);
int kft__k8s_get_job_docs(kft_job_t **out, cJSON **tj_out, cJSON **pods_out, kft__k8s *k,
                          const char *name);
int kft__k8s_get_job(kft_job_t **out, kft_backend_t *be, const char *name);
/** The TrainJob object as JSON text, managedFields left out (kft_get_job_manifest). */
int kft__k8s_get_manifest(char **out, kft_backend_t *be, const char *name, int what);

/* list.c: paged, streamed LISTs (lib/jscan.c) */
int kft__k8s_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime);

/* submit.c: the create request (kft_train, kft render) */
int kft__k8s_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                    const kft_runtime_t *rt, const kft_train_opts_t *opts);
int kft__k8s_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec,
                         const kft_runtime_t *rt, const kft_render_opts_t *opts);

/* events.c */
int kft__k8s_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name);

/* watch.c: kft_wait over a watch */
int kft__k8s_wait(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *o);

/* logs.c */
int kft__k8s_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *o, kft_log_cb cb,
                  void *payload);

/* ---- tests ---- */
/** A TrainJob LIST body through the list's streaming parser, fed chunk bytes at a time. */
int kft__k8s_parse_job_list(kft_job_list_t **out, const char *text, size_t len, size_t chunk);
/**
 * A stream's 2xx body, as it arrives, split into lines for on_line (the last,
 * unterminated line stays buffered); a line past KFT__K8S_LINE_MAX sets
 * s->error. 0: go on; -1: stop (stop/cb_ret, error or out of memory).
 */
#define KFT__K8S_LINE_MAX (64 << 20)
int kft__k8s_stream_feed(kft__k8s_stream *s, const char *ptr, size_t n);
/**
 * For tests: a watch response body (fed chunk bytes at a time) applied to a
 * TrainJob "x" and its (empty) pod list, as kft_wait does; pods: the pods'
 * watch, else the TrainJob's. *out: the job built from the result, or NULL.
 */
int kft__k8s_watch_replay(kft_job_t **out, const char *body, size_t len, size_t chunk, int pods);
/** A non-2xx answer (a Status body, or any text) as the error; returns the KFT_E* code. */
int kft__k8s_status_error(long http, const char *body, size_t len, const char *method,
                          const char *url);
/** A NotFound (404) Kubernetes Status decided by the backend itself (class K8S). */
int kft__k8s_not_found(const char *message);
/** An exec plugin's stdout (ExecCredential) into k's credentials. */
int kft__k8s_parse_credential(kft__k8s *k, const char *text, size_t len, const char *cmd);


#endif
