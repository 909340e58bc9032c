/* C side of the cgo example: hands the exported Go callbacks to the library.
 * (A Go file with //export may only declare C functions, so they live here.)
 * SPDX-License-Identifier: Apache-2.0 */
#include <kftrainer.h>

#include "_cgo_export.h"

int kftgo_wait(kft_job_t **out, kft_client_t *client, const char *name, uint32_t want,
               int64_t timeout_ms, void *payload)
{
	kft_wait_opts_t opts = KFT_WAIT_OPTS_INIT;

	opts.want = want;
	opts.timeout_ms = timeout_ms;
	opts.progress_cb = (kft_wait_cb)goWaitCB;
	opts.payload = payload;
	return kft_wait(out, client, name, &opts);
}

int kftgo_logs(kft_client_t *client, const char *name, const char *step, uint32_t flags,
               int prefix, void *payload)
{
	kft_logs_opts_t opts = KFT_LOGS_OPTS_INIT;

	opts.step = step;
	opts.flags = flags;
	opts.prefix = prefix;
	return kft_logs(client, name, &opts, (kft_log_cb)goLogCB, payload);
}
