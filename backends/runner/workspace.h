/*
 * The job's mount namespace with /workspace (backends/runner/workspace.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_RUNNER_WORKSPACE_H
#define KFT_RUNNER_WORKSPACE_H

#include "internal.h"

#include <limits.h>

typedef struct {
	pid_t pid;            /* the holder; 0: no namespace */
	int in_fd;            /* its stdin (write end) */
	char self[PATH_MAX];  /* kft-supervisor, for nsenter */
} kft__workspace;

/** Start the holder; -1 with err set when the kernel refuses (the job runs without). */
int kft__workspace_start(kft__workspace *w, const char *jobdir, char *err, size_t errlen);
/** Prefix argv with `kft-supervisor nsenter PID CWD --` (nothing without a holder). */
int kft__workspace_wrap(const kft__workspace *w, kft__strv *argv, const char *cwd);
void kft__workspace_stop(kft__workspace *w);

/** kft-supervisor workspace JOBDIR / nsenter PID CWD -- ARGV... */
int kft__workspace_main(int argc, char **argv);
int kft__nsenter_main(int argc, char **argv);

#endif
