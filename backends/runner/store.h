/*
 * The job store of the job runner (backends/runner/), shared by the local and
 * container backends and the kft-supervisor program. One directory per job:
 *
 *   <state>/jobs/<name>/
 *     spec.json        the finalized TrainJob (as submitted)
 *     plan.json        the plan (lib/plan.h) the supervisor runs
 *     state.json       the state record (below); replaced atomically (temp + rename)
 *     events.jsonl     one JSON event per line, appended
 *     control.json     requests to the supervisor (suspend, cancel), replaced atomically
 *     control.fifo     a byte written here tells the supervisor to re-read control.json
 *     supervisor.lock  flock(LOCK_EX) held by the live supervisor (and, until it
 *                      starts, by kft_train); a free lock means no supervisor
 *     supervisor.log   the supervisor's own stderr
 *     logs/<step>.log  each step's stdout + stderr
 *     workspace/       dataset/ model/ output/ (+ .kft/ for generated files)
 *
 * state.json: {"name", "runtime", "backend", "status": "Created|Suspended|Running|
 * Complete|Failed", "reason", "message", "numNodes", "createdMs", "startedMs",
 * "finishedMs", "supervisorPid", "steps": [{"name", "role", "status": "Pending|
 * Running|Succeeded|Failed", "pid", "startTicks", "startedMs", "finishedMs",
 * "exitCode", "signal", "reason"}]}
 *
 * Liveness: a reader that finds a non-final status and a free lock re-reads
 * the record; if it is still not final the supervisor died, and the reader
 * records Failed / SupervisorDied and kills the process steps it left behind
 * (a step runner program stops its own step when the supervisor dies).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_LOCAL_STORE_H
#define KFT_LOCAL_STORE_H

#include "internal.h"
#include "trainer_status.h"

#define KFT__STORE_STATE "state.json"
#define KFT__STORE_PLAN "plan.json"
#define KFT__STORE_SPEC "spec.json"
#define KFT__STORE_EVENTS "events.jsonl"
#define KFT__STORE_CONTROL "control.json"
#define KFT__STORE_LOCK "supervisor.lock"
#define KFT__STORE_FIFO "control.fifo"

/** The state dir: opt, else $KFT_STATE_DIR, else $XDG_STATE_HOME/kftrainer. */
int kft__store_state_dir(char **out, const char *opt);
/** <state>/jobs/<name>; KFT_EINVALID if name is not a DNS-1035 label. */
int kft__store_job_dir(char **out, const char *state_dir, const char *name);
/** Absolute path of the kft-supervisor program ($KFT_SUPERVISOR, next to the library, ...). */
char *kft__supervisor_path(void);
/** kft__supervisor_path() that must name an executable: KFT_ENOTFOUND (saying how to set it)
 *  or KFT_ENOMEM otherwise, with kft_error_last() set. */
int kft__supervisor_find(char **out);

/** Write a file atomically (temp + rename); fsync only when durable. */
int kft__store_write(const char *path, const char *data, size_t len, int durable);
/** Write a JSON document atomically. */
int kft__store_write_json(const char *path, const cJSON *doc, int durable);
/** Read and parse a JSON file; KFT_ENOTFOUND if missing, KFT_ERROR if malformed. */
int kft__store_read_json(cJSON **out, const char *path);

/** Append one event line to an open events file (O_APPEND), in one write. */
int kft__store_event_fd(int fd, const char *kind, const char *object, const char *type,
                        const char *reason, const char *message);
/** Append one event line to <jobdir>/events.jsonl. */
int kft__store_event(const char *jobdir, const char *kind, const char *object, const char *type,
                     const char *reason, const char *message);

/** 1 if a supervisor holds the job's lock, 0 if not, < 0 on error. */
int kft__store_supervisor_alive(const char *jobdir);

/**
 * Create a job directory atomically (built under a temp name, renamed into
 * place): spec, plan, initial state, Created event, logs/, workspace/. On
 * success *lock_fd is an fd holding the supervisor lock (to pass on).
 * KFT_EEXISTS if the job exists.
 */
int kft__store_create(int *lock_fd, const char *state_dir, const char *name, const cJSON *spec,
                      const cJSON *plan, const char *backend);

/**
 * Read a job's state record (json) with the liveness check applied: a dead
 * supervisor turns a non-final job into Failed/SupervisorDied (recorded).
 */
int kft__store_read_state(cJSON **out, const char *jobdir, const char *name);
/** A kft_job_t from a state record. */
int kft__store_job_from_state(kft_job_t **out, const cJSON *state, const char *backend);
/** Read a job (kft__store_read_state + kft__store_job_from_state). */
int kft__store_get_job(kft_job_t **out, const char *state_dir, const char *name,
                       const char *backend);
/** <jobdir>/workspace (what the job's steps see at /workspace); KFT_ENOTFOUND without the job. */
int kft__store_workspace_dir(char **out, const char *state_dir, const char *name);
/** The job's progress-update history (<jobdir>/metrics.jsonl; lib/trainer_status.h). */
int kft__store_metrics_history(kft_metrics_history_t **out, const char *state_dir,
                               const char *name);
/** The job's TrainJob (spec.json) or plan (plan.json) as JSON text (kft_manifest_t). */
int kft__store_manifest(char **out, const char *state_dir, const char *name, int what);
int kft__store_list_jobs(kft_job_list_t **out, const char *state_dir, const char *runtime,
                         const char *backend);
int kft__store_get_events(kft_event_list_t **out, const char *state_dir, const char *name);

/** Ask the supervisor to suspend or resume an unfinished job (KFT_EINVALID if it is final). */
int kft__store_suspend(const char *jobdir, const char *name, int suspend);
/** Merge fields into control.json (read-modify-write, atomic replace) and poke the supervisor. */
int kft__store_control(const char *jobdir, const cJSON *fields);

/** The supervisors' short-lived first processes a backend started and has not reaped. */
typedef struct {
	pid_t *pids;
	size_t n, cap;
} kft__store_children;
/** Reap those that exited (block: wait for all). */
void kft__store_children_reap(kft__store_children *c, int block);
/** Reap all (waiting) and release. */
void kft__store_children_free(kft__store_children *c);

/**
 * Start the supervisor for jobdir, handing it lock_fd (closed here in any
 * case). The program forks and its first process exits at once; with pending
 * NULL that process is reaped here, else it joins pending (after those that
 * exited are reaped) for the caller to reap later.
 */
int kft__store_spawn_supervisor(kft__store_children *pending, const char *jobdir, int lock_fd);

/* ---- backends/runner/follow.c ---- */

/** Wait for a job (kft_wait semantics: want mask, timeout, progress callback), event-driven. */
int kft__store_wait(kft_job_t **out, const char *state_dir, const char *name,
                    const char *backend, const kft_wait_opts_t *o);
/** A job's step logs from logs/<step>.log (kft_logs semantics: step, tail, follow, prefix). */
int kft__store_logs(const char *state_dir, const char *name, const kft_logs_opts_t *o,
                    kft_log_cb cb, void *payload);
/**
 * Ask a live supervisor to cancel the job (control.json: cancel, graceMs) and
 * wait until it exited, at most grace_ms + extra_ms (KFT_ETIMEOUT). A job
 * without a live supervisor returns 0 at once.
 */
int kft__store_cancel(const char *dir, const char *name, int64_t grace_ms, int64_t extra_ms);

/** Is status final (Complete/Failed)? */
int kft__store_status_final(const char *status);
/* /proc/PID/stat read into buf: the fields after "pid (comm)", from " state"; NULL if gone. */
const char *kft__proc_stat(char *buf, size_t size, const char *pid);
/** Start time of a process in clock ticks since boot (/proc/pid/stat field 22); 0 if none. */
unsigned long long kft__proc_start_ticks(pid_t pid);


/* ---- backends/runner/initialize.c ---- */

/** `kft-supervisor initialize dataset|model URI DEST`: a dataset/model initializer step. */
int kft__initializer_main(int argc, char **argv);

#endif
