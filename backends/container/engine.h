/*
 * A small Docker Engine API client over a unix socket (libcurl,
 * CURLOPT_UNIX_SOCKET_PATH). Works with dockerd and with podman's
 * Docker-compatible service. Internal to the container backend.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Every call is synchronous on one reused connection, except streams
 * (logs, events), which run on a curl multi handle driven by
 * kft__engine_streams_run so several can be followed at once on the
 * caller's thread, with a tick for cancellation at least once a second.
 */
#ifndef KFT_ENGINE_H
#define KFT_ENGINE_H

#include "internal.h"

/* The highest API version we speak (Docker 20.10; podman 4 reports it too). */
#define KFT__ENGINE_API_MAX "1.41"
#define KFT__ENGINE_API_MIN_MINOR 24   /* 1.24: the oldest with /containers/{id}/wait etc. */

typedef struct kft__engine kft__engine;

/**
 * Find an engine and connect. host: an explicit "unix:///path" or "/path"
 * (NULL: $DOCKER_HOST, $CONTAINER_HOST; when none of them is set, the
 * well-known sockets). Pings each candidate; the first that answers wins,
 * then GET /version picks the API version min(server, 1.41).
 * KFT_EUNAVAILABLE with every place tried and why when none answers.
 */
int kft__engine_open(kft__engine **out, const char *host, int64_t timeout_ms);
void kft__engine_free(kft__engine *e);

const char *kft__engine_socket(const kft__engine *e);    /* socket path */
const char *kft__engine_api(const kft__engine *e);       /* "1.41" */
const char *kft__engine_name(const kft__engine *e);      /* "docker" or "podman" */
const char *kft__engine_version(const kft__engine *e);   /* server version, e.g. "20.10.24" */
int kft__engine_is_podman(const kft__engine *e);

/** Discovery candidates in order (for messages and tests). */
int kft__engine_candidates(kft__strv *out, const char *host);

/**
 * One request. path is below the version prefix ("/containers/json?all=1");
 * body is JSON text or NULL. On 2xx: 0, *out the parsed JSON body (NULL if
 * empty or out NULL; 304 is success too). Non-2xx: 404 KFT_ENOTFOUND, 409 (or
 * "already in use") KFT_EEXISTS, 401/403 KFT_EAUTH, other KFT_ERROR, with the
 * engine's own message; a failed transfer KFT_EUNAVAILABLE or KFT_ETIMEOUT. timeout_ms 0: the engine
 * default, < 0: none (blocking calls such as wait).
 */
int kft__engine_call(cJSON **out, kft__engine *e, const char *method, const char *path,
                     const char *body, int64_t timeout_ms);
/** The error of a non-2xx Engine answer (its {"message"} body); returns the code. */
int kft__engine_status_error(long status, const char *body, size_t len, const char *method,
                             const char *what);
/** Last HTTP status of kft__engine_call (0 if no response). */
long kft__engine_last_status(const kft__engine *e);

/* ---- typed helpers ---- */
int kft__engine_ping(kft__engine *e);
int kft__engine_image_exists(kft__engine *e, const char *image);   /* 0 or KFT_ENOTFOUND */
int kft__engine_image_pull(kft__engine *e, const char *image);
/** policy "IfNotPresent" (NULL), "Always", "Never". */
int kft__engine_image_ensure(kft__engine *e, const char *image, const char *policy);

/** POST /containers/create?name=; body is the create JSON. *id_out: yours (free). */
int kft__engine_container_create(char **id_out, kft__engine *e, const char *name,
                                 const cJSON *body);
int kft__engine_container_start(kft__engine *e, const char *id);
/** Blocks until the container is not running; *exit_code its status. */
int kft__engine_container_wait(int *exit_code, kft__engine *e, const char *id);
int kft__engine_container_inspect(cJSON **out, kft__engine *e, const char *id);
/** grace_s < 0: the engine default. A stopped container is not an error. */
int kft__engine_container_stop(kft__engine *e, const char *id, int grace_s);
/** Force-remove (with anonymous volumes); a missing container is not an error. */
int kft__engine_container_remove(kft__engine *e, const char *id);
/** Containers (all states) having label "key=value" (or "key"). *out: JSON array. */
int kft__engine_container_list(cJSON **out, kft__engine *e, const char *label);

int kft__engine_network_create(char **id_out, kft__engine *e, const char *name,
                               const cJSON *labels, int internal);
int kft__engine_network_remove(kft__engine *e, const char *name);   /* missing: not an error */
int kft__engine_network_list(cJSON **out, kft__engine *e, const char *label);
int kft__engine_network_inspect(cJSON **out, kft__engine *e, const char *name);

/* ---- streams (logs, events) ---- */

/** Receives stream bytes; fd 1 stdout, 2 stderr, 0 for non-multiplexed. Non-zero stops. */
typedef int (*kft__engine_data_cb)(const char *data, size_t len, int fd, void *payload);
typedef struct kft__engine_stream kft__engine_stream;

/**
 * Prepare a streaming GET (path below the version prefix). demux: the body
 * is the 8-byte-framed log stream (a raw stream, as from a TTY, is detected
 * and passed through).
 */
int kft__engine_stream_new(kft__engine_stream **out, kft__engine *e, const char *path, int demux,
                           kft__engine_data_cb cb, void *payload);
/** Make a prepared stream a POST with an empty body (e.g. /containers/{id}/wait). */
void kft__engine_stream_set_post(kft__engine_stream *s);
void kft__engine_stream_free(kft__engine_stream *s);
/** After run: 1 once the stream ended; its HTTP status; its curl/engine error (0 ok). */
int kft__engine_stream_done(const kft__engine_stream *s);
long kft__engine_stream_status(const kft__engine_stream *s);

/**
 * Run streams until every one ended, a callback returned non-zero (returned),
 * or tick returned non-zero (returned). tick runs at least every tick_ms
 * (and once per stream end). A stream ending with an HTTP error sets the
 * error message but does not stop the others; its status says so.
 */
int kft__engine_streams_run(kft__engine *e, kft__engine_stream **s, size_t n, int64_t tick_ms,
                            int (*tick)(void *payload), void *payload);

/* ---- pure helpers (tested alone) ---- */

/** Log stream demultiplexer; frames may split anywhere across chunks. */
typedef struct {
	unsigned char hdr[8];
	size_t hdr_len;     /* header bytes gathered so far */
	uint64_t remaining; /* payload bytes left in the current frame */
	int fd;             /* current frame's stream */
	int mode;           /* 0 undecided, 1 framed, 2 raw */
} kft__demux;
#define KFT__DEMUX_INIT { { 0 }, 0, 0, 0, 0 }
int kft__demux_feed(kft__demux *d, const char *data, size_t len, kft__engine_data_cb cb,
                    void *payload);

#endif
