/*
 * TorchTune builtin trainer. PLACEHOLDER until the builtin-trainer issue
 * lands: setting a config is refused with KFT_ENOTSUPPORTED.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "builtin.h"

#include <string.h>

static int tt_serves(const kft_runtime_t *rt)
{
	return kft__streq(kft_runtime_framework(rt), "torchtune");
}

static int tt_to_trainer(cJSON *trainjob, const cJSON *config, const kft_runtime_t *rt)
{
	return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
	                      "TorchTune configs are not implemented yet");
}

static int tt_validate(const cJSON *trainjob, const kft_runtime_t *rt)
{
	return 0;
}

static int tt_matches(const cJSON *trainjob)
{
	const cJSON *cmd = kft__json_path(trainjob, "spec.trainer.command");

	return cJSON_GetArraySize(cmd) == 2 &&
	       kft__streq(cJSON_GetArrayItem(cmd, 0)->valuestring, "tune") &&
	       kft__streq(cJSON_GetArrayItem(cmd, 1)->valuestring, "run");
}

const kft__builtin_trainer kft__builtin_torchtune = {
	"torchtune", tt_serves, tt_to_trainer, tt_validate, tt_matches, NULL, NULL, NULL
};

int kft_torchtune_config_init(kft_torchtune_config_t *cfg, unsigned int version)
{
	kft_torchtune_config_t tmpl = KFT_TORCHTUNE_CONFIG_INIT;

	KFT_ASSERT_ARG(cfg);
	if (version == 0 || version > KFT_TORCHTUNE_CONFIG_VERSION)
		return kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_INVALID,
		                      "unsupported kft_torchtune_config_t version %u", version);
	*cfg = tmpl;
	cfg->version = version;
	return 0;
}

int kft_spec_set_torchtune(kft_spec_t *spec, const kft_torchtune_config_t *cfg)
{
	KFT_ASSERT_ARG(spec && cfg);
	return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
	                      "TorchTune configs are not implemented yet");
}
