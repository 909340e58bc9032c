/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_TORCHTUNE_H
#define KFTRAINER_TORCHTUNE_H

#include "common.h"

KFT_BEGIN_DECL

/*
 * Kubeflow's BuiltinTrainer with a TorchTuneConfig: LLM fine-tuning (full,
 * LoRA, QLoRA, DoRA) on a torchtune-* runtime. Tri-state fields: KFT_UNSET
 * (or NULL, KFT_UNSET_DOUBLE) means "not set"; an explicit 0/false is sent.
 */
typedef struct {
	unsigned int version;                   /* KFT_TORCHTUNE_CONFIG_VERSION */
	const char *dtype;                      /* "bf16" or "fp32"; NULL unset */
	int64_t batch_size;                     /* >= 1 or KFT_UNSET */
	int64_t epochs;                         /* >= 1 or KFT_UNSET */
	const char *loss;                       /* NULL unset; "torchtune.modules.loss.CEWithChunkedOutputLoss" */
	int64_t num_nodes;                      /* KFT_UNSET: runtime's */
	const char *const *resource_keys;       /* resources per node (SDK aliases apply) */
	const char *const *resource_values;
	size_t nresources;
	/* PEFT (LoraConfig): lora = 1 turns it on */
	int lora;
	int apply_lora_to_mlp;                  /* KFT_UNSET, 0, 1 */
	int apply_lora_to_output;               /* KFT_UNSET, 0, 1 */
	const char *const *lora_attn_modules;   /* NULL: q_proj,v_proj,output_proj */
	size_t nlora_attn_modules;
	int64_t lora_rank;                      /* KFT_UNSET or >= 1 */
	int64_t lora_alpha;                     /* KFT_UNSET or >= 1 */
	double lora_dropout;                    /* KFT_UNSET_DOUBLE or [0, 1) */
	int quantize_base;                      /* QLoRA: KFT_UNSET, 0, 1 */
	int use_dora;                           /* DoRA: KFT_UNSET, 0, 1 */
	/* instruct dataset (TorchTuneInstructDataset): instruct_dataset = 1 turns it on */
	int instruct_dataset;
	const char *dataset_source;             /* json, csv, parquet, arrow, text, xml */
	const char *dataset_split;              /* e.g. "train[:10%]" */
	int train_on_input;                     /* KFT_UNSET, 0, 1 */
	const char *new_system_prompt;
	const char *const *column_map_keys;
	const char *const *column_map_values;
	size_t ncolumn_map;
} kft_torchtune_config_t;
#define KFT_TORCHTUNE_CONFIG_VERSION 1
#define KFT_TORCHTUNE_CONFIG_INIT { KFT_TORCHTUNE_CONFIG_VERSION, NULL, KFT_UNSET, KFT_UNSET, NULL, \
	KFT_UNSET, NULL, NULL, 0, 0, KFT_UNSET, KFT_UNSET, NULL, 0, KFT_UNSET, KFT_UNSET, \
	KFT_UNSET_DOUBLE, KFT_UNSET, KFT_UNSET, 0, NULL, NULL, KFT_UNSET, NULL, NULL, NULL, 0 }
/** Fill cfg with the defaults of the given version (as KFT_TORCHTUNE_CONFIG_INIT). */
KFT_EXTERN int kft_torchtune_config_init(kft_torchtune_config_t *cfg, unsigned int version);

/**
 * Make spec a BuiltinTrainer TorchTune job: spec.trainer.command becomes
 * ["tune","run"] and args the SDK's key=value list (computed at render time,
 * since dataset paths depend on the dataset initializer).
 */
KFT_EXTERN int kft_spec_set_torchtune(kft_spec_t *spec, const kft_torchtune_config_t *cfg);

KFT_END_DECL
#endif
