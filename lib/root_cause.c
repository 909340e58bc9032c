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

#include <ctype.h>
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
	const char *p = log, *end = log + len, *found = NULL, *start;
	size_t found_len = 0;
	int in_tb = 0, lines = 0;

	KFT_ASSERT_ARG(out && (log || !len));
	*out = NULL;
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
