/* cJSON helpers and output formats. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

const cJSON *kft__json_get(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

const char *kft__json_str(const cJSON *obj, const char *key)
{
	const cJSON *it = kft__json_get(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

cJSON *kft__json_path(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		const cJSON *child;

		if (n >= sizeof(key) || !cJSON_IsObject(cur))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		child = NULL;
		for (child = cur->child; child; child = child->next)
			if (child->string && !strcmp(child->string, key))
				break;
		cur = child;
		p = dot ? dot + 1 : p + n;
	}
	return (cJSON *)cur;
}

cJSON *kft__json_path_mkobj(cJSON *root, const char *path)
{
	cJSON *cur = root;
	const char *p = path;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		cJSON *child;

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		child = cJSON_GetObjectItemCaseSensitive(cur, key);
		if (!cJSON_IsObject(child)) {
			cJSON *obj = cJSON_CreateObject();

			if (!obj)
				return NULL;
			/* ReplaceItemViaPointer would drop the key name: replace by key */
			if (child) {
				if (!cJSON_ReplaceItemInObjectCaseSensitive(cur, key, obj)) {
					cJSON_Delete(obj);
					return NULL;
				}
			} else {
				cJSON_AddItemToObject(cur, key, obj);
			}
			child = obj;
		}
		cur = child;
		p = dot ? dot + 1 : p + n;
	}
	return cur;
}

int kft__json_set(cJSON *obj, const char *key, cJSON *item)
{
	cJSON *old;

	if (!item)
		return kft__error_oom();
	old = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (old) {
		/* by key: cJSON_ReplaceItemViaPointer would leave item without its name */
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
			cJSON_Delete(item);
			return kft__error_oom();
		}
		return 0;
	}
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return kft__error_oom();
	}
	return 0;
}

int kft__json_set_str(cJSON *obj, const char *key, const char *value)
{
	return kft__json_set(obj, key, cJSON_CreateString(value));
}

int kft__render_doc(char **out, const cJSON *doc, int format)
{
	*out = NULL;
	if (format == KFT_FORMAT_JSON) {
		char *s = cJSON_Print(doc);
		size_t n;

		if (!s)
			return kft__error_oom();
		n = strlen(s);
		if ((*out = kft__malloc(n + 2)) == NULL) {
			free(s);
			return kft__error_oom();
		}
		memcpy(*out, s, n);
		(*out)[n] = '\n';
		(*out)[n + 1] = '\0';
		free(s);
		return 0;
	} else {
		kft__buf b = KFT__BUF_INIT;
		int error = kft__yaml_render(&b, doc);

		if (error < 0) {
			kft__buf_free(&b);
			return error;
		}
		if ((*out = kft__buf_detach(&b)) == NULL)
			return kft__error_oom();
		return 0;
	}
}
