/*
 * The HTTP layer's shared part over libcurl (lib/http.c): the multi-handle
 * loop that drives several transfers at once (kubernetes watches and log
 * follows, Docker Engine event and log streams). Each client keeps its own
 * request setup (auth, unix socket, error bodies); both drive their streams
 * through this loop, so finishing, polling and curl failures are handled once.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_HTTP_H
#define KFT_HTTP_H

#include "internal.h"

#include <curl/curl.h>

/** A transfer ended (h is still in the multi handle; the callback may remove it). */
typedef void (*kft__http_done_cb)(CURL *h, CURLcode result, void *payload);

/**
 * Let curl move every transfer of m, then report each one that ended to done.
 * 0, or KFT_ERROR (class HTTP) when curl itself fails.
 */
int kft__http_multi_step(CURLM *m, kft__http_done_cb done, void *payload);

/** Wait for activity on m, at most ms (clamped to 0..1000). 0 or KFT_ERROR. */
int kft__http_multi_wait(CURLM *m, int64_t ms);

#endif
