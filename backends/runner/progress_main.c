/*
 * kft-progress-server: Kubeflow Trainer's status server for one local or
 * container job (reference/kubeflow-trainer.md §10), started by the job's
 * supervisor. A separate program so that the supervisor maps neither
 * libmicrohttpd nor GnuTLS (its RSS target).
 *
 *   kft-progress-server JOBDIR NAME [--namespace NS] [--listen ADDR] [--listen-fd FD]
 *
 * First run: makes a per-job CA and a server certificate for localhost,
 * 127.0.0.1, ::1, host.docker.internal and host.containers.internal (with
 * GnuTLS, in process; the key and certificate in JOBDIR/progress.pem) and
 * a per-job token; the job's copies are JOBDIR/trainer/ca.crt and
 * JOBDIR/trainer/token (0700 directory). Listens on ADDR (default
 * 127.0.0.1) on a free port, and for a container job on a per-job network
 * also on that network's gateway (the plan's progressGateway) on the same
 * port; prints the port and a newline on stdout, closes
 * stdout, and serves until its stdin reaches end of file (the supervisor
 * closed it or died) or SIGTERM. --listen-fd FD: a socket the supervisor bound
 * (and told the steps about) instead, when the job's credentials were on disk
 * already. Once serving, it makes a spare set of credentials for a next job
 * of the store (STATEDIR/progress-spare/set, set.1, ...), unless every slot is full.
 *
 * Answers as Trainer's server does: POST to
 * /apis/trainer.kubeflow.org/v1alpha1/namespaces/NS/trainjobs/NAME/status
 * only (404 elsewhere), 413 past 64 KiB, the job's bearer token (401 without
 * one, 403 for another), 422 for a malformed body ("Invalid payload") or a
 * broken CRD rule (the API server's message), 429 past the rate limit, and
 * 200 with the accepted update echoed. An accepted update replaces
 * JOBDIR/trainer-status.json and is appended to JOBDIR/metrics.jsonl; a
 * refused request stores nothing. One thread: MHD runs from our poll loop.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "progress.h"
#include "store.h"
#include "trainer_status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RATE_PER_S 20       /* sustained requests per second (all ranks together) */
#define RATE_BURST 64       /* requests at once (every rank of a big job) */
#define MAX_CONNECTIONS 128
#define CONN_TIMEOUT_S 10   /* Trainer's readTimeout */
#define DRAIN_MAX (1024 * 1024)   /* an oversize body read and dropped before the 413 */

typedef struct {
	char *jobdir, *name, *path, *token;
	double tokens;      /* rate-limit bucket */
	int64_t refill_ms;
} server_t;

typedef struct {
	kft__buf body;
	int refused;        /* an answer is queued already */
	int too_big;
} request_t;

static void say(const char *fmt, ...) KFT__PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kft-progress-server: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the per-job CA, certificate and token ---- */

/*
 * Made in process with GnuTLS (which libmicrohttpd links already): an ECDSA P-256 CA and a
 * server certificate it signs, for localhost, the engines' host names, 127.0.0.1 and ::1.
 * A few milliseconds, where three runs of the openssl program cost 50-180 ms before the
 * job's first step could start.
 */
/*
 * Temp + rename, not fsync'd (kft__store_write): five fsyncs cost milliseconds, tens under
 * I/O load, before the job's first step; after a crash a torn file is made again (below).
 */
static int pem_write(const char *dir, const char *file, const char *data, size_t len,
                     mode_t mode)
{
	char *p = kft__path_join(dir, file);
	int error;

	if (!p)
		return kft__error_oom();
	if ((error = kft__store_write(p, data, len, 0)) == 0 && mode != 0600 && chmod(p, mode) < 0)
		error = kft__error_os(KFT_ERROR, "chmod %s", p);
	free(p);
	return error;
}

static int new_cert(gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, unsigned char serial,
                    const char *cn)
{
	time_t now = time(NULL);

	if (gnutls_x509_privkey_init(key) < 0 ||
	    gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
	                                 GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_init(crt) < 0)
		return -1;
	if (gnutls_x509_crt_set_version(*crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(*crt, &serial, 1) < 0 ||
	    gnutls_x509_crt_set_activation_time(*crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(*crt, now + 3650L * 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(*crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                  (unsigned)strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_key(*crt, *key) < 0)
		return -1;
	return 0;
}

/* CA and server pair; PEM of the CA certificate, the server certificate and its key. */
static int make_pair(gnutls_datum_t *ca_pem, gnutls_datum_t *crt_pem, gnutls_datum_t *key_pem)
{
	static const char *dns[] = { "localhost", "host.docker.internal", "host.containers.internal" };
	static const unsigned char v4[4] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };
	gnutls_x509_crt_t ca = NULL, srv = NULL;
	gnutls_x509_privkey_t ca_key = NULL, srv_key = NULL;
	unsigned char id[64];
	size_t idlen = sizeof(id), i;
	int ok = -1;

	if (new_cert(&ca, &ca_key, 1, "kftrainer job CA") < 0 ||
	    gnutls_x509_crt_set_basic_constraints(ca, 1, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(ca, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) < 0 ||
	    gnutls_x509_crt_get_key_id(ca, 0, id, &idlen) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(ca, id, idlen) < 0 ||
	    gnutls_x509_crt_sign2(ca, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (new_cert(&srv, &srv_key, 2, "localhost") < 0 ||
	    gnutls_x509_crt_set_basic_constraints(srv, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(srv, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(srv, GNUTLS_KP_TLS_WWW_SERVER, 1) < 0 ||
	    gnutls_x509_crt_set_authority_key_id(srv, id, idlen) < 0)
		goto out;
	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
		if (gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_DNSNAME, dns[i],
		                                         (unsigned)strlen(dns[i]),
		                                         GNUTLS_FSAN_APPEND) < 0)
			goto out;
	if (gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_IPADDRESS, v4, sizeof(v4),
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_IPADDRESS, v6, sizeof(v6),
	                                         GNUTLS_FSAN_APPEND) < 0 ||
	    gnutls_x509_crt_sign2(srv, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
		goto out;
	if (gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_PEM, ca_pem) < 0 ||
	    gnutls_x509_crt_export2(srv, GNUTLS_X509_FMT_PEM, crt_pem) < 0 ||
	    gnutls_x509_privkey_export2(srv_key, GNUTLS_X509_FMT_PEM, key_pem) < 0)
		goto out;
	ok = 0;
out:
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(srv);
	gnutls_x509_privkey_deinit(ca_key);   /* the CA key is never written: nothing more to sign */
	gnutls_x509_privkey_deinit(srv_key);
	return ok;
}

static char *read_cred(const char *dir, const char *file)
{
	char *p = kft__path_join(dir, file), *data = NULL;
	size_t len = 0;

	if (!p || kft__read_file(&data, &len, p) < 0 || len == 0) {
		free(data);
		data = NULL;
	}
	free(p);
	kft_error_clear();
	return data;
}

static char *dup_datum(const gnutls_datum_t *d)
{
	char *s = kft__malloc(d->size + 1);

	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	return s;
}

#define CERT_BEGIN "-----BEGIN CERTIFICATE-----"

/*
 * The server's key and certificate, one PEM file in the job's directory (0700):
 * JOBDIR/progress.pem; the job's copies: JOBDIR/trainer/{ca.crt,token}. Kept across runs
 * of the job (resumed), made again when one is missing or torn. As few files as that,
 * since each new file costs the job's start time (bench/local/README.md).
 */

/* A whole set in dir: 0 with the server's PEM in *key, *crt and the token in *token. */
static int read_set(const char *dir, char **key, char **crt, char **token)
{
	char tdir[PATH_MAX], *ca_pem, *cut;
	int have_ca;

	snprintf(tdir, sizeof(tdir), "%s/trainer", dir);
	*key = read_cred(dir, "progress.pem");
	*crt = NULL;
	if (*key && (cut = strstr(*key, CERT_BEGIN)) != NULL && cut > *key) {
		*crt = kft__strdup(cut);
		*cut = '\0';
	}
	*token = read_cred(tdir, "token");
	ca_pem = read_cred(tdir, "ca.crt");
	have_ca = ca_pem != NULL;
	free(ca_pem);
	if (*key && *crt && have_ca && *token && strlen(*token) == 64)
		return 0;
	free(*key);
	free(*crt);
	free(*token);
	*key = *crt = *token = NULL;
	return -1;
}

/* Make a new set in dir (progress.pem, trainer/{ca.crt,token}); the same in memory. */
static int write_set(const char *dir, char **key, char **crt, char **tok)
{
	char tdir[PATH_MAX];
	gnutls_datum_t ca = { NULL, 0 }, c = { NULL, 0 }, k = { NULL, 0 };
	kft__buf pem = KFT__BUF_INIT;
	unsigned char raw[32];
	char token[65];
	size_t i;
	int error;

	*key = *crt = *tok = NULL;
	if ((size_t)snprintf(tdir, sizeof(tdir), "%s/trainer", dir) >= sizeof(tdir) - 16)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "job directory too long");
	if (mkdir(tdir, 0700) < 0 && errno != EEXIST)
		return kft__error_os(KFT_ERROR, "mkdir %s", tdir);
	umask(077);
	if (make_pair(&ca, &c, &k) < 0) {
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PROCESS,
		                       "GnuTLS could not make the job's certificates");
		goto out;
	}
	if (kft__random_bytes(raw, sizeof(raw)) < 0) {
		error = KFT_ERROR;
		goto out;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	if (!(*key = dup_datum(&k)) || !(*crt = dup_datum(&c)) || !(*tok = kft__strdup(token))) {
		error = kft__error_oom();
		goto out;
	}
	/* the token last: its presence says the set is whole */
	kft__buf_puts(&pem, *key);
	kft__buf_puts(&pem, *crt);
	if (pem.oom) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = pem_write(dir, "progress.pem", pem.ptr, pem.len, 0600)) < 0 ||
	    (error = pem_write(tdir, "ca.crt", (const char *)ca.data, ca.size, 0644)) < 0)
		goto out;
	error = pem_write(tdir, "token", token, 64, 0600);
out:
	if (pem.ptr)
		memset(pem.ptr, 0, pem.len);
	kft__buf_free(&pem);
	memset(token, 0, sizeof(token));
	memset(raw, 0, sizeof(raw));
	if (k.data) {
		memset(k.data, 0, k.size);
		gnutls_free(k.data);
	}
	gnutls_free(ca.data);
	gnutls_free(c.data);
	return error;
}

static int make_credentials(server_t *srv, char **key, char **crt)
{
	if (read_set(srv->jobdir, key, crt, &srv->token) == 0)
		return 0;   /* made by an earlier run of this job, or claimed from the spare */
	return write_set(srv->jobdir, key, crt, &srv->token);
}

/*
 * Once serving: one spare set for a next job of this state directory, in the first free
 * slot (KFT__PROGRESS_SPARES at most), which that job's supervisor claims with a rename
 * (have_credentials in progress.c), so its first step need not wait for a server to make
 * certificates. Made under a temporary name, renamed whole; none when every slot is full.
 */
static void refill_spare(const char *jobdir)
{
	char *spare = kft__progress_spare_dir(jobdir), set[PATH_MAX], tmp[PATH_MAX];
	char *key = NULL, *crt = NULL, *tok = NULL;
	struct stat sb;
	int i, placed = 0;

	if (!spare)
		return;
	for (i = 0; i < KFT__PROGRESS_SPARES; i++) {
		kft__progress_spare_slot(set, sizeof(set), spare, i);
		if (stat(set, &sb) < 0)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%s/tmp.%d", spare, (int)getpid());
	if (i < KFT__PROGRESS_SPARES && (mkdir(spare, 0700) == 0 || errno == EEXIST) &&
	    mkdir(tmp, 0700) == 0) {
		if (write_set(tmp, &key, &crt, &tok) == 0) {
			for (; i < KFT__PROGRESS_SPARES && !placed; i++) {
				kft__progress_spare_slot(set, sizeof(set), spare, i);
				placed = rename(tmp, set) == 0;   /* fails on a slot filled meanwhile */
			}
		}
		if (!placed)
			kft__remove_tree(tmp);   /* other servers were quicker, or a failure */
		if (key)
			memset(key, 0, strlen(key));
		if (tok)
			memset(tok, 0, strlen(tok));
		free(key);
		free(crt);
		free(tok);
	}
	kft_error_clear();
	free(spare);
}

/* ---- answers ---- */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int code, const char *body,
                              size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
	                                                         MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (code == 429)
		MHD_add_response_header(r, "Retry-After", "1");
	ok = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result status_answer(struct MHD_Connection *c, unsigned int code,
                                     const char *reason, const char *message)
{
	kft__buf b = KFT__BUF_INIT;
	enum MHD_Result ok;

	if (kft__progress_status_body(&b, (int)code, reason, message) < 0) {
		kft__buf_free(&b);
		return MHD_NO;
	}
	ok = answer(c, code, b.ptr, b.len);
	kft__buf_free(&b);
	return ok;
}

/* Go: strings.Fields(header) must be ["Bearer" (any case), token]. */
static const char *bearer(const char *h, size_t *len)
{
	const char *t, *end;

	if (!h)
		return NULL;
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "bearer", 6) || (h[6] != ' ' && h[6] != '\t'))
		return NULL;
	for (t = h + 6; *t == ' ' || *t == '\t'; t++)
		;
	for (end = t; *end && *end != ' ' && *end != '\t'; end++)
		;
	*len = (size_t)(end - t);
	while (*end == ' ' || *end == '\t')
		end++;
	return *len && !*end ? t : NULL;
}

/* Constant time in the token's contents. */
static int token_ok(const server_t *srv, const char *t, size_t len)
{
	size_t i, n = strlen(srv->token);
	unsigned char d = len != n;

	for (i = 0; i < n; i++)
		d |= (unsigned char)(srv->token[i] ^ (i < len ? t[i] : 0));
	return d == 0;
}

static int rate_ok(server_t *srv)
{
	int64_t now = kft__mono_ms();

	srv->tokens += (double)(now - srv->refill_ms) * RATE_PER_S / 1000.0;
	if (srv->tokens > RATE_BURST)
		srv->tokens = RATE_BURST;
	srv->refill_ms = now;
	if (srv->tokens < 1)
		return 0;
	srv->tokens -= 1;
	return 1;
}

/* The first call for a request: refuse early, or 0 to read the body. */
static enum MHD_Result first_call(server_t *srv, request_t *rq, struct MHD_Connection *c,
                                  const char *url, const char *method)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *tok;
	size_t toklen = 0;

	rq->refused = 1;
	if (!rate_ok(srv))
		return status_answer(c, 429, "TooManyRequests", "Too many requests");
	if (cl && strtoull(cl, NULL, 10) > KFT__PROGRESS_MAX_BODY) {
		/*
		 * Answered before the body is read, the connection is closed under a client
		 * still sending it, which then sees a reset instead of the 413. A body up to
		 * DRAIN_MAX is read and dropped first (as Go's server lingers), the 413 after.
		 */
		if (strtoull(cl, NULL, 10) > DRAIN_MAX)
			return status_answer(c, 413, "RequestEntityTooLarge", "Payload too large");
		rq->too_big = 1;
		rq->refused = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") || strcmp(url, srv->path))
		return status_answer(c, 404, "NotFound", "Not found");
	if (!(tok = bearer(auth, &toklen)))
		return status_answer(c, 401, "Unauthorized", "Unauthorized");
	if (!token_ok(srv, tok, toklen))
		return status_answer(c, 403, "Forbidden", "Forbidden");
	rq->refused = 0;
	return MHD_YES;
}

static enum MHD_Result complete(server_t *srv, request_t *rq, struct MHD_Connection *c)
{
	kft__trainer_status ts;
	kft__buf out = KFT__BUF_INIT;
	char msg[1200];
	int kind = 0, error;
	enum MHD_Result ok;

	if (rq->too_big)
		return status_answer(c, 413, "RequestEntityTooLarge", "Payload too large");
	if (kft__progress_body_parse(&ts, &kind, rq->body.ptr ? rq->body.ptr : "",
	                             rq->body.len) < 0) {
		if (kind != KFT__PROGRESS_INVALID)
			return status_answer(c, 422, "Invalid", "Invalid payload");
		snprintf(msg, sizeof(msg), "TrainJob.trainer.kubeflow.org \"%s\" is invalid: %s",
		         srv->name, kft_error_last()->message);
		return status_answer(c, 422, "Invalid", msg);
	}
	if (ts.present) {
		if ((error = kft__trainer_status_store(srv->jobdir, &ts)) == 0) {
			char *hist = kft__path_join(srv->jobdir, KFT__STORE_HISTORY);

			error = hist ? kft__history_append(hist, kft__now_ms(), &ts,
			                                   KFT__HISTORY_MAX_BYTES) : kft__error_oom();
			free(hist);
		}
		if (error < 0) {
			say("storing an update: %s", kft_error_last()->message);
			kft__trainer_status_clear(&ts);
			return status_answer(c, 500, "InternalError", "Internal error");
		}
		kft__buf_puts(&out, "{\"trainerStatus\":");
		kft__trainer_status_render(&out, &ts);
		kft__buf_puts(&out, "}\n");
	} else {
		kft__buf_puts(&out, "{}\n");
	}
	kft__trainer_status_clear(&ts);
	ok = out.oom ? MHD_NO : answer(c, 200, out.ptr, out.len);
	kft__buf_free(&out);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *size, void **con_cls)
{
	server_t *srv = cls;
	request_t *rq = *con_cls;
	(void)version;
	if (!rq) {
		if (!(rq = kft__calloc(1, sizeof(*rq))))
			return MHD_NO;
		*con_cls = rq;
		return first_call(srv, rq, c, url, method);
	}
	if (rq->refused) {
		*size = 0;   /* the answer is queued; drop the rest of the body */
		return MHD_YES;
	}
	if (*size) {
		if (rq->body.len + *size > KFT__PROGRESS_MAX_BODY)
			rq->too_big = 1;
		else if (!rq->too_big && kft__buf_put(&rq->body, data, *size) < 0)
			return MHD_NO;
		*size = 0;
		return MHD_YES;
	}
	rq->refused = 1;
	return complete(srv, rq, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	request_t *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		kft__buf_free(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

/* ---- main ---- */

/* *port: 0 for any free one; freebind: the address may appear later (a bridge made when
 * its first container starts). */
static int listen_on(const char *addr, unsigned short *port, int freebind)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, v6 = strchr(addr, ':') != NULL;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			return -1;
		a->sin6_port = htons(*port);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			return -1;
		a->sin_port = htons(*port);
		sl = sizeof(*a);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (freebind)
		setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND, &one,
		           sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	              ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/*
 * A container job on a per-job network: its steps reach the host at the network's gateway
 * (the plan's progressGateway, written by kft_train from the engine's network inspect), so
 * the server listens there too, on the same port: that address only, never 0.0.0.0; the
 * token is required on every request. NULL: none (a local job, the host network).
 */
static char *plan_gateway(const char *jobdir)
{
	char path[PATH_MAX], *gw = NULL;
	cJSON *plan = NULL;
	struct in_addr a;
	const char *g;

	snprintf(path, sizeof(path), "%s/" KFT__STORE_PLAN, jobdir);
	if (kft__store_read_json(&plan, path) < 0) {
		kft_error_clear();
		return NULL;
	}
	g = kft__json_str(plan, "progressGateway");
	if (g && inet_pton(AF_INET, g, &a) == 1 && a.s_addr != htonl(INADDR_ANY))
		gw = kft__strdup(g);
	else if (g)
		say("progressGateway \"%s\" is not an IPv4 address; ignored", g);
	cJSON_Delete(plan);
	return gw;
}

/* 127.0.0.1 (addr) on a free port, and gw (if any) on the same one; a few tries when gw's is
 * taken. */
static int listen_both(const char *addr, const char *gw, unsigned short *port, int *gfd)
{
	int i, fd;

	*gfd = -1;
	for (i = 0; i < 8; i++) {
		unsigned short p = 0;

		if ((fd = listen_on(addr, &p, 0)) < 0)
			return -1;
		*port = p;
		if (!gw || (*gfd = listen_on(gw, &p, 1)) >= 0)
			return fd;
		close(fd);
		if (errno != EADDRINUSE)
			break;
	}
	say("cannot listen on %s: %s", gw, strerror(errno));
	return -1;
}

/* A connection on the gateway's socket: served by the same daemon (MHD_add_connection). */
static void accept_gateway(struct MHD_Daemon *d, int gfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	/* MHD closes the socket when it cannot take it (connection limit) */
	while ((fd = accept4(gfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		MHD_add_connection(d, fd, (struct sockaddr *)&ss, sl);
		sl = sizeof(ss);
	}
}

int main(int argc, char **argv)
{
	server_t srv;
	const char *ns = "default", *addr = "127.0.0.1";
	char *key = NULL, *crt = NULL, *gw = NULL;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	unsigned short port = 0;
	sigset_t set;
	int i, lfd, gfd = -1, sfd, efd, rc = 1, given_fd = -1;

	memset(&srv, 0, sizeof(srv));
	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--namespace"))
			ns = argv[i + 1];
		else if (!strcmp(argv[i], "--listen"))
			addr = argv[i + 1];
		else if (!strcmp(argv[i], "--listen-fd"))
			given_fd = atoi(argv[i + 1]);
	}
	if (argc < 3 || !kft__is_dns1035(argv[2]) || !kft__is_dns1035(ns)) {
		fprintf(stderr, "usage: kft-progress-server JOBDIR NAME [--namespace NS] "
		        "[--listen ADDR] [--listen-fd FD]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	srv.jobdir = argv[1];
	srv.name = argv[2];
	srv.tokens = RATE_BURST;
	srv.refill_ms = kft__mono_ms();
	{
		kft__buf p = KFT__BUF_INIT;

		kft__buf_printf(&p, "/apis/trainer.kubeflow.org/v1alpha1/namespaces/%s/trainjobs/%s/status",
		                ns, srv.name);
		srv.path = kft__buf_detach(&p);
	}
	if (make_credentials(&srv, &key, &crt) < 0) {
		say("%s", kft_error_last()->message);
		goto out;
	}
	gw = plan_gateway(srv.jobdir);
	if (given_fd > 2 && !gw) {
		/* bound by the supervisor, which told the steps its port already */
		struct sockaddr_in a;
		socklen_t al = sizeof(a);

		lfd = given_fd;
		if (getsockname(lfd, (struct sockaddr *)&a, &al) < 0 || a.sin_family != AF_INET) {
			say("--listen-fd %d: not a listening IPv4 socket", given_fd);
			goto out;
		}
		port = ntohs(a.sin_port);
		fcntl(lfd, F_SETFD, FD_CLOEXEC);
		fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	} else if ((lfd = listen_both(addr, gw, &port, &gfd)) < 0) {
		say("cannot listen on %s: %s", addr, strerror(errno));
		goto out;
	}
	d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_EPOLL, 0, NULL, NULL, on_request, &srv,
	                     MHD_OPTION_LISTEN_SOCKET, lfd,
	                     MHD_OPTION_HTTPS_MEM_KEY, key,
	                     MHD_OPTION_HTTPS_MEM_CERT, crt,
	                     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
	                     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
	                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
	                     MHD_OPTION_END);
	if (!d || !(info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD))) {
		say("cannot start the HTTPS server");
		goto out;
	}
	efd = info->epoll_fd;
	printf("%u\n", (unsigned)port);
	fflush(stdout);
	fclose(stdout);
	refill_spare(srv.jobdir);
	for (;;) {
		struct pollfd pfd[4] = { { efd, POLLIN, 0 }, { 0, POLLIN, 0 }, { sfd, POLLIN, 0 },
		                         { gfd, POLLIN, 0 } };
		MHD_UNSIGNED_LONG_LONG to = 0;
		int timeout = 1000;

		if (MHD_get_timeout(d, &to) == MHD_YES && to < 1000)
			timeout = (int)to;
		if (poll(pfd, gfd >= 0 ? 4 : 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents) {   /* the supervisor closed our stdin, or died */
			char c;

			if (read(0, &c, 1) <= 0)
				break;
		}
		if (pfd[2].revents)
			break;
		if (gfd >= 0 && pfd[3].revents)
			accept_gateway(d, gfd);
		MHD_run(d);
	}
	rc = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	if (gfd >= 0)
		close(gfd);
	free(gw);
	if (srv.token)
		memset(srv.token, 0, strlen(srv.token));
	free(srv.token);
	free(srv.path);
	if (key)
		memset(key, 0, strlen(key));
	free(key);
	free(crt);
	return rc;
}
