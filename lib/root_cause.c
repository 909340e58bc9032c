/*
 * The root error of a failed step, from its log (pure: no I/O). A training
 * script that raises leaves a Python traceback; torchrun then adds its own
 * (ChildFailedError, "error_file: <N/A> ... To enable traceback see ...")
 * which names nothing useful. The root error is the exception line ("Type:
 * message") of the last traceback that is not torchrun's; without one, the
 * last non-empty lines. Lines may carry torchrun's "[default0]:" /
 * "[rank0]:" prefixes (--tee), which are dropped.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TRACEBACK "Traceback (most recent call last):"

/* Skip torchrun's "[default3]:" or "[rank3]:" prefix. */
static const char *strip_prefix(const char *p, const char *end)
{
	const char *q = p;

	if (q < end && *q == '[') {
		for (q++; q < end && isalnum((unsigned char)*q); q++)
			;
		if (q + 1 < end && q[0] == ']' && q[1] == ':')
			return q + 2;
	}
	return p;
}

/* torchrun's own summary exception, never the root cause. */
static int is_launcher_error(const char *p, size_t n)
{
	static const char *const names[] = { "ChildFailedError", "torch.distributed.elastic." };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (memmem(p, n, names[i], strlen(names[i])))
			return 1;
	return 0;
}

int kft__root_cause(char **out, const char *log, size_t len, int tail_lines)
{
	const char *p, *end, *found = NULL, *start;
	size_t found_len = 0;
	int in_tb = 0, lines = 0;

	KFT_ASSERT_ARG(out && (log || !len));
	*out = NULL;
	if (!log)
		log = "";   /* NULL + 0 is undefined behaviour */
	p = log;
	end = log + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		const char *s = strip_prefix(p, eol);
		size_t n = (size_t)(eol - s);

		while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
			n--;
		if (n >= strlen(TRACEBACK) && !memcmp(s, TRACEBACK, strlen(TRACEBACK))) {
			in_tb = 1;
		} else if (in_tb && n && s[0] != ' ' && s[0] != '\t') {
			/* the first unindented line after the frames: "Type: message" */
			if (!is_launcher_error(s, n)) {
				found = s;
				found_len = n;
			}
			in_tb = 0;
		}
		p = nl ? nl + 1 : end;
	}
	if (found) {
		KFT_CHECK_ALLOC(*out = kft__strndup(found, found_len > 1000 ? 1000 : found_len));
		return 1;
	}
	/* no traceback: the last tail_lines non-empty lines */
	start = end;
	while (start > log && lines < tail_lines) {
		const char *q = start;

		while (q > log && q[-1] == '\n')
			q--;
		if (q == log)
			break;
		while (q > log && q[-1] != '\n')
			q--;
		start = q;
		lines++;
	}
	while (len && end > start && end[-1] == '\n')
		end--;
	if (end - start > 2000)
		start = end - 2000;
	KFT_CHECK_ALLOC(*out = kft__strndup(start, (size_t)(end - start)));
	return 0;
}

/*
 * One line for a job's message from outside text: up to the first line break,
 * at most 1000 characters, control characters (C0, DEL, C1) and invalid UTF-8
 * as '?'. NULL when nothing printable is left.
 */
static char *one_line(const char *s)
{
	size_t n = strcspn(s, "\r\n"), i, chars;
	char *out;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return NULL;
	if (n > 4000)
		n = 4000;   /* 1000 characters are at most 4000 bytes */
	if (!(out = kft__strndup(s, n)))
		return NULL;
	for (i = 0; i < n;) {
		size_t k = kft__utf8_seq(out + i, n - i);

		if (k == 0) {   /* not UTF-8: one byte */
			out[i++] = '?';
			continue;
		}
		if (k == 1 && ((unsigned char)out[i] < 0x20 || out[i] == 0x7f))
			out[i] = '?';
		if (k == 2 && (unsigned char)out[i] == 0xc2 && (unsigned char)out[i + 1] < 0xa0)
			out[i] = out[i + 1] = '?';   /* C1 controls (CSI is one) */
		i += k;
	}
	out[kft__utf8_prefix(out, 1000, &chars)] = '\0';   /* valid UTF-8 now */
	return out;
}

int kft__root_cause_error_file(char **out, int64_t *timestamp, const char *text, size_t len)
{
	const cJSON *msg, *extra, *ts = NULL, *text_item = NULL, *stack = NULL;
	cJSON *doc;
	int found = 0;

	KFT_ASSERT_ARG(out && timestamp && (text || !len));
	*out = NULL;
	*timestamp = -1;
	if (len > KFT__ERROR_FILE_MAX)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "torchrun error file: larger than %d KiB",
		                      KFT__ERROR_FILE_MAX >> 10);
	if (!(doc = cJSON_ParseWithLength(text, len)) || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "torchrun error file: not a JSON object");
	}
	msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
	if (cJSON_IsObject(msg)) {
		/* {"message": {"message": "Type: text", "extraInfo": {"py_callstack", "timestamp"}}} */
		text_item = cJSON_GetObjectItemCaseSensitive(msg, "message");
		extra = cJSON_GetObjectItemCaseSensitive(msg, "extraInfo");
		if (cJSON_IsObject(extra)) {
			stack = cJSON_GetObjectItemCaseSensitive(extra, "py_callstack");
			ts = cJSON_GetObjectItemCaseSensitive(extra, "timestamp");
		}
	} else {
		/* the newer flat form: {"message": "text", "timestamp": N} */
		text_item = msg;
		ts = cJSON_GetObjectItemCaseSensitive(doc, "timestamp");
	}
	if (cJSON_IsString(ts)) {
		int64_t v;

		if (kft__parse_i64(&v, ts->valuestring) == 0 && v >= 0)
			*timestamp = v;
	} else if (cJSON_IsNumber(ts) && ts->valuedouble >= 0 && ts->valuedouble < 1e15) {
		*timestamp = (int64_t)ts->valuedouble;
	}
	if (cJSON_IsString(text_item) && (*out = one_line(text_item->valuestring)) != NULL) {
		found = 1;
	} else if (cJSON_IsString(stack)) {
		/* no message: the exception line at the end of the traceback */
		char *line = NULL;
		int r = kft__root_cause(&line, stack->valuestring, strlen(stack->valuestring), 1);

		if (r == 1 && line && (*out = one_line(line)) != NULL)
			found = 1;
		free(line);
		if (r < 0) {
			cJSON_Delete(doc);
			return r;
		}
	}
	cJSON_Delete(doc);
	return found;
}

int kft__root_cause_is_peer_error(const char *line)
{
	/* what a rank reports when another rank died first: not a root cause */
	static const char *const marks[] = {
		"Connection closed by peer", "Connection reset by peer", "DistNetworkError",
		"DistBackendError", "gloo/transport", "NCCL communicator was aborted", "Broken pipe",
		"ProcessGroupGloo", "ProcessGroupNCCL", "ORTE has lost communication",
		"mpirun noticed that process"
	};
	size_t i;

	for (i = 0; line && i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(line, marks[i]))
			return 1;
	return 0;
}
