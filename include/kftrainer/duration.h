/* Durations as people write them: "90s", "5m", "1h30m", "2d". SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_DURATION_H
#define KFTRAINER_DURATION_H

#include "common.h"

KFT_BEGIN_DECL

/**
 * Parse a duration: one or more NUMBER UNIT pairs, units ms, s, m, h, d
 * ("1h30m", "90s", "2d"), or a bare whole number of seconds ("600").
 * Negative, empty, overflowing or unknown-unit input is KFT_EINVALID, with
 * the rule in kft_error_last(). Reads exactly len bytes of s (no NUL needed;
 * len 0 is KFT_EINVALID, s unread), as every parser of the library.
 */
KFT_EXTERN int kft_duration_parse(int64_t *out_ms, const char *s, size_t len);

/**
 * Write a duration for people, kubectl style: "850ms", "45s", "3m12s", "2h5m",
 * "3d4h" (two units at most). Negative ms is "-". Returns the length written,
 * as snprintf (the text is cut to fit buf, which is always terminated).
 */
KFT_EXTERN int kft_duration_format(char *buf, size_t size, int64_t ms);

KFT_END_DECL
#endif
