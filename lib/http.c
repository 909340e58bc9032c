/*
 * The HTTP layer's shared multi-handle loop (see http.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "http.h"

int kft__http_multi_step(CURLM *m, kft__http_done_cb done, void *payload)
{
	CURLMsg *msg;
	CURLMcode mc;
	int running = 0, left;

	if ((mc = curl_multi_perform(m, &running)) != CURLM_OK)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "curl_multi_perform: %s",
		                      curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			done(msg->easy_handle, msg->data.result, payload);
	return 0;
}

int kft__http_multi_wait(CURLM *m, int64_t ms)
{
	CURLMcode mc;

	if (ms < 0)
		ms = 0;
	if (ms > 1000)
		ms = 1000;
	if ((mc = curl_multi_poll(m, NULL, 0, (int)ms, NULL)) != CURLM_OK)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "curl_multi_poll: %s",
		                      curl_multi_strerror(mc));
	return 0;
}
