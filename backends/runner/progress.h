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
	int lfd;            /* bound by the supervisor, handed over at the spawn; -1: none */
	unsigned port;
	char url[512], ca[PATH_MAX], token[PATH_MAX];
} kft__progress_server;

/** A program next to the running one ($env_var overrides), e.g. kft-container-step. */
char *kft__sibling_program(const char *env_var, const char *name);

/**
 * With the job's credentials on disk already (a spare set claimed, or an earlier run's),
 * bind the server's socket here: its port is known at once, the steps can start before the
 * server does (connections wait in the backlog), and kft__progress_server_spawn() hands the
 * socket over later. 1 when bound, 0 when the server must make the credentials and its
 * socket itself (then spawn, and ready() waits for its port), or when !allowed (a container
 * job whose server also listens on its network's gateway). Initializes *ps either way.
 */
int kft__progress_server_prebind(kft__progress_server *ps, const char *jobdir, int allowed);
/** Start kft-progress-server for the job, without waiting for it. */
int kft__progress_server_spawn(kft__progress_server *ps, const char *jobdir, const char *name,
                               const char *ns);
/** STATEDIR/progress-spare for JOBDIR = STATEDIR/jobs/NAME (NULL otherwise): sets of
 *  credentials made ahead by servers for the next jobs. */
char *kft__progress_spare_dir(const char *jobdir);
/**
 * Spare sets kept at most: each server makes one once serving, into a free slot, and each
 * job claims one; so the pool fills up only with jobs that found it empty (a burst), and
 * that many jobs of the next burst start without waiting for certificates.
 */
#define KFT__PROGRESS_SPARES 4
/** Slot i of the spare directory: SPARE/set (slot 0), SPARE/set.1, ... */
void kft__progress_spare_slot(char *buf, size_t size, const char *spare, int i);
/** Wait until the spawned server listens; then kft__progress_server_env() has its URL. */
int kft__progress_server_ready(kft__progress_server *ps, const char *jobdir, const char *name,
                               const char *ns);
/** Set KUBEFLOW_TRAINER_SERVER_URL, _CA_CERT and _TOKEN (nothing without a port). */
int kft__progress_server_env(const kft__progress_server *ps, kft__strv *env);
/** Stop the server (end of its stdin; SIGKILL after 2 s) and reap it. */
void kft__progress_server_stop(kft__progress_server *ps);

#endif
