/*
 * --code-dir ignore rules: secrets never shipped, .gitignore / .kftignore (nested)
 * (lib/codeignore.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_CODEIGNORE_H
#define KFT_CODEIGNORE_H

#include "internal.h"

typedef struct kft__ignore kft__ignore;

/* Bounds on what ignore files may ask for (lib/codeignore.c). */
#define KFT__IGNORE_MAX_PATTERNS 100000   /* in all the files in force at once */
#define KFT__IGNORE_MAX_PATTERN  4096     /* bytes in one pattern */
#define KFT__IGNORE_MAX_DEPTH    128      /* directory levels below the code directory */

/** An empty rule set, to be pushed on while walking the code directory. */
int kft__ignore_new(kft__ignore **out);
/**
 * Entering root/rel ("" for root itself): its .gitignore and .kftignore now
 * apply below it. Each push is undone by one kft__ignore_pop. On failure
 * (a bound, an unreadable file) nothing was pushed.
 */
int kft__ignore_push(kft__ignore *ig, const char *root, const char *rel);
/** The same with the rules given as text (file names the text in errors; may be NULL if text is). */
int kft__ignore_push_text(kft__ignore *ig, const char *rel, const char *text, size_t len,
                          const char *file);
/** Leaving the directory last pushed. */
void kft__ignore_pop(kft__ignore *ig);
/**
 * 1 if relpath (relative to the code directory) is ignored by the rules in
 * force, 0 if not; KFT_EINVALID when a pattern is too costly to match.
 */
int kft__ignore_match(const kft__ignore *ig, const char *relpath, int is_dir);
/** 1 if path matches the glob as git's wildmatch does with WM_PATHNAME, 0 if
 *  not, -1 when the match would take more than a bounded number of steps. */
int kft__ignore_glob(const char *pattern, const char *path);
void kft__ignore_free(kft__ignore *ig);
/** Why name (at full) is a secret never shipped, or NULL. full may be NULL (name only). */
const char *kft__ignore_secret(const char *name, const char *full, int is_dir);

#endif
