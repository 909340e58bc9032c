/* Builtin trainer registry. SPDX-License-Identifier: Apache-2.0 */
#include "builtin.h"

#include <stdlib.h>

extern const kft__builtin_trainer kft__builtin_torchtune;

/* One line per builtin trainer. */
static const kft__builtin_trainer *const trainers[] = {
	&kft__builtin_torchtune,
	NULL
};

const kft__builtin_trainer *kft__builtin_find(const char *name)
{
	size_t i;

	for (i = 0; trainers[i]; i++)
		if (kft__streq(trainers[i]->name, name))
			return trainers[i];
	return NULL;
}

const kft__builtin_trainer *kft__builtin_for_runtime(const kft_runtime_t *rt)
{
	size_t i;

	for (i = 0; rt && trainers[i]; i++)
		if (trainers[i]->serves(rt))
			return trainers[i];
	return NULL;
}

const kft__builtin_trainer *kft__builtin_for_doc(const cJSON *trainjob)
{
	size_t i;

	for (i = 0; trainers[i]; i++)
		if (trainers[i]->matches(trainjob))
			return trainers[i];
	return NULL;
}

int kft__builtin_check_local_tools(const cJSON *trainjob)
{
	const kft__builtin_trainer *bt = kft__builtin_for_doc(trainjob);
	size_t i;

	for (i = 0; bt && bt->local_tools && bt->local_tools[i]; i++) {
		char *p = kft__which(bt->local_tools[i]);

		if (!p)
			return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONFIG,
			                      "the %s builtin trainer runs \"%s\", which is not installed "
			                      "(not found on PATH): %s", bt->name, bt->local_tools[i],
			                      bt->local_tools_hint ? bt->local_tools_hint :
			                      "install it first");
		free(p);
	}
	return 0;
}
