/*
 * Kubernetes backend micro-benchmarks against the fake API server, through the public
 * API only: 100 sequential kft_get_job on one client (TLS handshakes counted by the
 * server), and the time from a status change on the server to kft_wait returning.
 * Usage: bench_k8s KUBECONFIG PORT CA_FILE
 * (a bench tool, not the library: it may use a thread to change the status).
 * SPDX-License-Identifier: Apache-2.0
 */
#define _GNU_SOURCE
#include <kftrainer.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *ca;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	size_t *len = ud;
	char *dst = (char *)(len + 1);

	if (*len + s * n < 4000) {
		memcpy(dst + *len, p, s * n);
		*len += s * n;
		dst[*len] = '\0';
	}
	return s * n;
}

static CURL *warm;   /* a kept-alive control connection, so the POST itself is quick */

static long ctl(const char *method, const char *path, const char *body, char *out)
{
	CURL *h = warm ? warm : curl_easy_init();
	char url[512];
	long code = 0;
	size_t buf[1 + 4096 / sizeof(size_t)] = { 0 };
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");

	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, buf);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (out)
		strcpy(out, (char *)(buf + 1));
	if (h != warm)
		curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	return code;
}

static long stat_of(const char *key)
{
	char out[4096], *p;

	ctl("GET", "/_fake/stats", NULL, out);
	p = strstr(out, key);
	return p ? strtol(p + strlen(key) + 2, NULL, 10) : -1;
}

static double changed_at, posted_at;

static void *complete_later(void *arg)
{
	(void)arg;
	warm = curl_easy_init();
	ctl("GET", "/_fake/stats", NULL, NULL);   /* connect and handshake now */
	usleep(2000000);   /* let kft_wait relist and open its watches first */
	changed_at = now_ms();
	ctl("POST", "/_fake/trainjobs/default/bench-wait/status",
	    "{\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\",\"reason\":"
	    "\"AllJobsCompleted\",\"message\":\"jobset completed successfully\"}]}", NULL);
	posted_at = now_ms();
	curl_easy_cleanup(warm);
	warm = NULL;
	return NULL;
}

static int die(const char *what)
{
	fprintf(stderr, "bench_k8s: %s: %s\n", what, kft_error_last()->message);
	return 1;
}

int main(int argc, char **argv)
{
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c;
	kft_spec_t *s;
	kft_job_t *job = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	const char *cmd[] = { "python", "train.py" };
	long h0, h1;
	double t0, t1, best = 1e9, worst = 0, sum = 0, post_sum = 0;
	int i, r;
	pthread_t th;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_k8s KUBECONFIG PORT CA_FILE\n");
		return 2;
	}
	port = atoi(argv[2]);
	ca = argv[3];
	o.backend = "kubernetes";
	o.kubeconfig = argv[1];
	if (kft_client_new(&c, &o) < 0)
		return die("client");
	/* a job to read */
	kft_spec_new(&s);
	kft_spec_set_name(s, "bench-get");
	kft_spec_set_runtime(s, "torch-distributed", NULL);
	kft_spec_set_command(s, cmd, 2);
	kft_spec_set_num_nodes(s, 2);
	if (kft_train(NULL, c, s, NULL) < 0 && kft_error_last()->http_status != 409)
		return die("train");
	kft_spec_free(s);
	kft_client_free(c);

	/* 100 sequential gets on one fresh client */
	if (kft_client_new(&c, &o) < 0)
		return die("client");
	h0 = stat_of("\"tlsHandshakesTotal\"");
	t0 = now_ms();
	for (i = 0; i < 100; i++) {
		if (kft_get_job(&job, c, "bench-get") < 0)
			return die("get");
		kft_job_free(job);
	}
	t1 = now_ms();
	h1 = stat_of("\"tlsHandshakesTotal\"");
	/* two stat calls of our own lie between the readings (one handshake each, the first
	 * counted before its own reading) */
	printf("get100: %.1f ms total, %.2f ms per get (GET TrainJob + LIST pods), "
	       "TLS handshakes by kft: %ld\n", t1 - t0, (t1 - t0) / 100, h1 - h0 - 1);

	/* status change on the server -> kft_wait returns */
	for (r = 0; r < 5; r++) {
		double lat;

		kft_delete_job(c, "bench-wait", NULL);
		kft_spec_new(&s);
		kft_spec_set_name(s, "bench-wait");
		kft_spec_set_runtime(s, "torch-distributed", NULL);
		kft_spec_set_command(s, cmd, 2);
		kft_spec_set_annotation(s, "fake.kftrainer.dev/duration-ms", "600000");
		for (i = 0; i < 50 && kft_train(NULL, c, s, NULL) < 0; i++)
			usleep(100000);   /* the previous one may still be terminating */
		kft_spec_free(s);
		wo.want = KFT_WANT(KFT_JOB_RUNNING);
		wo.timeout_ms = 30000;
		if (kft_wait(NULL, c, "bench-wait", &wo) < 0)
			return die("wait Running");
		pthread_create(&th, NULL, complete_later, NULL);
		wo.want = KFT_WANT(KFT_JOB_COMPLETE);
		if (kft_wait(&job, c, "bench-wait", &wo) < 0)
			return die("wait Complete");
		t1 = now_ms();
		pthread_join(th, NULL);
		lat = t1 - changed_at;
		post_sum += posted_at - changed_at;
		sum += lat;
		best = lat < best ? lat : best;
		worst = lat > worst ? lat : worst;
		kft_job_free(job);
		job = NULL;
	}
	printf("wait: status change -> kft_wait returned: best %.1f ms, mean %.1f ms, worst %.1f ms "
	       "(5 runs; measured from the start of the control POST, which itself took %.1f ms "
	       "on average)\n", best, sum / 5, worst, post_sum / 5);
	kft_delete_job(c, "bench-wait", NULL);
	kft_client_free(c);
	return 0;
}
