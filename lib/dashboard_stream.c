/*
 * The dashboard's server-sent event streams: /events (live updates of the
 * jobs table: the rows newer than the browser's generation, and removals) and
 * /jobs/NAME/logs (a job's logs, followed by one thread per stream on its own
 * client and written to a socketpair that libmicrohttpd streams; for a job
 * known only from the history, its recorded last lines).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_STREAMS 32          /* concurrent log streams */
#define MAX_LINE 16384          /* a longer log line is cut in the browser's view */
#define LOG_TAIL 2000           /* lines of each step a log view starts with */
#define HEARTBEAT_MS 10000

/* ---- /events: live updates of the jobs table ---- */

typedef struct {
	kft__dash *d;
	uint64_t sent;         /* generation the browser has */
	kft__buf out;
	size_t off;
	int64_t last_ms;
} events_stream;

static void events_build(events_stream *es)
{
	kft__dash *d = es->d;
	kft__dash_snap *s;
	uint64_t since = es->sent;
	size_t i;
	int reload = 0;
	int64_t now = kft__now_ms();

	pthread_mutex_lock(&d->lock);
	if ((s = d->snap) != NULL)
		s->refs++;
	/* removals since the browser's generation; too old: it reloads */
	if (d->nremoved == KFT__DASH_MAX_REMOVED && d->removed[d->removed_head].gen > since + 1)
		reload = 1;
	for (i = 0; !reload && i < d->nremoved; i++) {
		size_t k = (d->removed_head + i) % KFT__DASH_MAX_REMOVED;

		if (d->removed[k].gen > since && d->removed[k].name) {
			kft__buf_puts(&es->out, "event: remove\ndata: ");
			kft__dash_put_json(&es->out, d->removed[k].name, strlen(d->removed[k].name));
			kft__buf_puts(&es->out, "\n\n");
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (!s)
		return;
	if (reload) {
		kft__buf_clear(&es->out);
		kft__buf_printf(&es->out, "event: reload\ndata: %llu\n\n", (unsigned long long)s->gen);
	} else {
		for (i = 0; i < s->n; i++) {
			kft__buf row = KFT__BUF_INIT;
			const kft__dash_entry *e = &s->v[i];

			if (e->gen <= since)
				continue;
			kft__dash_row(&row, e->job, e->history, now);
			/* one line: the row's HTML as a JSON string */
			kft__buf_puts(&es->out, "event: job\ndata: {\"name\":");
			kft__dash_put_json(&es->out, kft_job_name(e->job), strlen(kft_job_name(e->job)));
			kft__buf_puts(&es->out, ",\"status\":");
			kft__dash_put_json(&es->out, kft_job_status(e->job),
			                   strlen(kft_job_status(e->job)));
			kft__buf_puts(&es->out, ",\"row\":");
			kft__dash_put_json(&es->out, row.ptr ? row.ptr : "", row.len);
			kft__buf_puts(&es->out, "}\n\n");
			kft__buf_free(&row);
		}
	}
	kft__buf_printf(&es->out, "event: gen\ndata: %llu\n\n", (unsigned long long)s->gen);
	es->sent = s->gen;
	kft__dash_snap_put(d, s);
}

static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	events_stream *es = cls;
	kft__dash *d = es->d;
	size_t n;

	(void)pos;
	while (es->off >= es->out.len) {
		struct timespec ts;
		int64_t now;

		kft__buf_clear(&es->out);
		es->off = 0;
		if (d->stopping)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&d->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		if (d->gen <= es->sent && !d->stopping)
			pthread_cond_timedwait(&d->changed, &d->lock, &ts);
		n = d->gen > es->sent;
		pthread_mutex_unlock(&d->lock);
		if (n)
			events_build(es);
		now = kft__mono_ms();
		if (es->out.len == 0 && now - es->last_ms >= HEARTBEAT_MS)
			kft__buf_puts(&es->out, ": heartbeat\n\n");
		if (es->out.oom)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (es->out.len)
			es->last_ms = now;
	}
	n = es->out.len - es->off;
	if (n > max)
		n = max;
	memcpy(buf, es->out.ptr + es->off, n);
	es->off += n;
	return (ssize_t)n;
}

static void events_free(void *cls)
{
	events_stream *es = cls;

	kft__buf_free(&es->out);
	free(es);
}

enum MHD_Result kft__dash_serve_events(kft__dash *d, struct MHD_Connection *c)
{
	const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	events_stream *es = kft__calloc(1, sizeof(*es));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!es)
		return MHD_NO;
	es->d = d;
	es->sent = since ? strtoull(since, NULL, 10) : 0;
	if (last)
		es->sent = strtoull(last, NULL, 10);
	es->last_ms = kft__mono_ms();
	kft__buf_puts(&es->out, "retry: 1000\n\n");
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, events_read, es,
	                                      events_free);
	if (!r) {
		events_free(es);
		return MHD_NO;
	}
	kft__dash_secure_headers(r, "text/event-stream");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- /jobs/NAME/logs: a job's logs, followed, as server-sent events ---- */

typedef struct {
	kft__dash *d;
	char *name;
	int fd;                /* our end of the socketpair */
	int64_t last_ms;
	int history;
	kft__buf line;         /* a line split across chunks */
} log_stream;

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One event per chunk: {"s":step,"t":text}; lines past MAX_LINE are cut. */
static int log_event(log_stream *ls, const char *step, const char *chunk, size_t len)
{
	kft__buf ev = KFT__BUF_INIT, text = KFT__BUF_INIT;
	size_t i = 0;
	int r;

	while (i < len) {
		const char *nl = memchr(chunk + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - chunk - i) : len - i;

		if (l > MAX_LINE) {
			/* do not cut inside a UTF-8 sequence */
			size_t keep = MAX_LINE;

			while (keep > 0 && ((unsigned char)chunk[i + keep] & 0xc0) == 0x80)
				keep--;
			kft__buf_put(&text, chunk + i, keep);
			kft__buf_printf(&text, " \xe2\x80\xa6 [%zu bytes not shown]", l - keep);
		} else {
			kft__buf_put(&text, chunk + i, l);
		}
		if (nl)
			kft__buf_putc(&text, '\n');
		i += l + (nl ? 1 : 0);
	}
	kft__buf_puts(&ev, "data: {\"s\":");
	kft__dash_put_json(&ev, step, strlen(step));
	kft__buf_puts(&ev, ",\"t\":");
	kft__dash_put_json(&ev, text.ptr ? text.ptr : "", text.len);
	kft__buf_puts(&ev, "}\n\n");
	r = ev.oom || text.oom ? -1 : send_all(ls->fd, ev.ptr, ev.len);
	kft__buf_free(&ev);
	kft__buf_free(&text);
	return r;
}

static int log_cb(const char *chunk, size_t len, const char *step, void *payload)
{
	log_stream *ls = payload;
	int64_t now = kft__mono_ms();

	if (ls->d->stopping)
		return 1;
	if (len == 0) {
		if (now - ls->last_ms >= 2000) {
			ls->last_ms = now;
			return send_all(ls->fd, ": heartbeat\n\n", 13) < 0;
		}
		return 0;
	}
	ls->last_ms = now;
	return log_event(ls, step && *step ? step : "log", chunk, len) < 0;
}

static void history_log_cb(const char *step, const char *text, void *p)
{
	log_event(p, step, text, strlen(text));
}

static void *log_thread(void *arg)
{
	log_stream *ls = arg;
	kft__dash *d = ls->d;
	kft_client_t *client = NULL;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	int error = 0;

	if (ls->history) {
		kft__dash_history_logs(d->hist, ls->name, history_log_cb, ls);
	} else if ((error = kft_client_new(&client, &d->copts)) == 0) {
		lo.flags = KFT_LOGS_FOLLOW;
		lo.prefix = KFT_LOG_PREFIX_NEVER;
		lo.tail_lines = LOG_TAIL;
		error = kft_logs(client, ls->name, &lo, log_cb, ls);
	}
	if (error < 0 && error != KFT_EUSER) {
		kft__buf ev = KFT__BUF_INIT;
		const char *m = kft_error_last()->message;

		kft__buf_puts(&ev, "event: error\ndata: ");
		kft__dash_put_json(&ev, m ? m : "cannot read logs", m ? strlen(m) : 16);
		kft__buf_puts(&ev, "\n\n");
		if (!ev.oom)
			send_all(ls->fd, ev.ptr, ev.len);
		kft__buf_free(&ev);
	}
	send_all(ls->fd, "event: end\ndata: \n\n", 19);
	kft_client_free(client);
	close(ls->fd);
	free(ls->name);
	kft__buf_free(&ls->line);
	free(ls);
	pthread_mutex_lock(&d->lock);
	if (--d->streams == 0)
		pthread_cond_broadcast(&d->streams_done);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

enum MHD_Result kft__dash_serve_logs(kft__dash *d, struct MHD_Connection *c, const char *name)
{
	kft__dash_snap *s = kft__dash_snap_get(d);
	const kft__dash_entry *e = kft__dash_snap_find(s, name);
	log_stream *ls;
	struct MHD_Response *r;
	pthread_attr_t attr;
	pthread_t t;
	int sv[2], history = e ? e->history : 0, known = e != NULL;
	enum MHD_Result ret;

	kft__dash_snap_put(d, s);
	if (!known)
		return kft__dash_send_error(c, MHD_HTTP_NOT_FOUND, "no such job");
	pthread_mutex_lock(&d->lock);
	if (d->streams >= MAX_STREAMS || d->stopping) {
		pthread_mutex_unlock(&d->lock);
		return kft__dash_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many log streams");
	}
	d->streams++;
	pthread_mutex_unlock(&d->lock);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	if (!(ls = kft__calloc(1, sizeof(*ls))) || !(ls->name = kft__strdup(name))) {
		free(ls);
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	ls->d = d;
	ls->fd = sv[1];
	ls->history = history;
	ls->last_ms = kft__mono_ms();
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, log_thread, ls) != 0) {
		pthread_attr_destroy(&attr);
		close(sv[0]);
		close(sv[1]);
		free(ls->name);
		free(ls);
		goto fail;
	}
	pthread_attr_destroy(&attr);
	/* MHD reads our end and closes it; the thread sees EPIPE when the browser leaves */
	if (!(r = MHD_create_response_from_pipe(sv[0]))) {
		close(sv[0]);
		return MHD_NO;
	}
	kft__dash_secure_headers(r, "text/event-stream");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
fail:
	pthread_mutex_lock(&d->lock);
	if (--d->streams == 0)
		pthread_cond_broadcast(&d->streams_done);
	pthread_mutex_unlock(&d->lock);
	return kft__dash_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot start a log stream");
}
