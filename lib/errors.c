/* Thread-local last error. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KFT__ERRMSG_MAX 4096
#if defined(__GNUC__) && !defined(__clang__)   /* clang has no such warning */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

typedef struct {
	kft_error_t pub;
	char message[KFT__ERRMSG_MAX];
	char reason[128];
} kft__error_state;

static _Thread_local kft__error_state err_state;

const kft_error_t *kft_error_last(void)
{
	if (!err_state.pub.message)
		err_state.pub.message = err_state.message;
	return &err_state.pub;
}

void kft_error_clear(void)
{
	err_state.message[0] = '\0';
	err_state.pub.message = err_state.message;
	err_state.pub.klass = KFT_ERROR_CLASS_NONE;
	err_state.pub.http_status = 0;
	err_state.pub.reason = NULL;
}

int kft__error_vset(int code, int klass, const char *fmt, va_list ap)
{
	/* fmt may refer to the current message (kft__error_prefix): format into a copy. */
	char tmp[KFT__ERRMSG_MAX];

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	memcpy(err_state.message, tmp, sizeof(tmp));
	err_state.pub.message = err_state.message;
	err_state.pub.klass = klass;
	err_state.pub.http_status = 0;
	err_state.pub.reason = NULL;
	return code;
}

int kft__error_set(int code, int klass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kft__error_vset(code, klass, fmt, ap);
	va_end(ap);
	return code;
}

int kft_error_set_str(int code, int klass, const char *message)
{
	return kft__error_set(code, klass, "%s", message ? message : "");
}

int kft__error_os(int code, const char *fmt, ...)
{
	int saved = errno;
	char what[KFT__ERRMSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (saved == ENOMEM)
		code = KFT_ENOMEM;
	return kft__error_set(code, KFT_ERROR_CLASS_OS, "%s: %s", what, strerror(saved));
}

int kft__error_set_http(int code, int klass, int http_status, const char *reason,
                        const char *message)
{
	kft__error_set(code, klass, "%s", message ? message : "");
	err_state.pub.http_status = http_status;
	if (reason && *reason) {
		snprintf(err_state.reason, sizeof(err_state.reason), "%s", reason);
		err_state.pub.reason = err_state.reason;
	}
	return code;
}

void kft__error_set_reason(const char *reason)
{
	if (!reason || !*reason)
		return;
	snprintf(err_state.reason, sizeof(err_state.reason), "%s", reason);
	err_state.pub.reason = err_state.reason;
}

int kft__error_oom(void)
{
	return kft__error_set(KFT_ENOMEM, KFT_ERROR_CLASS_NOMEM, "out of memory");
}

void kft__error_prefix(const char *fmt, ...)
{
	char prefix[KFT__ERRMSG_MAX / 2];
	char old[KFT__ERRMSG_MAX];
	va_list ap;
	int klass = err_state.pub.klass;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err_state.message, sizeof(old));
	snprintf(err_state.message, sizeof(err_state.message), "%s: %s", prefix, old);
	err_state.pub.klass = klass;
}

const char *kft_strerror(int code)
{
	switch (code) {
	case KFT_OK: return "success";
	case KFT_ERROR: return "error";
	case KFT_ENOTFOUND: return "not found";
	case KFT_EEXISTS: return "already exists";
	case KFT_ETIMEOUT: return "timed out";
	case KFT_EAUTH: return "authentication or authorization failed";
	case KFT_EUSER: return "stopped by the caller";
	case KFT_ENOTSUPPORTED: return "not supported by this backend";
	case KFT_EVERSION: return "unsupported options version";
	case KFT_EINVALID: return "invalid argument or TrainJob";
	case KFT_EJOBFAILED: return "the job failed";
	case KFT_EUNAVAILABLE: return "backend unavailable";
	case KFT_ENOMEM: return "out of memory";
	default: return "unknown error code";
	}
}

int kft__versioned_init(void *out, const void *tmpl, size_t size, unsigned int version,
                        unsigned int max, const char *what)
{
	if (!out)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "invalid argument: the %s to initialize is NULL", what);
	if (version == 0 || version > max)
		return kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_INVALID,
		                      "unsupported %s version %u (this library knows up to %u)", what,
		                      version, max);
	memcpy(out, tmpl, size);
	*(unsigned int *)out = version;   /* every versioned struct starts with its version */
	return 0;
}

