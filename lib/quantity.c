/*
 * Kubernetes quantities ("500m", "2", "1.5Gi", "1e3"), one parser for the core
 * and the backends: validation, the plan compiler's CPU and GPU counts, the
 * TorchTune trainer, and the container backend's limits.
 * Grammar (k8s.io/apimachinery resource.Quantity):
 *   [+-] (digits [. digits] | . digits) [ Ki|Mi|Gi|Ti|Pi|Ei | n|u|m|k|M|G|T|P|E | e[+-]digits ]
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *sfx;
	double mult;
} units[] = {
	{ "", 1 }, { "n", 1e-9 }, { "u", 1e-6 }, { "m", 1e-3 }, { "k", 1e3 }, { "M", 1e6 },
	{ "G", 1e9 }, { "T", 1e12 }, { "P", 1e15 }, { "E", 1e18 }, { "Ki", 1024.0 },
	{ "Mi", 1048576.0 }, { "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
	{ "Pi", 1125899906842624.0 }, { "Ei", 1152921504606846976.0 },
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The end of "digits [. digits] | . digits" at p, or NULL. */
static const char *decimal_end(const char *p)
{
	const char *q = p;

	while (is_digit(*q))
		q++;
	if (*q == '.') {
		const char *f = ++q;

		while (is_digit(*q))
			q++;
		if (q == f && q - 1 == p)   /* "." alone */
			return NULL;
	} else if (q == p) {
		return NULL;
	}
	return q;
}

int kft__quantity_value(double *out, const char *s)
{
	const char *p = s;
	double mult = 0, v;
	size_t i;

	*out = 0;
	if (!s)
		return -1;
	if (*p == '+' || *p == '-')
		p++;
	if (!(p = decimal_end(p)))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(p, units[i].sfx)) {
			mult = units[i].mult;
			break;
		}
	if (mult == 0) {   /* an exponent: e[+-]digits */
		const char *e = p + 1;

		if (*p != 'e' && *p != 'E')
			return -1;
		if (*e == '+' || *e == '-')
			e++;
		if (!is_digit(*e))
			return -1;
		while (is_digit(*e))
			e++;
		if (*e)
			return -1;
		mult = 1;   /* strtod reads the exponent itself */
	}
	v = strtod(s, NULL) * mult;
	if (!(v == v && v - v == 0))   /* no libm: not NaN, not infinite */
		return -1;
	*out = v;
	return 0;
}

int kft__quantity_valid(const char *s)
{
	double v;

	return kft__quantity_value(&v, s) == 0;
}

double kft__quantity_json(const cJSON *q)
{
	double v;

	if (cJSON_IsNumber(q))
		return q->valuedouble;
	if (cJSON_IsString(q) && kft__quantity_value(&v, q->valuestring) == 0)
		return v;
	return 0;
}

cJSON *kft__quantity_to_json(const char *q)
{
	int64_t v;

	if (kft__parse_i64(&v, q) == 0 && q[0] != '+' && !(q[0] == '0' && q[1]) &&
	    v > -(1LL << 53) && v < (1LL << 53))
		return cJSON_CreateNumber((double)v);
	return cJSON_CreateString(q);
}

int kft__quantity_parse(int64_t *out, const char *s, double scale, const char *what)
{
	double v, x;
	int64_t r;

	*out = 0;
	if (!s || *s == '-' || kft__quantity_value(&v, s) < 0)
		goto bad;
	x = v * scale - 1e-9;   /* no libm: round up */
	if (x > 9.0e18)
		goto bad;
	r = x < 0 ? 0 : (int64_t)x;
	if ((double)r < x)
		r++;
	*out = r;
	return 0;
bad:
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
	                      "%s: \"%s\" is not a valid quantity (e.g. 500m, 2, 1.5Gi, 512M)",
	                      what, s ? s : "");
}
