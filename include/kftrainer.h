/*
 * libkftrainer - a C client SDK for Kubeflow Trainer v2.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Threading contract: use a client, and what comes from it, from one thread
 * at a time; different clients may be used from different threads. Errors
 * are per thread (kft_error_last()). The library starts no threads, installs
 * no signal handlers, never fork()s without exec, opens every fd
 * close-on-exec and reaps only its own children. Callbacks run on the
 * caller's thread.
 *
 * Ownership: strings passed in are copied; const char * getters are borrowed
 * from their parent object; char **out results are the caller's, freed with
 * kft_free(). Every _free(NULL) is a no-op.
 */
#ifndef KFTRAINER_H
#define KFTRAINER_H

#include "kftrainer/common.h"
#include "kftrainer/version.h"
#include "kftrainer/errors.h"
#include "kftrainer/global.h"
#include "kftrainer/spec.h"
#include "kftrainer/runtime.h"
#include "kftrainer/client.h"
#include "kftrainer/job.h"
#include "kftrainer/wait.h"
#include "kftrainer/logs.h"
#include "kftrainer/progress.h"
#include "kftrainer/torchtune.h"
#include "kftrainer/duration.h"
#include "kftrainer/dashboard.h"
#include "kftrainer/manifest.h"
#include "kftrainer/convert.h"

#endif
