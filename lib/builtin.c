/* Builtin trainer registry. SPDX-License-Identifier: Apache-2.0 */
#include "builtin.h"

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
