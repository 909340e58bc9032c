/*
 * TorchTune builtin trainer: config -> spec.trainer (the Python SDK's exact
 * args), bad input, Trainer's webhook rules, and the controller's
 * recipe/config table for local runs.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "builtin.h"

#include <math.h>

extern const kft__builtin_trainer kft__builtin_torchtune;
#define TT (&kft__builtin_torchtune)

#define CE "torchtune.modules.loss.CEWithChunkedOutputLoss"

static kft_spec_t *new_spec(const char *runtime)
{
	kft_spec_t *s;

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, "tt"));
	ck_assert_kft_ok(kft_spec_set_runtime(s, runtime, NULL));
	return s;
}

static cJSON *finalize(const kft_spec_t *s)
{
	cJSON *doc;

	ck_assert_kft_ok(kft__spec_finalize(&doc, s, NULL));
	return doc;
}

/* spec.trainer of the finalized TrainJob, compact JSON; caller frees. */
static char *trainer_json(const kft_spec_t *s)
{
	cJSON *doc = finalize(s);
	char *out = cJSON_PrintUnformatted(kft__json_path(doc, "spec.trainer"));

	cJSON_Delete(doc);
	ck_assert_ptr_nonnull(out);
	return out;
}

static char *args_json(const kft_spec_t *s)
{
	cJSON *doc = finalize(s);
	char *out = cJSON_PrintUnformatted(kft__json_path(doc, "spec.trainer.args"));

	cJSON_Delete(doc);
	ck_assert_ptr_nonnull(out);
	return out;
}

#define ck_assert_json(got, want) do { char *g_ = (got); \
	ck_assert_msg(!strcmp(g_, (want)), "got  %s\nwant %s", g_, (want)); free(g_); } while (0)

/* ---- the SDK's worked examples (kubeflow-sdk.md §4.3), byte for byte ---- */

START_TEST(worked_example_1)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;

	c.num_nodes = 2;
	c.batch_size = 2;
	c.epochs = 2;
	c.loss = CE;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(trainer_json(s),
	               "{\"command\":[\"tune\",\"run\"],\"args\":[\"batch_size=2\",\"epochs=2\","
	               "\"loss=" CE "\"],\"numNodes\":2}");
	kft_spec_free(s);
}
END_TEST

START_TEST(worked_example_2)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	const char *keys[] = { "input", "output" }, *vals[] = { "incorrect", "correct" };

	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET,
	                                          "hf://tatsu-lab/alpaca/data"));
	c.dtype = "bf16";
	c.batch_size = 10;
	c.epochs = 10;
	c.loss = CE;
	c.lora = 1;
	c.lora_rank = 8;
	c.lora_alpha = 16;
	c.lora_dropout = 0.1;
	c.instruct_dataset = 1;
	c.dataset_source = "parquet";
	c.dataset_split = "train[:95%]";
	c.train_on_input = 1;
	c.new_system_prompt = "You are an AI assistant. ";
	c.column_map_keys = keys;
	c.column_map_values = vals;
	c.ncolumn_map = 2;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(trainer_json(s),
	               "{\"command\":[\"tune\",\"run\"],\"args\":[\"dtype=bf16\",\"batch_size=10\","
	               "\"epochs=10\",\"loss=" CE "\",\"dataset.data_dir=/workspace/dataset/data\","
	               "\"model.lora_rank=8\",\"model.lora_alpha=16\",\"model.lora_dropout=0.1\","
	               "\"model.lora_attn_modules=[q_proj,v_proj,output_proj]\","
	               "\"dataset=torchtune.datasets.instruct_dataset\",\"dataset.source=parquet\","
	               "\"dataset.split=train[:95%]\",\"dataset.train_on_input=True\","
	               "\"dataset.new_system_prompt=You are an AI assistant. \","
	               "\"dataset.column_map={'input': 'incorrect', 'output': 'correct'}\"]}");
	/* the config survives kft_spec_dup */
	{
		kft_spec_t *d;
		char *want = args_json(s);

		ck_assert_kft_ok(kft_spec_dup(&d, s));
		ck_assert_json(args_json(d), want);
		free(want);
		kft_spec_free(d);
	}
	kft_spec_free(s);
}
END_TEST

START_TEST(explicit_false_and_zero)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	const char *mods[] = { "q_proj", "k_proj" };

	c.apply_lora_to_mlp = 0;
	c.apply_lora_to_output = 0;
	c.lora_dropout = 0.0;
	c.quantize_base = 0;
	c.use_dora = 0;
	c.lora_attn_modules = mods;
	c.nlora_attn_modules = 2;
	c.train_on_input = 0;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(args_json(s),
	               "[\"model.apply_lora_to_mlp=False\",\"model.apply_lora_to_output=False\","
	               "\"model.lora_dropout=0.0\",\"model.quantize_base=False\","
	               "\"model.use_dora=False\",\"model.lora_attn_modules=[q_proj,k_proj]\","
	               "\"dataset=torchtune.datasets.instruct_dataset\","
	               "\"dataset.train_on_input=False\"]");
	kft_spec_free(s);
}
END_TEST

START_TEST(empty_config_and_flags)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c;

	ck_assert_kft_ok(kft_torchtune_config_init(&c, KFT_TORCHTUNE_CONFIG_VERSION));
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(trainer_json(s), "{\"command\":[\"tune\",\"run\"],\"args\":[]}");
	/* QLoRA and DoRA, the loss short name */
	c.quantize_base = 1;
	c.use_dora = 1;
	c.apply_lora_to_mlp = 1;
	c.loss = "CEWithChunkedOutputLoss";
	c.dtype = "fp32";
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(args_json(s),
	               "[\"dtype=fp32\",\"loss=" CE "\",\"model.apply_lora_to_mlp=True\","
	               "\"model.quantize_base=True\",\"model.use_dora=True\","
	               "\"model.lora_attn_modules=[q_proj,v_proj,output_proj]\"]");
	kft_spec_free(s);
}
END_TEST

/* Python's repr(float) for lora_dropout. */
START_TEST(float_repr)
{
	static const struct { double v; const char *repr; } cases[] = {
		{ 0.1, "0.1" }, { 0.05, "0.05" }, { 0.3, "0.3" }, { 0.5, "0.5" },
		{ 0.0001, "0.0001" }, { 0.00001, "1e-05" }, { 0.000015, "1.5e-05" },
		{ 1.0 / 3.0, "0.3333333333333333" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ 0.123456789, "0.123456789" }, { 0.999, "0.999" }, { 1e-300, "1e-300" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
		kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
		char want[128];

		c.lora_dropout = cases[i].v;
		ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
		snprintf(want, sizeof(want), "[\"model.lora_dropout=%s\",\"model.lora_attn_modules="
		         "[q_proj,v_proj,output_proj]\"]", cases[i].repr);
		ck_assert_json(args_json(s), want);
		kft_spec_free(s);
	}
}
END_TEST

/* repr(dict) quoting as Python does it. */
START_TEST(column_map_repr)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	const char *keys[] = { "it's", "a\\b", "tab\tx" };
	const char *vals[] = { "say \"hi\"", "both ' and \"", "caf\xc3\xa9" };
	cJSON *doc;

	c.column_map_keys = keys;
	c.column_map_values = vals;
	c.ncolumn_map = 3;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	doc = finalize(s);
	ck_assert_str_eq(cJSON_GetArrayItem(kft__json_path(doc, "spec.trainer.args"), 1)->valuestring,
	                 "dataset.column_map={\"it's\": 'say \"hi\"', 'a\\\\b': 'both \\' and \"', "
	                 "'tab\\tx': 'caf\xc3\xa9'}");
	cJSON_Delete(doc);
	kft_spec_free(s);
}
END_TEST

/* dataset.data_dir / data_files from the hf:// dataset initializer. */
START_TEST(dataset_paths)
{
	static const struct { const char *uri, *arg; } cases[] = {
		{ "hf://tatsu-lab/alpaca", "dataset.data_dir=/workspace/dataset/." },
		{ "hf://tatsu-lab/alpaca/", "dataset.data_dir=/workspace/dataset/." },
		{ "hf://tatsu-lab/alpaca/data", "dataset.data_dir=/workspace/dataset/data" },
		{ "hf://org/repo/data/train", "dataset.data_dir=/workspace/dataset/data/train" },
		{ "hf://org/repo/data/train.json",
		  "dataset.data_files=/workspace/dataset/data/train.json" },
		{ "hf://org/repo/v1.0/x", "dataset.data_files=/workspace/dataset/v1.0/x" },
		{ "hf://org/repo/data?rev=main", "dataset.data_dir=/workspace/dataset/data" },
		{ "s3://bucket/data", NULL },
		{ NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
		kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
		char want[256];

		if (cases[i].uri)
			ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET,
			                                          cases[i].uri));
		c.epochs = 1;
		ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
		if (cases[i].arg)
			snprintf(want, sizeof(want), "[\"epochs=1\",\"%s\"]", cases[i].arg);
		else
			snprintf(want, sizeof(want), "[\"epochs=1\"]");
		ck_assert_json(args_json(s), want);
		kft_spec_free(s);
	}
}
END_TEST

START_TEST(resources_aliases)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	const char *k1[] = { "gpu", "CPU", "Memory" }, *v1[] = { "4", "5", "10G" };
	const char *k2[] = { "MiG-1G.5GB", "cpu" }, *v2[] = { "2", "500m" };
	const char *k3[] = { "mig-1g.5gb", "nvidia.com/mig-2g.10gb" }, *v3[] = { "1", "1" };
	const char *k4[] = { "gpu", "mig-1g.5gb" }, *v4[] = { "1", "1" };
	const char *k5[] = { "example.com/Custom-NPU" }, *v5[] = { "1" };

	c.resource_keys = k1;
	c.resource_values = v1;
	c.nresources = 3;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(trainer_json(s),
	               "{\"command\":[\"tune\",\"run\"],\"args\":[],\"resourcesPerNode\":{"
	               "\"limits\":{\"nvidia.com/gpu\":4,\"cpu\":5,\"memory\":\"10G\"},"
	               "\"requests\":{\"nvidia.com/gpu\":4,\"cpu\":5,\"memory\":\"10G\"}}}");
	c.resource_keys = k2;
	c.resource_values = v2;
	c.nresources = 2;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(trainer_json(s),
	               "{\"command\":[\"tune\",\"run\"],\"args\":[],\"resourcesPerNode\":{"
	               "\"limits\":{\"cpu\":\"500m\",\"nvidia.com/mig-1g.5gb\":2},"
	               "\"requests\":{\"cpu\":\"500m\",\"nvidia.com/mig-1g.5gb\":2}}}");
	c.resource_keys = k5;
	c.resource_values = v5;
	c.nresources = 1;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(trainer_json(s),
	               "{\"command\":[\"tune\",\"run\"],\"args\":[],\"resourcesPerNode\":{"
	               "\"limits\":{\"example.com/Custom-NPU\":1},"
	               "\"requests\":{\"example.com/Custom-NPU\":1}}}");
	c.resource_keys = k3;
	c.resource_values = v3;
	c.nresources = 2;
	ck_assert_kft_error(kft_spec_set_torchtune(s, &c), KFT_EINVALID,
	                    "Multiple MIG resource types are not supported");
	c.resource_keys = k4;
	c.resource_values = v4;
	ck_assert_kft_error(kft_spec_set_torchtune(s, &c), KFT_EINVALID,
	                    "GPU (nvidia.com/gpu) and MIG (nvidia.com/mig-1g.5gb) cannot be "
	                    "requested together");
	kft_spec_free(s);
}
END_TEST

/* ---- bad input: each rejected with a message naming the field ---- */

START_TEST(bad_input)
{
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	kft_torchtune_config_t c;
	const char *mods_comma[] = { "q_proj,v_proj" }, *mods_empty[] = { "" };
	const char *dup_k[] = { "input", "input" }, *dup_v[] = { "a", "b" };
	const char *eq_k[] = { "in=put" }, *eq_v[] = { "x" }, *eqv_v[] = { "a=b" };

#define RESET() ck_assert_kft_ok(kft_torchtune_config_init(&c, KFT_TORCHTUNE_CONFIG_VERSION))
#define BAD(field_set, needle) do { RESET(); field_set; \
	ck_assert_kft_error(kft_spec_set_torchtune(s, &c), KFT_EINVALID, needle); } while (0)

	BAD(c.dtype = "fp16", "dtype: expected bf16 or fp32, got \"fp16\"");
	BAD(c.dtype = "BF16", "dtype: expected bf16 or fp32");
	BAD(c.batch_size = 0, "batch_size: must be a positive integer (at least 1), got 0");
	BAD(c.batch_size = -4, "batch_size: must be a positive integer (at least 1), got -4");
	BAD(c.epochs = 0, "epochs: must be a positive integer (at least 1), got 0");
	BAD(c.epochs = -1, "epochs: must be a positive integer");
	BAD(c.lora_rank = 0, "lora_rank: must be a positive integer (at least 1), got 0");
	BAD(c.lora_rank = -8, "lora_rank: must be a positive integer");
	BAD(c.lora_alpha = 0, "lora_alpha: must be a positive integer (at least 1), got 0");
	BAD(c.num_nodes = 0, "num_nodes: must be a positive integer");
	BAD(c.lora_dropout = -0.1, "lora_dropout: must be in [0, 1), got -0.1");
	BAD(c.lora_dropout = 1.0, "lora_dropout: must be in [0, 1), got 1");
	BAD(c.lora_dropout = 1.5, "lora_dropout: must be in [0, 1)");
	BAD(c.lora_dropout = NAN, "lora_dropout: must be in [0, 1)");
	BAD(c.dataset_source = "yaml", "dataset_source: expected one of json, csv, parquet, arrow, "
	    "text, xml, got \"yaml\"");
	BAD(c.dataset_split = "train=x", "dataset_split: must not contain '='");
	BAD(c.dataset_split = "", "dataset_split: must not be empty");
	BAD(c.new_system_prompt = "a=b", "new_system_prompt: must not contain '='");
	BAD(c.loss = "x=y", "loss: must not contain '='");
	BAD(c.loss = "", "loss: must not be empty");
	BAD((c.column_map_keys = eq_k, c.column_map_values = eq_v, c.ncolumn_map = 1),
	    "column_map key: must not contain '='");
	BAD((c.column_map_keys = eq_v, c.column_map_values = eqv_v, c.ncolumn_map = 1),
	    "column_map value: must not contain '='");
	BAD((c.column_map_keys = dup_k, c.column_map_values = dup_v, c.ncolumn_map = 2),
	    "column_map: duplicate key \"input\"");
	BAD((c.lora_attn_modules = mods_comma, c.nlora_attn_modules = 1),
	    "lora_attn_modules: \"q_proj,v_proj\": a module name must not contain");
	BAD((c.lora_attn_modules = mods_empty, c.nlora_attn_modules = 1),
	    "lora_attn_modules: a module name must not be NULL or empty");
	BAD(c.apply_lora_to_mlp = 2, "apply_lora_to_mlp: expected 0, 1 or KFT_UNSET, got 2");
	BAD(c.train_on_input = -1, "train_on_input: expected 0, 1 or KFT_UNSET, got -1");
	BAD(c.quantize_base = 7, "quantize_base: expected 0, 1 or KFT_UNSET");
	BAD(c.lora = 5, "lora: expected 0 or 1, got 5");
	BAD(c.instruct_dataset = 2, "instruct_dataset: expected 0 or 1, got 2");
	RESET();
	c.lora = KFT_UNSET;            /* the switches read KFT_UNSET as off */
	c.instruct_dataset = KFT_UNSET;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_json(args_json(s), "[]");
	RESET();
	c.version = 99;
	ck_assert_kft_error(kft_spec_set_torchtune(s, &c), KFT_EVERSION,
	                    "kft_torchtune_config_t version 99");
	ck_assert_kft_error(kft_torchtune_config_init(&c, 0), KFT_EVERSION, "version 0");
	ck_assert_kft_error(kft_spec_set_torchtune(s, NULL), KFT_EINVALID, "invalid argument");
	kft_spec_free(s);
#undef BAD
#undef RESET
}
END_TEST

/* As the SDK: BuiltinTrainer on a custom runtime; a custom command with a config. */
START_TEST(wrong_trainer_kind)
{
	kft_spec_t *s = new_spec("torch-distributed");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	const char *cmd[] = { "python", "train.py" };
	char *out = NULL;
	cJSON *doc;

	c.epochs = 1;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_kft_error(kft_spec_render(&out, s, NULL), KFT_EINVALID,
	                    "BuiltinTrainer can't be used with torch-distributed runtime");
	ck_assert_ptr_null(out);
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "BuiltinTrainer can't be used with torch-distributed runtime");
	ck_assert_kft_error(kft__spec_finalize(&doc, s, NULL), KFT_EINVALID,
	                    "BuiltinTrainer can't be used with torch-distributed runtime");
	kft_spec_free(s);

	s = new_spec("torchtune-llama3.2-1b");
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	ck_assert_kft_error(kft_spec_render(&out, s, NULL), KFT_EINVALID,
	                    "can't be combined with a custom command (CustomTrainer)");
	kft_spec_free(s);
}
END_TEST

/* ---- Trainer's TorchTune webhook rules ---- */

/* Finalize spec and run the vtable's validate (runtime from the catalog, if there). */
static int webhook(const kft_spec_t *s)
{
	kft_runtime_t *rt = NULL;
	cJSON *doc = finalize(s);
	int rc;

	if (kft__catalog_get(&rt, NULL, kft_spec_runtime_name(s)) < 0)
		rt = NULL;
	ck_assert_int_eq(TT->matches(doc), 1);
	rc = TT->validate(doc, rt);
	cJSON_Delete(doc);
	kft_runtime_free(rt);
	return rc;
}

static kft_spec_t *tt_spec(const char *runtime, int lora, int qlora, int64_t nodes,
                           const char *gpus)
{
	kft_spec_t *s = new_spec(runtime);
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;

	c.lora = lora;
	if (qlora)
		c.quantize_base = 1;
	c.num_nodes = nodes;
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	if (gpus)
		ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", gpus));
	return s;
}

START_TEST(webhook_models)
{
	static const char *ok[] = { "torchtune-llama3.2-1b", "torchtune-llama3.2-3b",
		"torchtune-qwen2.5-1.5b", "torchtune-llama3.3-70b" };
	kft_spec_t *s;
	size_t i;

	for (i = 0; i < 4; i++) {
		s = tt_spec(ok[i], 0, 0, KFT_UNSET, NULL);
		ck_assert_kft_ok(webhook(s));
		kft_spec_free(s);
	}
	s = tt_spec("torchtune-llama3.1-70b", 0, 0, KFT_UNSET, NULL);
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "spec.runtimeRef.name: Invalid value: \"torchtune-llama3.1-70b\": "
	                    "must have a supported pretrained model, invalid model configured: "
	                    "llama3_1/70B");
	kft_spec_free(s);
	/* not exactly three '-' parts: no model at all */
	s = tt_spec("my-torchtune-llama3.2-1b", 0, 0, KFT_UNSET, NULL);
	ck_assert_kft_error(webhook(s), KFT_EINVALID, "invalid model configured: ");
	kft_spec_free(s);
}
END_TEST

START_TEST(webhook_nodes_and_lora)
{
	kft_spec_t *s;

	s = tt_spec("torchtune-llama3.2-1b", 0, 0, 2, NULL);
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "spec.trainer.numNodes: Invalid value: 2: must be 1 for llama3_2/1B "
	                    "model");
	kft_spec_free(s);
	s = tt_spec("torchtune-qwen2.5-1.5b", 0, 0, 3, NULL);
	ck_assert_kft_error(webhook(s), KFT_EINVALID, "must be 1 for qwen2_5/1.5B model");
	kft_spec_free(s);
	/* the 70B model may use several nodes, but not with LoRA or QLoRA */
	s = tt_spec("torchtune-llama3.3-70b", 0, 0, 2, "8");
	ck_assert_kft_ok(webhook(s));
	kft_spec_free(s);
	s = tt_spec("torchtune-llama3.3-70b", 1, 0, 2, "8");
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "LoRA fine-tuning is not supported for multi-node training in TorchTune");
	kft_spec_free(s);
	s = tt_spec("torchtune-llama3.3-70b", 0, 1, 2, "8");
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "LoRA fine-tuning is not supported for multi-node training in TorchTune");
	kft_spec_free(s);
	/* numNodes set with kft_spec_set_num_nodes counts too */
	s = tt_spec("torchtune-llama3.2-3b", 1, 0, KFT_UNSET, NULL);
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 2));
	ck_assert_kft_error(webhook(s), KFT_EINVALID, "must be 1 for llama3_2/3B model");
	kft_spec_free(s);
}
END_TEST

START_TEST(webhook_qlora)
{
	kft_spec_t *s;

	/* QLoRA is single-device only on llama3.2: the runtime's 2 GPUs are refused */
	s = tt_spec("torchtune-llama3.2-1b", 1, 1, KFT_UNSET, NULL);
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "spec.trainer.numProcPerNode: Invalid value: \"auto\": must be auto or 1 "
	                    "for llama3_2/1B model when using QLoRA");
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "must have gpu resource with value 1 for llama3_2/1B model when using "
	                    "QLoRA");
	kft_spec_free(s);
	s = tt_spec("torchtune-llama3.2-3b", 1, 1, KFT_UNSET, "4");
	ck_assert_kft_error(webhook(s), KFT_EINVALID, "must be auto or 1 for llama3_2/3B model");
	kft_spec_free(s);
	/* one GPU: fine */
	s = tt_spec("torchtune-llama3.2-1b", 1, 1, KFT_UNSET, "1");
	ck_assert_kft_ok(webhook(s));
	kft_spec_free(s);
	/* numProcPerNode 1: fine too */
	s = tt_spec("torchtune-llama3.2-1b", 1, 1, KFT_UNSET, NULL);
	ck_assert_kft_ok(kft_spec_set_num_proc_per_node(s, 1));
	ck_assert_kft_ok(webhook(s));
	kft_spec_free(s);
	/* QLoRA not for qwen2.5, even on one GPU */
	s = tt_spec("torchtune-qwen2.5-1.5b", 1, 1, KFT_UNSET, "1");
	ck_assert_kft_error(webhook(s), KFT_EINVALID,
	                    "spec.runtimeRef.name: Invalid value: \"torchtune-qwen2.5-1.5b\": QLoRA "
	                    "is not supported for qwen2_5/1.5B model");
	kft_spec_free(s);
	/* DoRA switches QLoRA detection off: plain LoRA on qwen is fine */
	{
		kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;

		s = new_spec("torchtune-qwen2.5-1.5b");
		c.quantize_base = 1;
		c.use_dora = 1;
		ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
		ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", "1"));
		ck_assert_kft_ok(webhook(s));
		kft_spec_free(s);
	}
}
END_TEST

/* A raw TrainJob with command tune run and hand-written args. */
static int webhook_args(const char *const *args, size_t n)
{
	static const char *cmd[] = { "tune", "run" };
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	int rc;

	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	ck_assert_kft_ok(kft_spec_set_args(s, args, n));
	rc = webhook(s);
	kft_spec_free(s);
	return rc;
}

START_TEST(webhook_args_rules)
{
	static const char *keys[] = { "output_dir", "tokenizer.path", "checkpointer.checkpoint_dir",
		"tokenizer.merges_file" };
	const char *ok[] = { "epochs=1", "model.quantize_base=False", "~dataset.split" };
	const char *eq[] = { "epochs=1", "dataset.new_system_prompt=a=b" };
	size_t i;

	ck_assert_kft_ok(webhook_args(ok, 3));
	for (i = 0; i < 4; i++) {
		char arg[128], want[160];
		const char *a[] = { "epochs=1", arg };

		snprintf(arg, sizeof(arg), "%s=/tmp/x", keys[i]);
		snprintf(want, sizeof(want), "spec.trainer.args[1]: must not set immutable config \"%s\" "
		         "in trainer args; it is managed by the runtime", keys[i]);
		ck_assert_kft_error(webhook_args(a, 2), KFT_EINVALID, want);
	}
	ck_assert_kft_error(webhook_args(eq, 2), KFT_EINVALID,
	                    "spec.trainer.args[1]: Invalid value: \"dataset.new_system_prompt=a=b\": "
	                    "must be key=value with no '=' in the value");
	/* the '=' arriving through a dataset path is caught the same way */
	{
		kft_spec_t *s = tt_spec("torchtune-llama3.2-1b", 0, 0, KFT_UNSET, "1");

		ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET,
		                                          "hf://org/repo/a=b"));
		ck_assert_kft_error(webhook(s), KFT_EINVALID, "no '=' in the value");
		kft_spec_free(s);
	}
}
END_TEST

START_TEST(matches_only_tune_run)
{
	static const char *cmd[] = { "tune", "run", "x" };
	kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
	cJSON *doc;

	doc = finalize(s);
	ck_assert_int_eq(TT->matches(doc), 0);
	cJSON_Delete(doc);
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 3));
	doc = finalize(s);
	ck_assert_int_eq(TT->matches(doc), 0);
	ck_assert_ptr_null(kft__builtin_for_doc(doc));
	cJSON_Delete(doc);
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	doc = finalize(s);
	ck_assert_int_eq(TT->matches(doc), 1);
	ck_assert_ptr_eq(kft__builtin_for_doc(doc), TT);
	cJSON_Delete(doc);
	kft_spec_free(s);
	ck_assert_ptr_eq(kft__builtin_find("torchtune"), TT);
	ck_assert_ptr_null(kft__builtin_find("trl"));
}
END_TEST

/* The same rules through the public kft_spec_validate (lib/validate.c calls builtins). */
START_TEST(webhook_through_spec_validate)
{
	kft_spec_t *s;

	s = tt_spec("torchtune-llama3.2-1b", 1, 0, KFT_UNSET, "1");
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
	s = tt_spec("torchtune-llama3.2-1b", 0, 0, 2, NULL);
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must be 1 for llama3_2/1B model");
	kft_spec_free(s);
	s = tt_spec("torchtune-qwen2.5-1.5b", 1, 1, KFT_UNSET, "1");
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "QLoRA is not supported for qwen2_5/1.5B model");
	kft_spec_free(s);
	s = tt_spec("torchtune-llama3.2-3b", 1, 1, KFT_UNSET, NULL);
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must be auto or 1 for llama3_2/3B model when using QLoRA");
	kft_spec_free(s);
	{
		static const char *cmd[] = { "tune", "run" }, *args[] = { "output_dir=/x" };

		s = new_spec("torchtune-llama3.2-1b");
		ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
		ck_assert_kft_ok(kft_spec_set_args(s, args, 1));
		ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
		                    "must not set immutable config \"output_dir\"");
		kft_spec_free(s);
	}
}
END_TEST

/* ---- local runs: the controller's recipe/config table and final command ---- */

static char *local_line(const kft_spec_t *s, int64_t n, const char *p, int64_t g,
                        const char *ws)
{
	kft__strv argv = KFT__STRV_INIT;
	kft__buf line = KFT__BUF_INIT;
	kft_runtime_t *rt = NULL;
	cJSON *doc = finalize(s);
	size_t i;

	ck_assert_kft_ok(kft__catalog_get(&rt, NULL, kft_spec_runtime_name(s)));
	ck_assert_kft_ok(TT->local_command(&argv, doc, rt, n, p, g, "127.0.0.1:40123", ws));
	for (i = 0; i < argv.n; i++) {
		if (i)
			kft__buf_putc(&line, ' ');
		kft__buf_puts(&line, argv.v[i]);
	}
	ck_assert_ptr_null(argv.v[argv.n]);
	kft__strv_free(&argv);
	kft_runtime_free(rt);
	cJSON_Delete(doc);
	return kft__buf_detach(&line);
}

#define KEPT "output_dir=/workspace/output " \
	"tokenizer.path=/workspace/model/original/tokenizer.model " \
	"checkpointer.checkpoint_dir=/workspace/model"
#define LORA_ARGS "model.lora_attn_modules=[q_proj,v_proj,output_proj]"
#define QLORA_ARGS "model.quantize_base=True " LORA_ARGS

START_TEST(recipe_table)
{
	static const struct {
		int lora, qlora;
		int64_t n;
		const char *p;
		int64_t g;
		const char *want;
	} cases[] = {
		/* N==1 and (P is int 1 or G==1): single device */
		{ 0, 0, 1, "auto", 1, "tune run full_finetune_single_device --config "
		  "llama3_2/1B_full_single_device " KEPT },
		{ 0, 0, 1, "1", 0, "tune run full_finetune_single_device --config "
		  "llama3_2/1B_full_single_device " KEPT },
		{ 1, 0, 1, "auto", 1, "tune run lora_finetune_single_device --config "
		  "llama3_2/1B_lora_single_device " KEPT " " LORA_ARGS },
		{ 1, 1, 1, "1", 4, "tune run lora_finetune_single_device --config "
		  "llama3_2/1B_qlora_single_device " KEPT " " QLORA_ARGS },
		/* N==1, several devices: distributed, rdzv when P int > 1 or (auto and G > 1) */
		{ 1, 1, 1, "auto", 2, "tune run --rdzv_endpoint=127.0.0.1:40123 "
		  "lora_finetune_distributed --config llama3_2/1B_qlora " KEPT " " QLORA_ARGS },
		{ 1, 0, 1, "auto", 2, "tune run --rdzv_endpoint=127.0.0.1:40123 "
		  "lora_finetune_distributed --config llama3_2/1B_lora " KEPT " " LORA_ARGS },
		{ 0, 0, 1, "auto", 2, "tune run --rdzv_endpoint=127.0.0.1:40123 "
		  "full_finetune_distributed --config llama3_2/1B_full " KEPT },
		{ 0, 0, 1, "4", 0, "tune run --rdzv_endpoint=127.0.0.1:40123 "
		  "full_finetune_distributed --config llama3_2/1B_full " KEPT },
		/* auto with no GPU: no rdzv (the table's last row) */
		{ 0, 0, 1, "auto", 0, "tune run full_finetune_distributed --config "
		  "llama3_2/1B_full " KEPT },
		/* N > 1: multinode full fine-tuning, LoRA args ignored by the table */
		{ 0, 0, 2, "auto", 8, "tune run --rdzv_endpoint=127.0.0.1:40123 "
		  "full_finetune_distributed --config llama3_2/1B_full_multinode " KEPT },
		{ 1, 0, 2, "1", 1, "tune run --rdzv_endpoint=127.0.0.1:40123 "
		  "full_finetune_distributed --config llama3_2/1B_full_multinode " KEPT " " LORA_ARGS },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kft_spec_t *s = new_spec("torchtune-llama3.2-1b");
		kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
		char *line;

		c.lora = cases[i].lora;
		if (cases[i].qlora)
			c.quantize_base = 1;
		ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
		line = local_line(s, cases[i].n, cases[i].p, cases[i].g, "/workspace");
		ck_assert_msg(!strcmp(line, cases[i].want), "case %zu:\n got  %s\n want %s", i, line,
		              cases[i].want);
		free(line);
		kft_spec_free(s);
	}
}
END_TEST

/* Kept overrides only, /workspace mapped, the TrainJob's args after them. */
START_TEST(local_command_workspace)
{
	kft_spec_t *s = new_spec("torchtune-qwen2.5-1.5b");
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	char *line;

	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET,
	                                          "hf://tatsu-lab/alpaca/data"));
	c.epochs = 1;
	c.instruct_dataset = 1;
	c.dataset_source = "parquet";
	ck_assert_kft_ok(kft_spec_set_torchtune(s, &c));
	line = local_line(s, 1, "1", 0, "/tmp/ws dir");
	ck_assert_str_eq(line, "tune run full_finetune_single_device --config "
	                 "qwen2_5/1.5B_full_single_device output_dir=/tmp/ws dir/output "
	                 "tokenizer.path=/tmp/ws dir/model/vocab.json "
	                 "tokenizer.merges_file=/tmp/ws dir/model/merges.txt "
	                 "checkpointer.checkpoint_dir=/tmp/ws dir/model epochs=1 "
	                 "dataset.data_dir=/tmp/ws dir/dataset/data "
	                 "dataset=torchtune.datasets.instruct_dataset dataset.source=parquet");
	free(line);
	kft_spec_free(s);
	/* no model in the runtime name: refused */
	{
		kft__strv argv = KFT__STRV_INIT;
		cJSON *doc;

		s = new_spec("tune");
		ck_assert_kft_ok(kft_spec_set_command(s, (const char *[]){ "tune", "run" }, 2));
		doc = finalize(s);
		ck_assert_kft_error(TT->local_command(&argv, doc, NULL, 1, "1", 0, "127.0.0.1:1", "/w"),
		                    KFT_EINVALID, "cannot derive the model from runtime name \"tune\"");
		kft__strv_free(&argv);
		cJSON_Delete(doc);
		kft_spec_free(s);
	}
	ck_assert_str_eq(TT->local_tools[0], "tune");
	ck_assert_ptr_null(TT->local_tools[1]);
	ck_assert_ptr_nonnull(strstr(TT->local_tools_hint, "pip install torchtune"));
}
END_TEST

/* The TrainJob a torchtune spec renders to is the one the builtin registry serves. */
START_TEST(registry_serves)
{
	kft_runtime_t *rt;

	ck_assert_kft_ok(kft__catalog_get(&rt, NULL, "torchtune-llama3.2-3b"));
	ck_assert_ptr_eq(kft__builtin_for_runtime(rt), TT);
	kft_runtime_free(rt);
	ck_assert_kft_ok(kft__catalog_get(&rt, NULL, "torch-distributed"));
	ck_assert_ptr_null(kft__builtin_for_runtime(rt));
	kft_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("torchtune");
	TCase *tc = tcase_create("config");
	TCase *wh = tcase_create("webhook");
	TCase *lc = tcase_create("local");

	tcase_add_test(tc, worked_example_1);
	tcase_add_test(tc, worked_example_2);
	tcase_add_test(tc, explicit_false_and_zero);
	tcase_add_test(tc, empty_config_and_flags);
	tcase_add_test(tc, float_repr);
	tcase_add_test(tc, column_map_repr);
	tcase_add_test(tc, dataset_paths);
	tcase_add_test(tc, resources_aliases);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, wrong_trainer_kind);
	tcase_add_test(wh, webhook_models);
	tcase_add_test(wh, webhook_nodes_and_lora);
	tcase_add_test(wh, webhook_qlora);
	tcase_add_test(wh, webhook_args_rules);
	tcase_add_test(wh, matches_only_tune_run);
	tcase_add_test(wh, webhook_through_spec_validate);
	tcase_add_test(lc, recipe_table);
	tcase_add_test(lc, local_command_workspace);
	tcase_add_test(lc, registry_serves);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, wh);
	suite_add_tcase(s, lc);
	return s;
}

KFT_TEST_MAIN(make_suite)
