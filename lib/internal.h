/*
 * Internal API shared by lib/, backends/ and the supervisor. Never installed.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_INTERNAL_H
#define KFT_INTERNAL_H

#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

#include "kftrainer.h"
#include "kftrainer/sys/backend.h"
#include "kftrainer/sys/job.h"

#define KFT__PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- errors (lib/errors.c) ---- */
/** Set this thread's error; returns code. */
int kft__error_set(int code, int klass, const char *fmt, ...) KFT__PRINTF(3, 4);
int kft__error_vset(int code, int klass, const char *fmt, va_list ap);
/** errno-based: "<what>: strerror(errno)"; returns code. */
int kft__error_os(int code, const char *fmt, ...) KFT__PRINTF(2, 3);
/** A server's error answer: message copied, HTTP status and reason kept; returns code. */
int kft__error_set_http(int code, int klass, int http_status, const char *reason,
                        const char *message);
int kft__error_oom(void);
/** Set the reason of this thread's current error (e.g. a failed job's reason). */
void kft__error_set_reason(const char *reason);
/** Prefix the current message: "<prefix>: <old message>". */
void kft__error_prefix(const char *fmt, ...) KFT__PRINTF(1, 2);

#define KFT_ASSERT_ARG(expr) do { if (!(expr)) \
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "invalid argument: %s", #expr); \
	} while (0)
#define KFT_CHECK_ALLOC(ptr) do { if (!(ptr)) return kft__error_oom(); } while (0)
#define KFT_CHECK_VERSION(opts, max, what) do { if ((opts) && ((opts)->version == 0 || \
	(opts)->version > (max))) return kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_INVALID, \
	"unsupported %s version %u (this library knows up to %u)", what, (opts)->version, \
	(unsigned)(max)); } while (0)

/** The out rule: after a failed call (error < 0) *out is NULL, freed with freefn if set. */
#define KFT__OUT_ON_ERROR(out, error, freefn) do { if ((error) < 0 && *(out)) { \
	freefn(*(out)); *(out) = NULL; } } while (0)
/* A public call whose out is optional: out NULL points it at discard, which END frees. */
#define KFT__OUT_BEGIN(out, discard) do { if (!(out)) (out) = &(discard); *(out) = NULL; } while (0)
#define KFT__OUT_END(out, error, discard, freefn) do { KFT__OUT_ON_ERROR(out, error, freefn); \
	freefn(discard); } while (0)
/** Read a caller's kft_render_opts_t (NULL: defaults) into the newest layout. */
int kft__render_opts_read(kft_render_opts_t *dst, const kft_render_opts_t *src);
/** The follow heartbeat: cb(len 0) when *last_ms is >= 500 ms old; cb's non-zero value. */
int kft__logs_heartbeat(kft_log_cb cb, void *payload, int64_t *last_ms);
/** For built-in backends' factories: KFT_EINVALID if opts carries backend options. */
int kft__backend_options_none(const kft_client_opts_t *opts, const char *backend);

/* a name and a value: kft_metric_t (public handle; lib/job.c, lib/trainer_status.c) */
struct kft_metric {
	char *name, *value;
};

/* ---- versioned option structs (lib/opts.c) ---- */
/** A public options struct: sizes[v - 1] is the size of version v's layout. */
typedef struct {
	const char *name;        /* "kft_logs_opts_t", for messages */
	const void *defaults;    /* the newest layout at its defaults (the INIT macro) */
	const size_t *sizes;     /* per version; the last is sizeof the newest */
	size_t nsizes;           /* = the newest version */
} kft__opts_layout;
/** *_opts_init(): write version's defaults, only that version's bytes. */
int kft__opts_init(void *opts, unsigned int version, const kft__opts_layout *l);
/** dst (the newest layout) = defaults, overwritten by src's version's bytes; src NULL: defaults. */
int kft__opts_read(void *dst, const void *src, const kft__opts_layout *l);

/*
 * The body of a public _init function of a struct that has ONE version so far
 * (lib/errors.c): check version, copy the *_INIT template, set version. A struct
 * that gains a version 2 moves to a kft__opts_layout (above), which writes and
 * reads only the caller's version's bytes.
 *   int kft_wait_opts_init(kft_wait_opts_t *opts, unsigned int version)
 *   { KFT__VERSIONED_INIT(opts, version, kft_wait_opts_t, KFT_WAIT_OPTS); }
 */
/** KFT_EINVALID, class INVALID: the message names the field and the rule. */
#define kft__error_invalid(...) \
	kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, __VA_ARGS__)
int kft__versioned_init(void *out, const void *tmpl, size_t size, unsigned int version,
                        unsigned int max, const char *what);
#define KFT__VERSIONED_INIT(out, version, type, PREFIX) do { \
	type tmpl_ = PREFIX##_INIT; \
	return kft__versioned_init((out), &tmpl_, sizeof(tmpl_), (version), PREFIX##_VERSION, \
	                           #type); \
	} while (0)

/* ---- the wait decision (lib/wait.c), for kft_wait on every backend ---- */
/**
 * Decide on the job's current view: calls o->progress_cb, then returns 1 to keep
 * waiting, or 0 when done with kft_wait's return value in *rc: 0 (a wanted status),
 * KFT_EJOBFAILED ("TrainJob <name> is Failed: <reason>: <message>") or the
 * callback's non-zero value (error set, class CALLBACK).
 */
int kft__wait_decide(int *rc, const kft_job_t *job, const char *name, const kft_wait_opts_t *o);
/** What kft_wait hands back with rc: the job (taken from *job) into *out, or nothing. */
void kft__wait_hand_over(kft_job_t **out, kft_job_t **job, int rc);
/** KFT_ETIMEOUT: "timed out waiting for TrainJob <name> (status <s>)"; job may be NULL. */
int kft__wait_timed_out(const char *name, const kft_job_t *job);

/** Prefix each log line with "<step>: "? (lib/client.c; one rule for every backend) */
int kft__logs_prefix(const kft_logs_opts_t *o);

/* ---- Kubernetes quantities (lib/quantity.c): "500m", "1.5Gi", "1e3" ---- */
/** The value of a quantity string; 0, or -1 if it is not one (no error set). */
int kft__quantity_value(double *out, const char *s);
int kft__quantity_valid(const char *s);
/** A quantity that is a JSON number or string as a number; 0 if neither. */
double kft__quantity_json(const cJSON *q);
/** As the SDK sends it: integers as JSON numbers, the rest as strings (NULL on OOM). */
cJSON *kft__quantity_to_json(const char *q);
/** A non-negative quantity times scale, rounded up (cpu "500m" x 1e9 = nano-CPUs);
 *  KFT_EINVALID naming what otherwise. */
int kft__quantity_parse(int64_t *out, const char *s, double scale, const char *what);

/* ---- diagnostics (lib/global.c) ---- */
void kft__log(int level, const char *fmt, ...) KFT__PRINTF(2, 3);
int kft__log_enabled(int level);

/* ---- allocation (lib/alloc.c); kft__alloc_fail_after(n): the nth next call fails ---- */
void *kft__malloc(size_t n);
void *kft__calloc(size_t n, size_t size);
void *kft__realloc(void *p, size_t n);
/**
 * Room for need elements (of elem bytes) in the array *arrp (any T **) of *cap: it doubles,
 * from first. 0, or KFT_ENOMEM with the array and *cap as they were.
 */
int kft__grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);
char *kft__strdup(const char *s);
char *kft__strndup(const char *s, size_t n);
void kft__alloc_fail_after(long n);   /* < 0: never (default) */
/** Replace *dst with a copy of src (NULL clears). */
int kft__strdup_replace(char **dst, const char *src);

/* ---- growable buffer (lib/buf.c) ---- */
typedef struct {
	char *ptr;      /* always NUL-terminated when non-NULL */
	size_t len, cap;
	int oom;        /* sticky: a failed append */
} kft__buf;
#define KFT__BUF_INIT { NULL, 0, 0, 0 }
int kft__buf_grow(kft__buf *b, size_t extra);
int kft__buf_put(kft__buf *b, const char *s, size_t n);
int kft__buf_puts(kft__buf *b, const char *s);
int kft__buf_putc(kft__buf *b, char c);
int kft__buf_printf(kft__buf *b, const char *fmt, ...) KFT__PRINTF(2, 3);
/** Append s quoted for a POSIX shell (single quotes). For display/scripts only. */
int kft__buf_put_shquoted(kft__buf *b, const char *s);
/** Append outside text for a terminal: controls and non-UTF-8 as '?', secret redacted (buf.c). */
int kft__buf_put_text(kft__buf *b, const char *s, size_t max, const char *secret);
int kft__buf_put_textn(kft__buf *b, const char *s, size_t n, size_t max, const char *secret);
char *kft__buf_detach(kft__buf *b);   /* returns ptr (or "" copy), resets b */
void kft__buf_free(kft__buf *b);
void kft__buf_clear(kft__buf *b);

/* ---- string vectors (lib/util.c): NULL-terminated char ** ---- */
typedef struct {
	char **v;
	size_t n, cap;
} kft__strv;
#define KFT__STRV_INIT { NULL, 0, 0 }
int kft__strv_push(kft__strv *sv, const char *s);          /* copies */
int kft__strv_push_own(kft__strv *sv, char *s);            /* takes s */
int kft__strv_pushf(kft__strv *sv, const char *fmt, ...) KFT__PRINTF(2, 3);
int kft__strv_has(const kft__strv *sv, const char *s);
void kft__strv_free(kft__strv *sv);
/** Upsert "NAME=value" into an environment vector. */
int kft__env_set(kft__strv *env, const char *name, const char *value);
const char *kft__env_get(const kft__strv *env, const char *name);

/* ---- misc (lib/util.c) ---- */
int64_t kft__now_ms(void);         /* CLOCK_REALTIME */
int64_t kft__mono_ms(void);        /* CLOCK_MONOTONIC */
int kft__streq(const char *a, const char *b);          /* NULL-safe */
int kft__strcaseeq(const char *a, const char *b);
int kft__has_prefix(const char *s, const char *prefix);
/** s is one of the strings of the NULL-terminated list (s NULL: no). */
int kft__str_in_list(const char *s, const char *const *list);
int kft__random_bytes(unsigned char *out, size_t n);   /* getrandom */
/** RFC 1035 label check: ^[a-z]([-a-z0-9]*[a-z0-9])?$ */
int kft__is_dns1035(const char *s);
/** Well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int kft__utf8_valid(const char *s);
/** Length of the well-formed UTF-8 sequence at s (at most n bytes): 1-4, or 0 if invalid. */
size_t kft__utf8_seq(const char *s, size_t n);
/** Valid UTF-8 without control characters other than newline and tab (nor DEL). */
int kft__utf8_printable(const char *s);
/** Bytes of the first max code points of s (bytes past a bad one are cut, not
 *  checked); *chars (optional): how many code points that is. */
size_t kft__utf8_prefix(const char *s, size_t max, size_t *chars);
/** Parse a decimal int64 strictly; 0 on success. */
int kft__parse_i64(int64_t *out, const char *s);
/**
 * A double that is a whole number exactly representable as an int64 (|d| < 2^53):
 * 0 with *out set, else -1. The one place a JSON/YAML number becomes an integer
 * (converting 1e24 or NaN to an integer type is undefined behaviour).
 */
int kft__double_i64(int64_t *out, double d);
/** Base64 encode (standard alphabet, padded). */
char *kft__base64_encode(const unsigned char *data, size_t len);
int kft__base64_decode(unsigned char **out, size_t *out_len, const char *s, size_t len);

/* ---- failures (lib/root_cause.c) ---- */
/**
 * A failed step's root error from its log text: the "Type: message" line of
 * the last Python traceback that is not torchrun's own (returns 1), else the
 * last tail_lines non-empty lines (returns 0). *out is the caller's.
 */
int kft__root_cause(char **out, const char *log, size_t len, int tail_lines);
/*
 * The root error in torchrun's error file (TORCHELASTIC_ERROR_FILE: what a
 * worker wrapped with @record wrote, copied by torchrun to its own file).
 * 1: *out is the exception line ("Type: text", one line, printable); 0: the
 * file names none; KFT_EINVALID: not such a file (over KFT__ERROR_FILE_MAX,
 * not a JSON object). *timestamp: its Unix seconds, or -1.
 */
#define KFT__ERROR_FILE_MAX (256 * 1024)
int kft__root_cause_error_file(char **out, int64_t *timestamp, const char *text, size_t len);
/** 1 if an exception line is what a rank reports when a peer died first (gloo, NCCL, MPI). */
int kft__root_cause_is_peer_error(const char *line);

/* ---- copying out of a job (lib/copy.c) ---- */
/** Copy path (as the job saw it: /workspace/...) out of wsdir to dest; ".." and outside refused. */
int kft__copy_out(const char *wsdir, const char *path, const char *dest);

/* ---- files (lib/fs.c) ---- */
int kft__mkdir_p(const char *path, mode_t mode);
/**
 * Whole file into *out (NUL-terminated); KFT_ENOTFOUND if missing, KFT_EINVALID
 * past KFT__READ_FILE_MAX (every file kft reads whole is far smaller).
 */
#define KFT__READ_FILE_MAX (64 << 20)
/**
 * The most of one answer a client holds whole (a kubernetes or Engine response
 * body, not a streamed LIST): larger is an error, never unbounded memory.
 */
#define KFT__RESPONSE_MAX (64 << 20)
/**
 * A log line longer than this (a program printing without a newline) is
 * delivered in pieces of this size: logs never hold an unbounded line.
 */
#define KFT__LOG_LINE_MAX (1 << 20)
int kft__read_file(char **out, size_t *len, const char *path);
/** The first size - 1 bytes of path (opened with O_RDONLY | O_CLOEXEC | flags), NUL-ended
 *  in buf; how many, 0 for an empty file or one that cannot be read (no error is set). */
size_t kft__read_head(char *buf, size_t size, const char *path, int flags);
/** dir/name read whole; one that is not there is no error: 0 with *out NULL. */
int kft__read_file_in(char **out, size_t *len, const char *dir, const char *name);
/** Write temp file in the same directory, fsync, rename over path. */
int kft__write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
/** rm -rf (does not follow symlinks). */
int kft__remove_tree(const char *path);
char *kft__path_join(const char *a, const char *b);
/** $XDG_STATE_HOME/kftrainer or ~/.local/state/kftrainer (no checks). */
char *kft__default_state_dir(void);
/** $var/sub (an XDG base directory, used when absolute), else ~/home_default/sub. */
char *kft__xdg_dir(const char *var, const char *home_default, const char *sub);
char *kft__home_dir(void);
/** RFC 3339 time ("2026-11-29T08:00:00.5Z", "...+01:00") -> Unix ms; 0 if not one (or year 1). */
int64_t kft__time_rfc3339_ms(const char *s);
/** Unix ms -> "2026-11-29T08:00:00Z" (UTC, whole seconds; lib/job.c); n >= 21. */
void kft__time_rfc3339_format(char *buf, size_t n, int64_t ms);

/* ---- JSON / YAML (lib/json.c, lib/yaml.c) ---- */
const char *kft__json_str(const cJSON *obj, const char *key);       /* NULL unless a string */
const cJSON *kft__json_get(const cJSON *obj, const char *key);
/**
 * A JSON number as an integer: its whole part when that lies in [min, max]
 * (and |x| < 2^53), else dflt (also when absent or not a number). Outside
 * input holds 1e24 as readily as 2: no number is cast to an integer elsewhere.
 */
int64_t kft__json_int(const cJSON *it, int64_t min, int64_t max, int64_t dflt);
/** Follow a dotted path ("spec.trainer.numNodes"); NULL if absent. */
cJSON *kft__json_path(const cJSON *root, const char *path);
/** Create objects along a dotted path and return the last one (creating it as an object). */
cJSON *kft__json_path_mkobj(cJSON *root, const char *path);
/** Set key in obj to item (replacing; takes item). */
int kft__json_set(cJSON *obj, const char *key, cJSON *item);
int kft__json_set_str(cJSON *obj, const char *key, const char *value);
/**
 * The item of the list obj[key] (made, or replacing what is no list) whose field is value,
 * appended as {field: value} when none is: a map kept as a list (replicatedJobs by name,
 * runtimePatches by manager). NULL: obj NULL, or out of memory.
 */
/** The first item of the list arr (may be NULL) whose field is value; NULL if none. */
cJSON *kft__json_find(const cJSON *arr, const char *field, const char *value);
cJSON *kft__json_keyed_item(cJSON *obj, const char *key, const char *field, const char *value);
/** Parse YAML (or JSON, a YAML subset) into cJSON using the YAML 1.2 core schema. */
int kft__yaml_parse(cJSON **out, const char *text, size_t len, const char *what);
/** Parse several YAML documents ("---" separated); out is a JSON array. */
int kft__yaml_parse_all(cJSON **out, const char *text, size_t len, const char *what);
/** Render JSON as block YAML; strings that would read as other types are quoted. */
int kft__yaml_render(kft__buf *out, const cJSON *doc);
/** Render in the requested format (YAML or pretty JSON), ending with a newline. */
int kft__render_doc(char **out, const cJSON *doc, int format);
/** Pretty JSON (2-space indentation) with a final newline. */
int kft__json_pretty(char **out, const cJSON *doc);
/** The characters the JSON writer writes for s, escapes counted, quotes not. */
size_t kft__json_str_chars(const char *s);
/**
 * Streaming pretty-JSON writer with kft__json_pretty's exact layout, for big
 * outputs (a 10,000-job list) without building a cJSON tree. key is NULL
 * inside arrays and at the top level. Errors are sticky in the buffer (b->oom).
 */
#define KFT__JW_MAX_DEPTH 32
typedef struct {
	kft__buf *b;
	int depth;
	unsigned char n[KFT__JW_MAX_DEPTH + 1], obj[KFT__JW_MAX_DEPTH + 1];
} kft__jw;
void kft__jw_init(kft__jw *w, kft__buf *b);
void kft__jw_open(kft__jw *w, const char *key, int object);
void kft__jw_close(kft__jw *w);
void kft__jw_str(kft__jw *w, const char *key, const char *value);
void kft__jw_int(kft__jw *w, const char *key, long long value);

/* ---- spawn (lib/proc.c) ---- */
typedef struct {
	const char *file;              /* PATH lookup when it has no '/' */
	char *const *argv;             /* NULL-terminated */
	char *const *env;              /* NULL: inherit */
	const char *cwd;               /* NULL: inherit */
	int stdin_fd, stdout_fd, stderr_fd;   /* -1: /dev/null */
	int new_pgrp;                  /* setpgid(0, 0) in the child */
	int new_session;               /* setsid() in the child (detach) */
	const int *keep_fds;           /* fds to keep open in the child (dup'd to same number) */
	size_t nkeep_fds;
} kft__proc_opts;
/**
 * Spawn; exec failure is reported ("exec python3: No such file or directory").
 * On failure *out is 0 (no process).
 */
int kft__proc_spawn(pid_t *out, const kft__proc_opts *o);
/**
 * kill(pid, sig), or kill(-pid, sig) for pid's process group: only for a real
 * child pid (> 1). 0, 1 and negative pids (a failed spawn, a torn record) would
 * signal the caller's group, init or every process: -1 with EINVAL instead.
 */
int kft__kill(pid_t pid, int sig, int group);
/** Close both ends of a pipe that are open (>= 0) and set them to -1. */
void kft__close_pair(int fd[2]);
/**
 * Reap the child pid once it exits, waiting at most timeout_ms (woken by a
 * pidfd, not a sleep loop): 0 when reaped, -1 when it still runs.
 */
int kft__wait_exit(pid_t pid, int64_t timeout_ms);
/** Find an executable on PATH (or use it as is when it has '/'); NULL if none. */
char *kft__which(const char *file);

/* ---- runtimes (lib/runtime.c, lib/catalog.c) ---- */
/** The runtime manifest (borrowed). */
const cJSON *kft__runtime_doc(const kft_runtime_t *rt);
int kft__runtime_from_json(kft_runtime_t **out, cJSON *doc);   /* takes doc */
/** Builtin + user runtimes; runtime_path NULL: $KFT_RUNTIME_PATH or default. */
int kft__catalog_list(kft_runtime_list_t **out, const char *runtime_path);
int kft__catalog_get(kft_runtime_t **out, const char *runtime_path, const char *name);
/** The rjob (JSON) with the given name in the runtime's template; NULL if absent. */
const cJSON *kft__runtime_rjob(const kft_runtime_t *rt, const char *name);
/** The trainer rjob (ancestor label "trainer"). */
const cJSON *kft__runtime_trainer_rjob(const kft_runtime_t *rt);
/** The first container named cname in rjob. */
const cJSON *kft__rjob_container(const cJSON *rjob, const char *cname);

/* ---- spec internals (lib/spec.c) ---- */
/** The TrainJob document as set (borrowed). */
const cJSON *kft__spec_doc(const kft_spec_t *spec);
/**
 * The final TrainJob (script/builtin trainers expanded, name kept) in the
 * canonical v2.2+ form. rt may be NULL (looked up in the catalog).
 */
int kft__spec_finalize(cJSON **out, const kft_spec_t *spec, const kft_runtime_t *rt);
/** Validate a finalized doc; without rt, against the local catalog's runtime of that name. */
int kft__spec_validate_final(const cJSON *doc, const kft_runtime_t *rt);
/** A spec holding a finalized doc (taken, also on failure): nothing left to expand. */
int kft__spec_from_final(kft_spec_t **out, cJSON *doc);
/** A resource name as the SDK writes it ("gpu" -> "nvidia.com/gpu"); malloc'd, NULL on OOM. */
char *kft__resource_key(const char *key);
/** Convert a canonical TrainJob to the form of trainer_version ("v2.0" ...). */
int kft__spec_convert(cJSON *doc, const char *trainer_version);
/** The minor of a Trainer version ("v2.0" -> 0 ... "v2.3"/"dev"/"latest" -> 3); -1 if unknown. */
int kft__trainer_minor(const char *v);
/** Builtin trainer config (JSON) if set, else NULL; name in *name. */
const cJSON *kft__spec_builtin(const kft_spec_t *spec, const char **name);
/** Validate a finalized TrainJob doc. */
int kft__validate_doc(const cJSON *doc, const kft_runtime_t *rt);

/* ---- Training Operator v1 jobs read from a cluster (lib/v1job.c) ---- */
/** The i-th v1 resource a cluster may serve (kind, apiVersion, plural); 0 past the end. */
int kft__v1_resource(const char **kind, const char **api, const char **plural, size_t i);
/** "pytorchjob/NAME" (kind any case, singular or plural) -> canonical kind, name (yours). */
int kft__v1_ref(const char **kind, char **name, const char *ref);
/** A v1 job object as a job named "kind/name", runtime = kind, state from its conditions. */
int kft__v1_job_from_json(kft_job_t **out, const cJSON *obj, const char *backend);

/* ---- client internals (lib/client.c) ---- */
const char *kft__client_runtime_path(const kft_client_t *client);
/** The client's backend (tests). */
kft_backend_t *kft__client_backend(const kft_client_t *client);

/* ---- jobs (lib/job.c) ---- */
/** JSON view of a job (status, steps...); used by render and the bindings. */
cJSON *kft__job_to_json(const kft_job_t *job);
/** trainerStatus.lastUpdatedTime (Unix ms, 0: none). */
int kft__job_set_progress_time(kft_job_t *job, int64_t updated_ms);
/** A step status ("Running", a pod phase, a store record's status) as kft_step_state_t;
 *  anything but Running, Succeeded and Failed is Pending. */
int kft__step_state_of(const char *status);
/** Free the jobs of a list past the first n, keeping the list. */
void kft__job_list_truncate(kft_job_list_t *list, size_t n);

/* ---- builtin backends (registered at init) ---- */
int kft__backend_local_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload);
int kft__backend_container_factory(kft_backend_t **out, const kft_client_opts_t *opts,
                                   void *payload);
int kft__backend_kubernetes_factory(kft_backend_t **out, const kft_client_opts_t *opts,
                                    void *payload);

#endif
