/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_VERSION_H
#define KFTRAINER_VERSION_H

#include "common.h"

#define KFT_VERSION_MAJOR 0
#define KFT_VERSION_MINOR 1
#define KFT_VERSION_PATCH 0
#define KFT_VERSION_STRING "0.1.0"
#define KFT_VERSION_NUM ((KFT_VERSION_MAJOR << 16) | (KFT_VERSION_MINOR << 8) | KFT_VERSION_PATCH)

KFT_BEGIN_DECL

/** Run-time version as KFT_VERSION_NUM; bindings refuse to load below what they need. */
KFT_EXTERN int kft_version(void);
/** Run-time version as a static string such as "0.1.0". */
KFT_EXTERN const char *kft_version_string(void);

KFT_END_DECL
#endif
