/*
 * The job's progress server, as the supervisor runs it (backends/runner/progress.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_RUNNER_PROGRESS_H
#define KFT_RUNNER_PROGRESS_H

#include "internal.h"

#include <limits.h>

typedef struct {
	pid_t pid;          /* 0: not running */
	int in_fd;          /* the server's stdin (write end) */
	int port_fd;        /* its stdout until it told its port (read end); -1 after */
	unsigned port;
	char url[512], ca[PATH_MAX], token[PATH_MAX];
} kft__progress_server;

/** A program next to the running one ($env_var overrides), e.g. kft-container-step. */
char *kft__sibling_program(const char *env_var, const char *name);

/**
 * Start kft-progress-server for the job, without waiting: other set-up (the job's namespace)
 * goes on while it starts; kft__progress_server_ready() then waits for its port. With
 * prebind (no gateway to listen on too) and the job's credentials on disk already (a
 * spare set claimed, or an earlier run's), the supervisor binds the socket itself and hands
 * it over: the port is known at once, connections wait in the backlog, nothing to wait for.
 */
int kft__progress_server_spawn(kft__progress_server *ps, const char *jobdir, const char *name,
                               const char *ns, int prebind);
/** STATEDIR/progress-spare for JOBDIR = STATEDIR/jobs/NAME (NULL otherwise): a set of
 *  credentials made ahead by a server for the next job. */
char *kft__progress_spare_dir(const char *jobdir);
/** Wait until the spawned server listens; then kft__progress_server_env() has its URL. */
int kft__progress_server_ready(kft__progress_server *ps, const char *jobdir, const char *name,
                               const char *ns);
/** Set KUBEFLOW_TRAINER_SERVER_URL, _CA_CERT and _TOKEN (nothing when not running). */
int kft__progress_server_env(const kft__progress_server *ps, kft__strv *env);
/** Stop the server (end of its stdin; SIGKILL after 2 s) and reap it. */
void kft__progress_server_stop(kft__progress_server *ps);

#endif
