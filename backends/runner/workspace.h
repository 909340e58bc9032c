/*
 * The job's mount namespace with /workspace (backends/runner/workspace.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_RUNNER_WORKSPACE_H
#define KFT_RUNNER_WORKSPACE_H

#include "internal.h"

#include <limits.h>

/**
 * Move the calling process (the job's supervisor, before its first step) into
 * a private mount namespace (and a user namespace when not root) whose root
 * holds this machine's top-level directories and JOBDIR/workspace at
 * /workspace; the steps it starts later inherit it. -1 with err set when the
 * kernel refuses: the caller goes on in this machine's view.
 */
int kft__workspace_enter(const char *jobdir, char *err, size_t errlen);

#endif
