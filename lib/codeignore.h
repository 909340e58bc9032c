/*
 * --code-dir ignore rules: secrets never shipped, .gitignore / .kftignore
 * (lib/codeignore.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_CODEIGNORE_H
#define KFT_CODEIGNORE_H

#include "internal.h"

typedef struct kft__ignore kft__ignore;

/** The rules of dir/.gitignore and dir/.kftignore (none: an empty set). */
int kft__ignore_load(kft__ignore **out, const char *dir);
/** 1 if relpath (relative to the code directory) is ignored by the rules. */
int kft__ignore_match(const kft__ignore *ig, const char *relpath, int is_dir);
void kft__ignore_free(kft__ignore *ig);
/** Why name (at full) is a secret never shipped, or NULL. full may be NULL (name only). */
const char *kft__ignore_secret(const char *name, const char *full, int is_dir);

#endif
