/*
 * TorchTune builtin trainer (Kubeflow's BuiltinTrainer + TorchTuneConfig).
 *
 * - kft_spec_set_torchtune() checks a kft_torchtune_config_t and stores it as
 *   JSON on the spec; tt_to_trainer() turns it into spec.trainer at render
 *   time (args depend on the dataset initializer), with the Python SDK's exact
 *   argument order and formatting (reference/kubeflow-sdk.md §4.3).
 * - tt_validate() is Trainer's TorchTune webhook (kubeflow-trainer.md §7.4).
 * - tt_local_command() is the controller's TorchTune mode (§7.2, §7.3) for
 *   local runs: recipe/config table, --rdzv_endpoint rule, kept overrides.
 *
 * Stored config JSON (internal, built only by this file):
 *   {"dtype": "bf16", "batch_size": 2, "epochs": 2, "loss": "...", "num_nodes": 2,
 *    "resources": {"nvidia.com/gpu": 4, ...},
 *    "peft": {"apply_lora_to_mlp": true, ..., "lora_dropout": 0.1, "quantize_base": false,
 *             "use_dora": false, "lora_attn_modules": ["q_proj", ...]},
 *    "dataset": {"source": "parquet", "split": "...", "train_on_input": true,
 *                "new_system_prompt": "...", "column_map": {"input": "incorrect"}}}
 * SPDX-License-Identifier: Apache-2.0
 */
#include "builtin.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TT_LOSS_CE "torchtune.modules.loss.CEWithChunkedOutputLoss"
#define TT_INSTRUCT "torchtune.datasets.instruct_dataset"
#define TT_DATASET_PATH "/workspace/dataset"

/* Keys the runtime owns: kept from its command, refused in TrainJob args (§7.3, §7.4). */
static const char *const kept_keys[] = {
	"output_dir", "tokenizer.path", "checkpointer.checkpoint_dir", "tokenizer.merges_file", NULL
};

static const char *const supported_models[] = {
	"llama3_2/1B", "llama3_2/3B", "llama3_3/70B", "qwen2_5/1.5B", NULL
};

static const char *const data_formats[] = {
	"json", "csv", "parquet", "arrow", "text", "xml", NULL
};

static int in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; s && list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* KFT_EINVALID of class INVALID with a message naming the field and the rule */
#define bad(...) kft__error_invalid(__VA_ARGS__)

/* ------------------------------------------------------------------------ */
/* Python formatting: repr() of floats, strings and dicts, bools as True/False */

/*
 * repr(float): the shortest digits that read back to the same double, fixed
 * notation for decimal exponents -4..15, else d.ddde±XX (CPython's 'r' mode).
 * Formatting runs in the C locale whatever the host program set.
 */
static int py_float(kft__buf *b, double v)
{
	char tmp[64], digits[32];
	locale_t c_loc, old = (locale_t)0;
	size_t nd = 0;
	int prec, exp10 = 0, neg, i;
	char *p;

	if (isnan(v))
		return kft__buf_puts(b, "nan");
	if (isinf(v))
		return kft__buf_puts(b, v < 0 ? "-inf" : "inf");
	c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_loc)
		old = uselocale(c_loc);
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (c_loc) {
		uselocale(old);
		freelocale(c_loc);
	}
	/* tmp: [-]d[.ddd]e[+-]XX */
	p = tmp;
	neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p) && nd < sizeof(digits) - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	if (*p == 'e')
		exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')   /* %.*e may pad with zeros */
		digits[--nd] = '\0';
	if (neg)
		kft__buf_putc(b, '-');
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 >= 0) {
			for (i = 0; i <= exp10; i++)
				kft__buf_putc(b, (size_t)i < nd ? digits[i] : '0');
			kft__buf_putc(b, '.');
			if ((size_t)exp10 + 1 < nd)
				kft__buf_puts(b, digits + exp10 + 1);
			else
				kft__buf_putc(b, '0');
		} else {
			kft__buf_puts(b, "0.");
			for (i = 0; i < -exp10 - 1; i++)
				kft__buf_putc(b, '0');
			kft__buf_puts(b, digits);
		}
	} else {
		kft__buf_putc(b, digits[0]);
		if (nd > 1) {
			kft__buf_putc(b, '.');
			kft__buf_puts(b, digits + 1);
		}
		kft__buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	}
	return b->oom ? kft__error_oom() : 0;
}

/*
 * repr(str): single quotes unless the text has ' and no ", backslash escapes
 * for the quote, \\, \t, \n, \r and other control bytes (\xNN). Bytes >= 0x80
 * (UTF-8) are copied as they are, as Python does for printable characters.
 */
static void py_str(kft__buf *b, const char *s)
{
	char q = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
	const unsigned char *p;

	kft__buf_putc(b, q);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == (unsigned char)q || *p == '\\') {
			kft__buf_putc(b, '\\');
			kft__buf_putc(b, (char)*p);
		} else if (*p == '\t') {
			kft__buf_puts(b, "\\t");
		} else if (*p == '\n') {
			kft__buf_puts(b, "\\n");
		} else if (*p == '\r') {
			kft__buf_puts(b, "\\r");
		} else if (*p < 0x20 || *p == 0x7f) {
			kft__buf_printf(b, "\\x%02x", *p);
		} else {
			kft__buf_putc(b, (char)*p);
		}
	}
	kft__buf_putc(b, q);
}

/* repr(dict[str, str]) in insertion order: {'a': 'b', 'c': 'd'} */
static void py_dict(kft__buf *b, const cJSON *obj)
{
	const cJSON *it;

	kft__buf_putc(b, '{');
	cJSON_ArrayForEach(it, obj) {
		if (it != obj->child)
			kft__buf_puts(b, ", ");
		py_str(b, it->string);
		kft__buf_puts(b, ": ");
		py_str(b, cJSON_IsString(it) ? it->valuestring : "");
	}
	kft__buf_putc(b, '}');
}

/* ------------------------------------------------------------------------ */
/* kft_torchtune_config_t -> checked JSON */

static int check_text(const char *field, const char *v)
{
	if (!*v)
		return bad("torchtune: %s: must not be empty (leave it NULL for the default)", field);
	if (strchr(v, '='))
		return bad("torchtune: %s: must not contain '=' (torchtune splits command-line "
		           "overrides on every '='), got \"%s\"", field, v);
	return 0;
}

static int check_tri(const char *field, int v)
{
	if (v != KFT_UNSET && v != 0 && v != 1)
		return bad("torchtune: %s: expected 0, 1 or KFT_UNSET, got %d", field, v);
	return 0;
}

static int check_count(const char *field, int64_t v)
{
	if (v != KFT_UNSET && v < 1)
		return bad("torchtune: %s: must be a positive integer (at least 1), got %lld", field,
		           (long long)v);
	return 0;
}

static int check_attn_module(const char *m)
{
	const char *p;

	if (!m || !*m)
		return bad("torchtune: lora_attn_modules: a module name must not be NULL or empty");
	for (p = m; *p; p++)
		if (*p == '=' || *p == ',' || *p == '[' || *p == ']' || isspace((unsigned char)*p))
			return bad("torchtune: lora_attn_modules: \"%s\": a module name must not contain "
			           "'=', ',', '[', ']' or spaces", m);
	return 0;
}

static int peft_on(const kft_torchtune_config_t *c)
{
	return c->lora == 1 || c->apply_lora_to_mlp != KFT_UNSET ||
	       c->apply_lora_to_output != KFT_UNSET || c->nlora_attn_modules > 0 ||
	       c->lora_rank != KFT_UNSET || c->lora_alpha != KFT_UNSET ||
	       c->lora_dropout != KFT_UNSET_DOUBLE || c->quantize_base != KFT_UNSET ||
	       c->use_dora != KFT_UNSET;
}

static int dataset_on(const kft_torchtune_config_t *c)
{
	return c->instruct_dataset == 1 || c->dataset_source || c->dataset_split ||
	       c->train_on_input != KFT_UNSET || c->new_system_prompt || c->ncolumn_map > 0;
}

static int check_config(const kft_torchtune_config_t *c)
{
	size_t i, k;
	int error;

	if (c->dtype && strcmp(c->dtype, "bf16") && strcmp(c->dtype, "fp32"))
		return bad("torchtune: dtype: expected bf16 or fp32, got \"%s\"", c->dtype);
	if ((error = check_count("batch_size", c->batch_size)) < 0 ||
	    (error = check_count("epochs", c->epochs)) < 0 ||
	    (error = check_count("num_nodes", c->num_nodes)) < 0 ||
	    (error = check_count("lora_rank", c->lora_rank)) < 0 ||
	    (error = check_count("lora_alpha", c->lora_alpha)) < 0)
		return error;
	if (c->loss && (error = check_text("loss", c->loss)) < 0)
		return error;
	/* on/off switches: KFT_UNSET reads as 0 */
	if (c->lora != 0 && c->lora != 1 && c->lora != KFT_UNSET)
		return bad("torchtune: lora: expected 0 or 1, got %d", c->lora);
	if (c->instruct_dataset != 0 && c->instruct_dataset != 1 && c->instruct_dataset != KFT_UNSET)
		return bad("torchtune: instruct_dataset: expected 0 or 1, got %d", c->instruct_dataset);
	if ((error = check_tri("apply_lora_to_mlp", c->apply_lora_to_mlp)) < 0 ||
	    (error = check_tri("apply_lora_to_output", c->apply_lora_to_output)) < 0 ||
	    (error = check_tri("quantize_base", c->quantize_base)) < 0 ||
	    (error = check_tri("use_dora", c->use_dora)) < 0 ||
	    (error = check_tri("train_on_input", c->train_on_input)) < 0)
		return error;
	if (c->lora_dropout != KFT_UNSET_DOUBLE && !(c->lora_dropout >= 0.0 && c->lora_dropout < 1.0))
		return bad("torchtune: lora_dropout: must be in [0, 1), got %g", c->lora_dropout);
	if (c->nlora_attn_modules && !c->lora_attn_modules)
		return bad("torchtune: lora_attn_modules: NULL with nlora_attn_modules = %zu",
		           c->nlora_attn_modules);
	for (i = 0; i < c->nlora_attn_modules; i++)
		if ((error = check_attn_module(c->lora_attn_modules[i])) < 0)
			return error;
	if (c->dataset_source && !in_list(data_formats, c->dataset_source))
		return bad("torchtune: dataset_source: expected one of json, csv, parquet, arrow, text, "
		           "xml, got \"%s\"", c->dataset_source);
	if (c->dataset_split && (error = check_text("dataset_split", c->dataset_split)) < 0)
		return error;
	if (c->new_system_prompt &&
	    (error = check_text("new_system_prompt", c->new_system_prompt)) < 0)
		return error;
	if (c->ncolumn_map && (!c->column_map_keys || !c->column_map_values))
		return bad("torchtune: column_map: NULL keys or values with ncolumn_map = %zu",
		           c->ncolumn_map);
	for (i = 0; i < c->ncolumn_map; i++) {
		if (!c->column_map_keys[i] || !c->column_map_values[i])
			return bad("torchtune: column_map[%zu]: NULL key or value", i);
		if ((error = check_text("column_map key", c->column_map_keys[i])) < 0 ||
		    (error = check_text("column_map value", c->column_map_values[i])) < 0)
			return error;
		for (k = 0; k < i; k++)
			if (!strcmp(c->column_map_keys[k], c->column_map_keys[i]))
				return bad("torchtune: column_map: duplicate key \"%s\"", c->column_map_keys[i]);
	}
	if (c->nresources && (!c->resource_keys || !c->resource_values))
		return bad("torchtune: resources: NULL keys or values with nresources = %zu",
		           c->nresources);
	for (i = 0; i < c->nresources; i++) {
		if (!c->resource_keys[i] || !*c->resource_keys[i])
			return bad("torchtune: resources[%zu]: empty resource name", i);
		if (!c->resource_values[i] || !*c->resource_values[i])
			return bad("torchtune: resources: \"%s\": empty quantity", c->resource_keys[i]);
	}
	return 0;
}

/*
 * resources_per_node as the SDK builds it (kubeflow-sdk.md §4.1): standard
 * keys lowercased and aliased; "mig-*" aliases are moved to the end (the SDK
 * pops and re-inserts them); at most one MIG profile, never with a GPU.
 */
static int resources_json(cJSON **out, const kft_torchtune_config_t *c)
{
	cJSON *res = cJSON_CreateObject(), *it;
	const char *mig = NULL;
	int pass, gpu = 0, error;
	size_t i;

	*out = NULL;
	KFT_CHECK_ALLOC(res);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < c->nresources; i++) {
			int alias = !strncasecmp(c->resource_keys[i], "mig-", 4);
			char *k;

			if (alias != pass)
				continue;
			if ((k = kft__resource_key(c->resource_keys[i])) == NULL) {
				cJSON_Delete(res);
				return kft__error_oom();
			}
			if (!alias) {
				/* a re-set key keeps its first position, as in a dict */
				error = kft__json_set(res, k, kft__quantity_to_json(c->resource_values[i]));
			} else {
				cJSON *q = kft__quantity_to_json(c->resource_values[i]);

				cJSON_DeleteItemFromObjectCaseSensitive(res, k);
				error = q && cJSON_AddItemToObject(res, k, q) ? 0 : kft__error_oom();
			}
			free(k);
			if (error < 0) {
				cJSON_Delete(res);
				return error;
			}
		}
	}
	cJSON_ArrayForEach(it, res) {
		if (!strcmp(it->string, "nvidia.com/gpu"))
			gpu = 1;
		if (kft__has_prefix(it->string, "nvidia.com/mig-")) {
			if (mig) {
				bad("torchtune: resources: Multiple MIG resource types are not supported: "
				    "%s, %s", mig, it->string);
				cJSON_Delete(res);
				return KFT_EINVALID;
			}
			mig = it->string;
		}
	}
	if (gpu && mig) {
		bad("torchtune: resources: GPU (nvidia.com/gpu) and MIG (%s) cannot be requested "
		    "together", mig);
		cJSON_Delete(res);
		return KFT_EINVALID;
	}
	*out = res;
	return 0;
}

static void add_tri(cJSON *obj, const char *key, int v)
{
	if (v != KFT_UNSET)
		cJSON_AddBoolToObject(obj, key, v);
}

static void add_int(cJSON *obj, const char *key, int64_t v)
{
	if (v != KFT_UNSET)
		cJSON_AddNumberToObject(obj, key, (double)v);
}

static int config_json(cJSON **out, const kft_torchtune_config_t *c)
{
	cJSON *j = cJSON_CreateObject(), *res = NULL;
	static const char *const default_modules[] = { "q_proj", "v_proj", "output_proj" };
	size_t i;
	int error;

	*out = NULL;
	KFT_CHECK_ALLOC(j);
	if (c->dtype)
		cJSON_AddStringToObject(j, "dtype", c->dtype);
	add_int(j, "batch_size", c->batch_size);
	add_int(j, "epochs", c->epochs);
	if (c->loss)   /* the enum's short name is accepted too */
		cJSON_AddStringToObject(j, "loss", !strcmp(c->loss, "CEWithChunkedOutputLoss") ?
		                        TT_LOSS_CE : c->loss);
	add_int(j, "num_nodes", c->num_nodes);
	if (c->nresources) {
		if ((error = resources_json(&res, c)) < 0) {
			cJSON_Delete(j);
			return error;
		}
		cJSON_AddItemToObject(j, "resources", res);
	}
	if (peft_on(c)) {
		cJSON *p = cJSON_AddObjectToObject(j, "peft"), *mods;

		if (!p)
			goto oom;
		add_tri(p, "apply_lora_to_mlp", c->apply_lora_to_mlp);
		add_tri(p, "apply_lora_to_output", c->apply_lora_to_output);
		add_int(p, "lora_rank", c->lora_rank);
		add_int(p, "lora_alpha", c->lora_alpha);
		if (c->lora_dropout != KFT_UNSET_DOUBLE)
			cJSON_AddNumberToObject(p, "lora_dropout", c->lora_dropout);
		add_tri(p, "quantize_base", c->quantize_base);
		add_tri(p, "use_dora", c->use_dora);
		if ((mods = cJSON_AddArrayToObject(p, "lora_attn_modules")) == NULL)
			goto oom;
		for (i = 0; i < (c->nlora_attn_modules ? c->nlora_attn_modules : 3); i++)
			cJSON_AddItemToArray(mods, cJSON_CreateString(c->nlora_attn_modules ?
			                     c->lora_attn_modules[i] : default_modules[i]));
	}
	if (dataset_on(c)) {
		cJSON *d = cJSON_AddObjectToObject(j, "dataset");

		if (!d)
			goto oom;
		if (c->dataset_source)
			cJSON_AddStringToObject(d, "source", c->dataset_source);
		if (c->dataset_split)
			cJSON_AddStringToObject(d, "split", c->dataset_split);
		add_tri(d, "train_on_input", c->train_on_input);
		if (c->new_system_prompt)
			cJSON_AddStringToObject(d, "new_system_prompt", c->new_system_prompt);
		if (c->ncolumn_map) {
			cJSON *m = cJSON_AddObjectToObject(d, "column_map");

			if (!m)
				goto oom;
			for (i = 0; i < c->ncolumn_map; i++)
				cJSON_AddStringToObject(m, c->column_map_keys[i], c->column_map_values[i]);
		}
	}
	/* cJSON_Add* report OOM only by leaving items out: check by printing once */
	{
		char *probe = cJSON_PrintUnformatted(j);

		if (!probe)
			goto oom;
		cJSON_free(probe);
	}
	*out = j;
	return 0;
oom:
	cJSON_Delete(j);
	return kft__error_oom();
}

int kft_torchtune_config_init(kft_torchtune_config_t *cfg, unsigned int version)
{
	KFT__VERSIONED_INIT(cfg, version, kft_torchtune_config_t, KFT_TORCHTUNE_CONFIG);
}

int kft_spec_set_torchtune(kft_spec_t *spec, const kft_torchtune_config_t *cfg)
{
	cJSON *j;
	int error;

	KFT_ASSERT_ARG(spec && cfg);
	KFT_CHECK_VERSION(cfg, KFT_TORCHTUNE_CONFIG_VERSION, "kft_torchtune_config_t");
	if ((error = check_config(cfg)) < 0 || (error = config_json(&j, cfg)) < 0)
		return error;
	return kft__spec_set_builtin(spec, "torchtune", j);
}

/* ------------------------------------------------------------------------ */
/* config JSON -> spec.trainer (the SDK's get_args_using_torchtune_config) */

static int push_kv(cJSON *args, const char *key, const char *value)
{
	kft__buf b = KFT__BUF_INIT;
	cJSON *s;

	kft__buf_printf(&b, "%s=%s", key, value);
	if (b.oom || (s = cJSON_CreateString(b.ptr)) == NULL) {
		kft__buf_free(&b);
		return kft__error_oom();
	}
	kft__buf_free(&b);
	cJSON_AddItemToArray(args, s);
	return 0;
}

static int push_buf(cJSON *args, const char *key, kft__buf *v)
{
	int error = v->oom ? kft__error_oom() : push_kv(args, key, v->ptr ? v->ptr : "");

	kft__buf_free(v);
	return error;
}

static int push_value(cJSON *args, const char *key, const cJSON *v)
{
	kft__buf b = KFT__BUF_INIT;

	if (cJSON_IsBool(v))
		kft__buf_puts(&b, cJSON_IsTrue(v) ? "True" : "False");
	else if (cJSON_IsString(v))
		kft__buf_puts(&b, v->valuestring);
	else if (cJSON_IsNumber(v))
		kft__buf_printf(&b, "%.17g", v->valuedouble);
	return push_buf(args, key, &b);
}

/*
 * dataset.data_dir / dataset.data_files from an hf:// dataset initializer, as
 * the SDK does with urlparse + os.path.join: rel = path segments after the
 * repository; none -> data_dir=/workspace/dataset/. ; rel with a '.' ->
 * data_files; else data_dir.
 */
static int push_dataset_path(cJSON *args, const char *uri)
{
	const char *p = uri + strlen("hf://"), *path, *end;
	kft__buf rel = KFT__BUF_INIT, v = KFT__BUF_INIT;
	const char *seg;
	int nseg = 0, error;

	path = p + strcspn(p, "/?#");
	end = path + strcspn(path, "?#");
	while (path < end && *path == '/')      /* .strip("/") */
		path++;
	while (end > path && end[-1] == '/')
		end--;
	/* .split("/")[1:] joined by "/" */
	for (seg = path; seg <= end; ) {
		const char *slash = memchr(seg, '/', (size_t)(end - seg));
		const char *stop = slash ? slash : end;

		if (nseg >= 1) {
			if (nseg >= 2)
				kft__buf_putc(&rel, '/');
			kft__buf_put(&rel, seg, (size_t)(stop - seg));
		}
		nseg++;
		if (!slash)
			break;
		seg = slash + 1;
	}
	if (nseg <= 1) {
		kft__buf_puts(&v, TT_DATASET_PATH "/.");
		kft__buf_free(&rel);
		return push_buf(args, "dataset.data_dir", &v);
	}
	if (rel.ptr && rel.ptr[0] == '/')        /* os.path.join drops the base */
		kft__buf_puts(&v, rel.ptr);
	else
		kft__buf_printf(&v, TT_DATASET_PATH "/%s", rel.ptr ? rel.ptr : "");
	error = push_buf(args, rel.ptr && strchr(rel.ptr, '.') ? "dataset.data_files" :
	                 "dataset.data_dir", &v);
	kft__buf_free(&rel);
	return error;
}

static int build_args(cJSON *args, const cJSON *trainjob, const cJSON *config)
{
	static const char *const peft_fields[] = { "apply_lora_to_mlp", "apply_lora_to_output",
		"lora_rank", "lora_alpha", "lora_dropout", "quantize_base", "use_dora", NULL };
	const cJSON *peft = kft__json_get(config, "peft"), *ds = kft__json_get(config, "dataset");
	const char *uri = kft__json_str(kft__json_path(trainjob, "spec.initializer.dataset"),
	                                "storageUri");
	const cJSON *v;
	int error = 0;
	size_t i;

	if ((v = kft__json_get(config, "dtype")) && (error = push_value(args, "dtype", v)) < 0)
		return error;
	if ((v = kft__json_get(config, "batch_size")) &&
	    (error = push_value(args, "batch_size", v)) < 0)
		return error;
	if ((v = kft__json_get(config, "epochs")) && (error = push_value(args, "epochs", v)) < 0)
		return error;
	if ((v = kft__json_get(config, "loss")) && (error = push_value(args, "loss", v)) < 0)
		return error;
	if (uri && kft__has_prefix(uri, "hf://") && (error = push_dataset_path(args, uri)) < 0)
		return error;
	if (peft) {
		const cJSON *mods = kft__json_get(peft, "lora_attn_modules");

		for (i = 0; peft_fields[i]; i++) {
			char key[64];

			if ((v = kft__json_get(peft, peft_fields[i])) == NULL)
				continue;
			snprintf(key, sizeof(key), "model.%s", peft_fields[i]);
			if (!strcmp(peft_fields[i], "lora_dropout")) {
				kft__buf b = KFT__BUF_INIT;

				if ((error = py_float(&b, v->valuedouble)) < 0 ||
				    (error = push_buf(args, key, &b)) < 0) {
					kft__buf_free(&b);
					return error;
				}
			} else if ((error = push_value(args, key, v)) < 0) {
				return error;
			}
		}
		if (cJSON_GetArraySize(mods) > 0) {
			kft__buf b = KFT__BUF_INIT;
			const cJSON *m;

			kft__buf_putc(&b, '[');
			cJSON_ArrayForEach(m, mods) {
				if (m != mods->child)
					kft__buf_putc(&b, ',');
				kft__buf_puts(&b, m->valuestring);
			}
			kft__buf_putc(&b, ']');
			if ((error = push_buf(args, "model.lora_attn_modules", &b)) < 0)
				return error;
		}
	}
	if (ds) {
		if ((error = push_kv(args, "dataset", TT_INSTRUCT)) < 0)
			return error;
		if ((v = kft__json_get(ds, "source")) &&
		    (error = push_value(args, "dataset.source", v)) < 0)
			return error;
		if ((v = kft__json_get(ds, "split")) && (error = push_value(args, "dataset.split", v)) < 0)
			return error;
		if ((v = kft__json_get(ds, "train_on_input")) &&
		    (error = push_value(args, "dataset.train_on_input", v)) < 0)
			return error;
		if ((v = kft__json_get(ds, "new_system_prompt")) &&
		    (error = push_value(args, "dataset.new_system_prompt", v)) < 0)
			return error;
		if ((v = kft__json_get(ds, "column_map")) && v->child) {
			kft__buf b = KFT__BUF_INIT;

			py_dict(&b, v);
			if ((error = push_buf(args, "dataset.column_map", &b)) < 0)
				return error;
		}
	}
	return 0;
}

static int is_tune_run(const cJSON *cmd)
{
	return cJSON_GetArraySize(cmd) == 2 &&
	       kft__streq(cJSON_GetArrayItem(cmd, 0)->valuestring, "tune") &&
	       kft__streq(cJSON_GetArrayItem(cmd, 1)->valuestring, "run");
}

static int tt_serves(const kft_runtime_t *rt)
{
	return kft__streq(kft_runtime_framework(rt), "torchtune");
}

static int tt_to_trainer(cJSON *trainjob, const cJSON *config, const kft_runtime_t *rt)
{
	cJSON *trainer, *cmd, *args, *res;
	const cJSON *v;
	int error;

	if (rt && !tt_serves(rt))
		return bad("BuiltinTrainer can't be used with %s runtime (TorchTune configs need a "
		           "runtime with label trainer.kubeflow.org/framework: torchtune)",
		           kft_runtime_name(rt));
	KFT_CHECK_ALLOC(trainer = kft__json_path_mkobj(trainjob, "spec.trainer"));
	cmd = cJSON_GetObjectItemCaseSensitive(trainer, "command");
	if (cmd && cJSON_GetArraySize(cmd) > 0 && !is_tune_run(cmd))
		return bad("spec.trainer.command: a TorchTune config (BuiltinTrainer) can't be combined "
		           "with a custom command (CustomTrainer)");
	KFT_CHECK_ALLOC(args = cJSON_CreateArray());
	if ((error = build_args(args, trainjob, config)) < 0) {
		cJSON_Delete(args);
		return error;
	}
	KFT_CHECK_ALLOC(cmd = cJSON_CreateStringArray((const char *const[]){ "tune", "run" }, 2));
	if ((error = kft__json_set(trainer, "command", cmd)) < 0 ||
	    (error = kft__json_set(trainer, "args", args)) < 0)
		return error;
	if ((v = kft__json_get(config, "num_nodes")) &&
	    (error = kft__json_set(trainer, "numNodes", cJSON_Duplicate(v, 1))) < 0)
		return error;
	if ((v = kft__json_get(config, "resources"))) {
		KFT_CHECK_ALLOC(res = cJSON_CreateObject());
		cJSON_AddItemToObject(res, "requests", cJSON_Duplicate(v, 1));
		cJSON_AddItemToObject(res, "limits", cJSON_Duplicate(v, 1));
		if ((error = kft__json_set(trainer, "resourcesPerNode", res)) < 0)
			return error;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The controller's view: model, node/proc/GPU counts, recipe and config */

/* "torchtune-llama3.2-1b" -> "llama3_2/1B"; "" unless exactly 3 '-' parts. */
static void model_from_runtime(char *out, size_t n, const char *name)
{
	const char *d1, *d2;
	size_t i, k = 0;

	out[0] = '\0';
	if (!name || (d1 = strchr(name, '-')) == NULL || (d2 = strchr(d1 + 1, '-')) == NULL ||
	    strchr(d2 + 1, '-'))
		return;
	for (i = 0; d1 + 1 + i < d2 && k + 1 < n; i++)
		out[k++] = d1[1 + i] == '.' ? '_' : d1[1 + i];
	if (k + 1 < n)
		out[k++] = '/';
	for (i = 0; d2[1 + i] && k + 1 < n; i++)
		out[k++] = (char)toupper((unsigned char)d2[1 + i]);
	out[k] = '\0';
}

static int64_t gpu_in(const cJSON *map)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, map) {
		char lower[128];
		size_t i;

		for (i = 0; it->string[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)tolower((unsigned char)it->string[i]);
		lower[i] = '\0';
		if (strstr(lower, "gpu")) {
			int64_t n;

			return kft__double_i64(&n, floor(kft__quantity_json(it))) == 0 ? n : -1;
		}
	}
	return -1;
}

/* The node resources the controller uses: the TrainJob's, else the runtime node's. */
static const cJSON *node_resources(const cJSON *trainjob, const kft_runtime_t *rt)
{
	const cJSON *r = kft__json_path(trainjob, "spec.trainer.resourcesPerNode");

	if (r)
		return r;
	return kft__json_get(kft__rjob_container(kft__runtime_trainer_rjob(rt), "node"), "resources");
}

/* GPU count: first resource whose name contains "gpu" in requests, else limits. */
static int64_t gpu_count(const cJSON *res)
{
	int64_t g = gpu_in(kft__json_get(res, "requests"));

	if (g < 0)
		g = gpu_in(kft__json_get(res, "limits"));
	return g < 0 ? 0 : g;
}

static int64_t trainjob_nodes(const cJSON *trainjob, const kft_runtime_t *rt)
{
	const cJSON *n = kft__json_path(trainjob, "spec.trainer.numNodes");

	if (cJSON_IsNumber(n))
		return kft__json_int(n, INT64_MIN, INT64_MAX, 1);
	return rt ? kft_runtime_num_nodes(rt) : 1;
}

/* numProcPerNode after the torch plugin (kubeflow-trainer.md §6.1, v2.2+). */
static void trainjob_nproc(char *out, size_t n, const cJSON *trainjob, const kft_runtime_t *rt,
                           const cJSON *res, int64_t gpus)
{
	const cJSON *p = kft__json_path(trainjob, "spec.trainer.numProcPerNode");

	if (!p && rt)
		p = kft__json_path(kft__runtime_doc(rt), "spec.mlPolicy.torch.numProcPerNode");
	if (cJSON_IsNumber(p)) {
		int64_t v;

		if (kft__double_i64(&v, p->valuedouble) == 0)
			snprintf(out, n, "%lld", (long long)v);
		else
			snprintf(out, n, "%.17g", p->valuedouble);
		return;
	}
	if (cJSON_IsString(p) && strcmp(p->valuestring, "auto")) {
		snprintf(out, n, "%s", p->valuestring);
		return;
	}
	if (gpus == 0) {
		double cpu = kft__quantity_json(kft__json_get(kft__json_get(res, "requests"), "cpu"));
		int64_t whole;

		if (cpu <= 0)
			cpu = kft__quantity_json(kft__json_get(kft__json_get(res, "limits"), "cpu"));
		if (kft__double_i64(&whole, ceil(cpu)) < 0 || whole < 1)
			whole = 1;
		snprintf(out, n, "%lld", (long long)whole);
		return;
	}
	snprintf(out, n, "auto");
}

static int args_lora(const cJSON *args)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, args)
		if (cJSON_IsString(a) && strstr(a->valuestring, "model.lora_attn_modules"))
			return 1;
	return 0;
}

static int arg_true(const char *arg, const char *key)
{
	const char *p = arg ? strstr(arg, key) : NULL;

	return p && p[strlen(key)] == '=' && !strcasecmp(p + strlen(key) + 1, "true");
}

/* QLoRA: model.quantize_base=true (any case) and no model.use_dora=true. */
static int args_qlora(const cJSON *args)
{
	const cJSON *a;
	int q = 0;

	cJSON_ArrayForEach(a, args) {
		if (!cJSON_IsString(a))
			continue;
		if (arg_true(a->valuestring, "model.use_dora"))
			return 0;
		if (arg_true(a->valuestring, "model.quantize_base"))
			q = 1;
	}
	return q;
}

typedef struct {
	const char *recipe, *suffix;
	int rdzv;
} tt_choice;

/* The recipe/config table and the --rdzv_endpoint rule (kubeflow-trainer.md §7.2). */
static tt_choice choose(int64_t nnodes, const char *nproc, int64_t gpus, int lora, int qlora)
{
	tt_choice c = { "full_finetune_distributed", "_full", 0 };
	int64_t p = 0;
	int p_int = nproc && kft__parse_i64(&p, nproc) == 0;

	if (nnodes == 1 && ((p_int && p == 1) || gpus == 1)) {
		if (qlora) {
			c.recipe = "lora_finetune_single_device";
			c.suffix = "_qlora_single_device";
		} else if (lora) {
			c.recipe = "lora_finetune_single_device";
			c.suffix = "_lora_single_device";
		} else {
			c.recipe = "full_finetune_single_device";
			c.suffix = "_full_single_device";
		}
	} else if (nnodes == 1 && qlora) {
		c.recipe = "lora_finetune_distributed";
		c.suffix = "_qlora";
	} else if (nnodes == 1 && lora) {
		c.recipe = "lora_finetune_distributed";
		c.suffix = "_lora";
	} else if (nnodes > 1) {
		c.suffix = "_full_multinode";
	}
	c.rdzv = nnodes > 1 || (p_int && p > 1) || (!p_int && gpus > 1);
	return c;
}

static int kept_key(const char *arg)
{
	size_t i, n = strcspn(arg, "=");

	for (i = 0; kept_keys[i]; i++)
		if (strlen(kept_keys[i]) == n && !strncmp(arg, kept_keys[i], n))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Trainer's TorchTune webhook, client-side */

static void add_err(kft__buf *errs, const char *fmt, ...) KFT__PRINTF(2, 3);
static void add_err(kft__buf *errs, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errs->len)
		kft__buf_puts(errs, "; ");
	kft__buf_puts(errs, msg);
}

static int tt_validate(const cJSON *trainjob, const kft_runtime_t *rt)
{
	const char *rtname = kft__json_str(kft__json_path(trainjob, "spec.runtimeRef"), "name");
	const cJSON *args = kft__json_path(trainjob, "spec.trainer.args"), *a;
	const cJSON *res = node_resources(trainjob, rt);
	int64_t nnodes = trainjob_nodes(trainjob, rt), gpus = gpu_count(res);
	int lora = args_lora(args), qlora = args_qlora(args), i = 0;
	kft__buf errs = KFT__BUF_INIT;
	char model[128], nproc[32];
	tt_choice c;

	model_from_runtime(model, sizeof(model), rtname);
	trainjob_nproc(nproc, sizeof(nproc), trainjob, rt, res, gpus);
	if (!in_list(supported_models, model))
		add_err(&errs, "spec.runtimeRef.name: Invalid value: \"%s\": must have a supported "
		        "pretrained model, invalid model configured: %s", rtname ? rtname : "", model);
	if (nnodes > 1 && strcmp(model, "llama3_3/70B"))
		add_err(&errs, "spec.trainer.numNodes: Invalid value: %lld: must be 1 for %s model",
		        (long long)nnodes, model);
	if (nnodes > 1 && (lora || qlora))
		add_err(&errs, "spec.trainer.args: LoRA fine-tuning is not supported for multi-node "
		        "training in TorchTune");
	c = choose(nnodes, nproc, gpus, lora, qlora);
	if (strstr(c.suffix, "_qlora")) {
		if (!strcmp(model, "qwen2_5/1.5B"))
			add_err(&errs, "spec.runtimeRef.name: Invalid value: \"%s\": QLoRA is not "
			        "supported for %s model", rtname, model);
		if (!strstr(c.suffix, "_qlora_single_device") &&
		    (!strcmp(model, "llama3_2/1B") || !strcmp(model, "llama3_2/3B"))) {
			add_err(&errs, "spec.trainer.numProcPerNode: Invalid value: \"%s\": must be auto "
			        "or 1 for %s model when using QLoRA", nproc, model);
			add_err(&errs, "spec.trainer.resourcesPerNode: Invalid value: %lld GPUs: must have "
			        "gpu resource with value 1 for %s model when using QLoRA",
			        (long long)gpus, model);
		}
	}
	cJSON_ArrayForEach(a, args) {
		const char *s = cJSON_IsString(a) ? a->valuestring : "";
		const char *eq = strchr(s, '=');

		if (kept_key(s))
			add_err(&errs, "spec.trainer.args[%d]: must not set immutable config \"%.*s\" in "
			        "trainer args; it is managed by the runtime", i, (int)strcspn(s, "="), s);
		if (eq && strchr(eq + 1, '='))
			add_err(&errs, "spec.trainer.args[%d]: Invalid value: \"%s\": must be key=value "
			        "with no '=' in the value (torchtune splits overrides on every '=')", i, s);
		i++;
	}
	if (errs.oom) {
		kft__buf_free(&errs);
		return kft__error_oom();
	}
	if (errs.len) {
		int rc = bad("%s", errs.ptr);

		kft__buf_free(&errs);
		return rc;
	}
	kft__buf_free(&errs);
	return 0;
}

static int tt_matches(const cJSON *trainjob)
{
	return is_tune_run(kft__json_path(trainjob, "spec.trainer.command"));
}

/* ------------------------------------------------------------------------ */
/* Local runs: the node's final argv, as the controller builds the container */

/* key=/workspace/... -> key=<workspace>/... */
static int push_mapped(kft__strv *argv, const char *arg, const char *workspace)
{
	const char *eq = strchr(arg, '=');
	const char *v = eq ? eq + 1 : NULL;

	if (workspace && v && kft__has_prefix(v, "/workspace") &&
	    (v[10] == '\0' || v[10] == '/'))
		return kft__strv_pushf(argv, "%.*s%s%s", (int)(v - arg), arg, workspace, v + 10);
	return kft__strv_push(argv, arg);
}

static int tt_local_command(kft__strv *argv, const cJSON *trainjob, const kft_runtime_t *rt,
                            int64_t nnodes, const char *nproc, int64_t gpus, const char *rdzv,
                            const char *workspace)
{
	const char *rtname = kft__json_str(kft__json_path(trainjob, "spec.runtimeRef"), "name");
	const cJSON *args = kft__json_path(trainjob, "spec.trainer.args"), *a;
	const cJSON *rcmd = kft__json_get(kft__rjob_container(kft__runtime_trainer_rjob(rt), "node"),
	                                  "command");
	char model[128];
	tt_choice c;
	int error = 0;

	model_from_runtime(model, sizeof(model), rtname);
	if (!*model)
		return bad("torchtune: cannot derive the model from runtime name \"%s\" (expected "
		           "<prefix>-<model>-<size>, e.g. torchtune-llama3.2-1b)", rtname ? rtname : "");
	c = choose(nnodes, nproc, gpus, args_lora(args), args_qlora(args));
	if (kft__strv_push(argv, "tune") < 0 || kft__strv_push(argv, "run") < 0 ||
	    (c.rdzv && kft__strv_pushf(argv, "--rdzv_endpoint=%s", rdzv ? rdzv : "") < 0) ||
	    kft__strv_push(argv, c.recipe) < 0 || kft__strv_push(argv, "--config") < 0 ||
	    kft__strv_pushf(argv, "%s%s", model, c.suffix) < 0)
		return kft__error_oom();
	cJSON_ArrayForEach(a, rcmd)
		if (cJSON_IsString(a) && kept_key(a->valuestring) &&
		    (error = push_mapped(argv, a->valuestring, workspace)) < 0)
			return error;
	cJSON_ArrayForEach(a, args)
		if (cJSON_IsString(a) && (error = push_mapped(argv, a->valuestring, workspace)) < 0)
			return error;
	return 0;
}

static const char *const tt_tools[] = { "tune", NULL };

const kft__builtin_trainer kft__builtin_torchtune = {
	"torchtune", tt_serves, tt_to_trainer, tt_validate, tt_matches, tt_local_command, tt_tools,
	"install torchtune (pip install torchtune==0.6.1, with torch and torchao) so that `tune` "
	"is on PATH"
};
