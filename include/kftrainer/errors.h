/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_ERRORS_H
#define KFTRAINER_ERRORS_H

#include "common.h"

KFT_BEGIN_DECL

/** Error codes. The numbers never change; new codes are appended. */
typedef enum {
	KFT_OK = 0,
	KFT_ERROR = -1,           /* generic: read kft_error_last() */
	KFT_ENOTFOUND = -2,       /* job, runtime, context, file ... does not exist */
	KFT_EEXISTS = -3,         /* a job with that name already exists */
	KFT_ETIMEOUT = -4,        /* a deadline passed */
	KFT_EAUTH = -5,           /* 401/403, bad credentials */
	KFT_EUSER = -6,           /* never ours: for callbacks to return */
	KFT_ENOTSUPPORTED = -7,   /* the backend cannot do that */
	KFT_EVERSION = -8,        /* unknown options struct version */
	KFT_EINVALID = -9,        /* invalid argument or TrainJob; message names field and rule */
	KFT_EJOBFAILED = -10,     /* kft_wait: the job failed and Failed was not wanted */
	KFT_EUNAVAILABLE = -11,   /* backend unreachable: no engine, server down */
	KFT_ENOMEM = -12          /* out of memory */
} kft_error_code_t;

/** Where an error came from. */
typedef enum {
	KFT_ERROR_CLASS_NONE = 0,
	KFT_ERROR_CLASS_OS = 1,
	KFT_ERROR_CLASS_NOMEM = 2,
	KFT_ERROR_CLASS_INVALID = 3,
	KFT_ERROR_CLASS_PARSE = 4,
	KFT_ERROR_CLASS_K8S = 5,
	KFT_ERROR_CLASS_HTTP = 6,
	KFT_ERROR_CLASS_CONTAINER = 7,
	KFT_ERROR_CLASS_PROCESS = 8,
	KFT_ERROR_CLASS_STORE = 9,
	KFT_ERROR_CLASS_CONFIG = 10,
	KFT_ERROR_CLASS_CALLBACK = 11
} kft_error_class_t;

typedef struct {
	const char *message;  /* valid until the next failing call on this thread; never NULL */
	int klass;            /* kft_error_class_t */
	int http_status;      /* Status.code such as 409, else 0 */
	const char *reason;   /* Status.reason such as "AlreadyExists", else NULL */
} kft_error_t;

/** The last error of this thread; never NULL (message "" when none). */
KFT_EXTERN const kft_error_t *kft_error_last(void);
/** Forget this thread's last error. */
KFT_EXTERN void kft_error_clear(void);
/** Static text for an error code; never NULL. */
KFT_EXTERN const char *kft_strerror(int code);

KFT_END_DECL
#endif
