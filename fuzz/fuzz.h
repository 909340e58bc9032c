/*
 * Shared by the libFuzzer harnesses (fuzz/<name>.c): each defines
 * LLVMFuzzerTestOneInput and is linked either with -fsanitize=fuzzer (make fuzz,
 * clang) or with fuzz/replay.c (make check, any compiler), which feeds it the
 * seed corpus and the regression inputs.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_FUZZ_H
#define KFT_FUZZ_H

#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the harness checks: abort (a crash for libFuzzer, a failure for replay). */
#define FUZZ_CHECK(cond, ...)                                                          \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: fuzz check failed: %s: ", __FILE__,    \
			        __LINE__, #cond);                                      \
			fprintf(stderr, __VA_ARGS__);                                  \
			fputc('\n', stderr);                                           \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* The input as a NUL-terminated string (inputs may hold NULs: len is the truth). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * A private directory for harnesses that need files (kubeconfig, store records,
 * archives): made once per process under $TMPDIR, removed at exit.
 */
const char *fuzz_dir(void);
/* Write data to fuzz_dir()/name; returns the path (static buffer). */
const char *fuzz_write(const char *name, const void *data, size_t size);
/* Remove everything under fuzz_dir() (not the directory itself). */
void fuzz_clear(void);
/*
 * Abort unless msg is safe for a terminal: no C0 control (not even a line break),
 * DEL or C1 control (U+0080-U+009F), and UTF-8 but for a sequence cut where
 * the error message was cut (its 4095th byte).
 */
void fuzz_check_terminal_safe(const char *msg);
/*
 * For the leak oracles: change every byte of the string values obj[keys[0..n)] (same
 * length, other bytes: Z becomes Y, the rest Z). 1 if one was there, else 0.
 */
int fuzz_flip_secrets(cJSON *obj, const char *const *keys, size_t n);

#endif
