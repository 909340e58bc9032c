/*
 * The HTTP layer over libcurl (lib/http.c), shared by every client the library
 * has: the kubernetes REST client (TCP + TLS, HTTP/2) and the Docker Engine API
 * client (a unix socket). It owns what an HTTP client is made of - transport
 * and TLS setup, request setup (method, body, headers, timeouts), a unary
 * request with a bounded body, streams driven by one multi-handle loop, and
 * the mapping of a failed transfer or a non-2xx answer to a kft error. A
 * client only says what is its own: credentials (kft__http_auth_fn), how its
 * server words an error body (kft__http_errbody_fn), its retry policy.
 * Nothing here knows a backend.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_HTTP_H
#define KFT_HTTP_H

#include "internal.h"

#include <curl/curl.h>

/* The most of a streamed answer's non-2xx body kept for its message. */
#define KFT__HTTP_ERRBODY_MAX (64 * 1024)

typedef struct kft__http kft__http;

/** What a server's error answer says (filled by a kft__http_errbody_fn). */
typedef struct {
	int code;              /* KFT_E*: preset by kft__http_code(); the parser may refine it */
	long status;           /* preset: the HTTP status; a body's own code (100-999) may replace it */
	kft__buf reason;       /* a one-word reason ("AlreadyExists"); empty: none */
	kft__buf message;      /* the server's words (kft__buf_put_text); empty: the generic text */
} kft__http_err;

/**
 * A server's dialect of error bodies: read body (len may be 0) into e.
 * method and what name the request, for a message that cites it.
 * 0, or KFT_ENOMEM.
 */
typedef int (*kft__http_errbody_fn)(kft__http_err *e, const char *body, size_t len,
                                    const char *method, const char *what);

/**
 * Called before every request of a client (unary or stream): refresh and add
 * credentials (append to *headers, set options on h). 0 or < 0 with the error set.
 */
typedef int (*kft__http_auth_fn)(CURL *h, struct curl_slist **headers, void *ud);
/** For an auth hook: a client certificate and key (PEM bytes, copied) on h. */
void kft__http_client_cert(CURL *h, const char *cert, size_t cert_len, const char *key,
                           size_t key_len);
/** For an auth hook: append "Authorization: Bearer <token>" (our copy of it wiped). */
int kft__http_add_bearer(struct curl_slist **headers, const char *token);

/** A client's settings. The strings must outlive the client. */
typedef struct {
	const char *peer;           /* messages say "<peer> <server or socket>" ("the API server") */
	int klass;                  /* KFT_ERROR_CLASS_* of the server's error answers */
	kft__http_errbody_fn errbody;   /* NULL: the generic text only */
	kft__http_auth_fn auth;     /* NULL: no credentials */
	void *auth_ud;
	const char *server;         /* base URL: "https://h:6443", "http://localhost" */
	const char *unix_socket;    /* connect here instead of the server's host and port */
	/* TLS: verification is on unless insecure */
	const char *ca;             /* PEM bytes; NULL: ca_file, else the system's CAs */
	size_t ca_len;
	const char *ca_file;
	const char *ca_desc;        /* which CA, for a failed verification ("the cluster's ...") */
	const char *cert, *key;     /* client certificate and key, PEM bytes (both or neither) */
	size_t cert_len, key_len;
	int insecure;
	const char *tls_server_name;    /* verify and send SNI for this name; connect to server */
	const char *proxy;          /* NULL: $https_proxy & co., never for loopback or $NO_PROXY */
	int compression;            /* Accept-Encoding: 1 yes, 0 no, -1 unless server is loopback */
	int64_t timeout_ms;         /* a unary request's total time unless it says; > 0 */
	int64_t connect_timeout_ms; /* > 0 */
} kft__http_opts;

/** How a transfer ended. */
typedef struct {
	long status;                /* HTTP status; 0: no answer */
	CURLcode curl;              /* CURLE_OK or why the transfer failed */
	long os_errno;              /* the connect's errno, if curl had one */
	int64_t retry_after_s;      /* Retry-After (seconds); -1 none */
	char errbuf[CURL_ERROR_SIZE];
} kft__http_res;

/**
 * Receives a 2xx body piece by piece. Unary: a negative return stops the
 * transfer and kft__http_perform returns it. Stream: any non-zero return
 * stops the stream (kept in sink_rc).
 */
typedef int (*kft__http_sink)(const char *data, size_t len, void *ud);

typedef struct {
	const char *method;         /* GET, POST, PUT, PATCH, DELETE */
	const char *path;           /* below the server's URL, escaped ("/api/v1/pods?x=y") */
	const char *body;           /* NULL: none (a POST sends an empty one) */
	size_t body_len;            /* 0: strlen(body) */
	const char *content_type;   /* of the body; NULL: application/json */
	int64_t timeout_ms;         /* 0: the client's; < 0: none */
	int low_speed_s;            /* fail below 1 byte/s for this long; 0: never */
	kft__http_sink sink;        /* unary: the 2xx body goes here instead of resp */
	void *sink_ud;
	/* every response header line as it arrives ("Name: value\r\n") */
	void (*on_header)(const char *line, size_t len, void *ud);
	void *header_ud;
} kft__http_req;

int kft__http_new(kft__http **out, const kft__http_opts *opts);
void kft__http_free(kft__http *c);   /* after every stream of c */
const char *kft__http_peer(const kft__http *c);
/** Requests made so far (unary attempts and streams), for tests and benchmarks. */
unsigned long kft__http_requests(const kft__http *c);

/** The URL of path on the client's server (the tls_server_name's host): yours, NULL on OOM. */
char *kft__http_url(const kft__http *c, const char *path);
/** Append s percent-encoded (all but unreserved; keep_slash also keeps / : @). */
int kft__http_escape(kft__buf *b, const char *s, int keep_slash);

/**
 * One request on the client's reused handle. 0 when the transfer ran
 * (*res says how: res->curl, res->status) with the body in resp; < 0 with the
 * error set when it could not: out of memory, the auth hook, the sink's
 * negative return, or a body over KFT__RESPONSE_MAX.
 */
int kft__http_perform(kft__buf *resp, kft__http_res *res, kft__http *c, const kft__http_req *r);

/** The KFT_E* code of an HTTP status (404 ENOTFOUND, 409 EEXISTS, 401/403 EAUTH, ...). */
int kft__http_code(long status);
/** A failed transfer (res->curl != CURLE_OK) as an error of class HTTP; returns its code. */
int kft__http_transport_error(const kft__http *c, const kft__http_res *res);
/**
 * A non-2xx answer as an error of class klass: parse reads body, else (or when
 * it says nothing) "HTTP <status> from <method> <what>: <start of body>".
 * Returns the code.
 */
int kft__http_status_error(int klass, kft__http_errbody_fn parse, long status,
                           const char *body, size_t len, const char *method, const char *what);
/** res as 0 (a 2xx answer), a transport error, or c's reading of the error body. */
int kft__http_result_error(const kft__http *c, const kft__http_res *res, const kft__buf *body,
                           const char *method, const char *what);

/* ---- streams: long answers (watches, log follows, events) several at once ---- */

typedef struct kft__http_stream {
	void *owner;                /* the client's, for the done callback */
	kft__http *c;
	CURL *h;
	struct curl_slist *hdrs;
	char *url;
	const char *method;
	kft__http_sink sink;        /* the 2xx body; non-zero stops the stream (sink_rc) */
	void *sink_ud;
	int sink_rc;
	int done;                   /* ended: res says how */
	kft__http_res res;
	kft__buf errbody;           /* a non-2xx body, at most KFT__HTTP_ERRBODY_MAX */
} kft__http_stream;

/**
 * Prepare s (zeroed or closed) for r on c: no total timeout (a healthy
 * watch can be silent for minutes), TCP keepalive ends dead connections.
 * Add s->h to a multi handle to run it. r's strings are copied (method must be static).
 */
int kft__http_stream_open(kft__http_stream *s, kft__http *c, const kft__http_req *r);
/** Release s (s->h out of any multi handle first). Safe on a closed or zeroed s. */
void kft__http_stream_close(kft__http_stream *s);
/** s's end as an error (transport, then non-2xx), or 0. */
int kft__http_stream_error(const kft__http_stream *s);

/** A stream ended (s->done and s->res are set; s->h is still in the multi handle). */
typedef void (*kft__http_done_cb)(kft__http_stream *s, void *payload);

/**
 * Let curl move every transfer of m, then report each stream that ended to done.
 * 0, or KFT_ERROR (class HTTP) when curl itself fails.
 */
int kft__http_multi_step(CURLM *m, kft__http_done_cb done, void *payload);

/** Wait for activity on m, at most ms (clamped to 0..1000). 0 or KFT_ERROR. */
int kft__http_multi_wait(CURLM *m, int64_t ms);

#endif
