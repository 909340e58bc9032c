/* JOB FLAGS shared by `kft render` and `kft train`. SPDX-License-Identifier: Apache-2.0 */
#include "kft.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
	char *key, *val;
} kv;

typedef struct {
	kv *v;
	size_t n;
} kvlist;

struct cli_job {
	const char *file, *name, *runtime, *runtime_kind, *image, *script, *code_dir, *python;
	const char *dataset, *model, *managed_by, *trainer_version, *queue, *priority;
	long long nodes, nproc, deadline;
	int suspend;
	kvlist env, resources, labels, annotations, dataset_env, model_env, node_selector;
	const char **packages, **index_urls, **volumes;
	size_t npackages, nindex, nvolumes;
	const char *gpu, *cpu, *memory;
	/* TorchTune (BuiltinTrainer) flags; any_tt: one of them was given */
	int any_tt, lora, qlora, dora, lora_mlp, lora_output, train_on_input;
	long long batch_size, epochs, lora_rank, lora_alpha;
	double lora_dropout;
	const char *dtype, *loss, *attn_modules, *ds_source, *ds_split, *system_prompt, *column_map;
};

/* "not given": cli_parse_ll never returns it (no input value may collide with it) */
#define UNSET_LL LLONG_MIN

int cli_job_new(cli_job **out)
{
	cli_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -1;
	j->nodes = j->nproc = j->deadline = UNSET_LL;
	j->suspend = -1;
	j->lora_mlp = j->lora_output = j->train_on_input = -1;
	j->batch_size = j->epochs = j->lora_rank = j->lora_alpha = UNSET_LL;
	j->lora_dropout = NAN;
	*out = j;
	return 0;
}

static void kv_free(kvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
}

void cli_job_free(cli_job *j)
{
	if (!j)
		return;
	kv_free(&j->env);
	kv_free(&j->resources);
	kv_free(&j->labels);
	kv_free(&j->annotations);
	kv_free(&j->dataset_env);
	kv_free(&j->model_env);
	kv_free(&j->node_selector);
	free(j->packages);
	free(j->index_urls);
	free(j->volumes);
	free(j);
}

static int kv_add(kvlist *l, const char *flag, const char *arg)
{
	const char *eq = strchr(arg, '=');
	kv *v;

	if (!eq || eq == arg) {
		fprintf(stderr, "kft: --%s: expected KEY=VALUE, got \"%s\"\n", flag, arg);
		return -1;
	}
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return -1;
	l->v = v;
	if ((v[l->n].key = strdup(arg)) == NULL)
		return -1;
	v[l->n].key[eq - arg] = '\0';
	v[l->n].val = v[l->n].key + (eq - arg) + 1;
	l->n++;
	return 0;
}

static int push(const char ***arr, size_t *n, const char *s)
{
	const char **p = realloc(*arr, (*n + 1) * sizeof(*p));

	if (!p)
		return -1;
	p[(*n)++] = s;
	*arr = p;
	return 0;
}

static int parse_double(double *out, const char *flag, const char *s)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || *end || end == s) {
		fprintf(stderr, "kft: --%s: expected a number, got \"%s\"\n", flag, s);
		return -1;
	}
	return 0;
}

/* String flags: the id is the offset of the field in struct cli_job. */
#define S(field) ((int)offsetof(struct cli_job, field))
enum {
	J_STR_MAX = (int)sizeof(struct cli_job),
	J_NODES, J_NPROC, J_DEADLINE, J_ENV, J_RESOURCE, J_LABEL, J_ANNOTATION, J_DATASET_ENV,
	J_MODEL_ENV, J_NODE_SELECTOR, J_PACKAGE, J_VOLUME, J_INDEX, J_SUSPEND,
	T_BATCH, T_EPOCHS, T_RANK, T_ALPHA, T_LORA_MLP, T_LORA_OUTPUT, T_TRAIN_ON_INPUT,
	T_LORA, T_QLORA, T_DORA, T_DROPOUT
};

const cli_flag cli_job_flags[] = {
	{ "file", 'f', "FILE", "TrainJob YAML/JSON (flags override it), or a Training\n"
	  "Operator v1 job, converted first (see kft convert); \"-\": standard input",
	  CLI_COMP_FILE, NULL, 0, S(file) },
	{ "name", 0, "NAME", "job name (default: a fresh 12-character name)", 0, NULL, 0, S(name) },
	{ "runtime", 0, "NAME", "runtime (default torch-distributed)", CLI_COMP_RUNTIME, NULL, 0, S(runtime) },
	{ "runtime-kind", 0, "KIND", "ClusterTrainingRuntime (default) or TrainingRuntime",
	  CLI_COMP_ENUM, "ClusterTrainingRuntime TrainingRuntime", CLI_F_OPEN, S(runtime_kind) },
	{ "nodes", 0, "N", "spec.trainer.numNodes", 0, NULL, 0, J_NODES },
	{ "nproc", 0, "N", "spec.trainer.numProcPerNode", 0, NULL, 0, J_NPROC },
	{ "image", 0, "IMAGE", "spec.trainer.image", 0, NULL, 0, S(image) },
	{ "env", 0, "K=V", "trainer environment", 0, NULL, CLI_F_REPEAT, J_ENV },
	{ "resource", 0, "K=QTY", "resource per node (gpu, cpu, memory, storage, mig-...)", 0, NULL,
	  CLI_F_REPEAT, J_RESOURCE },
	{ "gpu", 0, "N", "shorthand for --resource gpu=N", 0, NULL, 0, S(gpu) },
	{ "cpu", 0, "Q", "shorthand for --resource cpu=Q", 0, NULL, 0, S(cpu) },
	{ "memory", 0, "Q", "shorthand for --resource memory=Q", 0, NULL, 0, S(memory) },
	{ "script", 0, "FILE", "embed a Python script (run by the runtime's launcher)", CLI_COMP_FILE,
	  NULL, 0, S(script) },
	{ "code-dir", 0, "DIR", "ship a directory with the script (tar.gz, unpacked first)",
	  CLI_COMP_DIR, NULL, 0, S(code_dir) },
	{ "python", 0, "PATH", "interpreter for --script on this machine (its own\n"
	  "torch.distributed.run instead of torchrun; default: python3 on PATH)", CLI_COMP_FILE,
	  NULL, 0, S(python) },
	{ "package", 0, "PKG", "pip package to install first", 0, NULL, CLI_F_REPEAT, J_PACKAGE },
	{ "pip-index-url", 0, "URL", "pip index (first: --index-url, rest: --extra-index-url)", 0,
	  NULL, CLI_F_REPEAT, J_INDEX },
	{ "label", 0, "K=V", "TrainJob label", 0, NULL, CLI_F_REPEAT, J_LABEL },
	{ "annotation", 0, "K=V", "TrainJob annotation", 0, NULL, CLI_F_REPEAT, J_ANNOTATION },
	{ "queue", 0, "NAME", "Kueue queue (label kueue.x-k8s.io/queue-name)", 0, NULL, 0, S(queue) },
	{ "priority", 0, "CLASS", "Kueue priority (label kueue.x-k8s.io/priority-class)", 0, NULL, 0,
	  S(priority) },
	{ "dataset", 0, "URI", "dataset initializer (hf://, s3://, file://, or a local path,\n"
	  "sent as file://ABSOLUTE-PATH)", CLI_COMP_FILE, NULL, 0, S(dataset) },
	{ "model", 0, "URI", "model initializer (as --dataset)", CLI_COMP_FILE, NULL, 0, S(model) },
	{ "dataset-env", 0, "K=V", "dataset initializer environment", 0, NULL, CLI_F_REPEAT,
	  J_DATASET_ENV },
	{ "model-env", 0, "K=V", "model initializer environment", 0, NULL, CLI_F_REPEAT, J_MODEL_ENV },
	{ "deadline", 0, "SECONDS", "spec.activeDeadlineSeconds", 0, NULL, 0, J_DEADLINE },
	{ "suspend", 0, NULL, "create suspended", 0, NULL, 0, J_SUSPEND },
	{ "managed-by", 0, "VALUE", "spec.managedBy", 0, NULL, 0, S(managed_by) },
	{ "node-selector", 0, "K=V", "node selector for the nodes (runtime patch)", 0, NULL,
	  CLI_F_REPEAT, J_NODE_SELECTOR },
	{ "volume", 0, "HOST:DEST[:ro|rw]", "mount a host directory in the nodes (hostPath runtime\n"
	  "patch; the container backend binds it)", CLI_COMP_DIR, NULL, CLI_F_REPEAT, J_VOLUME },
	{ "trainer-version", 0, "V", "render for Trainer v2.0, v2.1, v2.2 or v2.3 (default: v2.2+ form)",
	  CLI_COMP_ENUM, "v2.0 v2.1 v2.2 v2.3", CLI_F_OPEN, S(trainer_version) },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};

const cli_flag cli_tt_flags[] = {
	{ "dtype", 0, "DTYPE", "training dtype", CLI_COMP_ENUM, "bf16 fp32", CLI_F_OPEN, S(dtype) },
	{ "batch-size", 0, "N", "batch size (N >= 1)", 0, NULL, 0, T_BATCH },
	{ "epochs", 0, "N", "epochs (N >= 1)", 0, NULL, 0, T_EPOCHS },
	{ "loss", 0, "NAME", "loss (torchtune.modules.loss.CEWithChunkedOutputLoss)", 0, NULL, 0,
	  S(loss) },
	{ "lora", 0, NULL, "LoRA fine-tuning (default attention modules\nq_proj,v_proj,output_proj)",
	  0, NULL, 0, T_LORA },
	{ "lora-rank", 0, "N", "LoRA rank (N >= 1)", 0, NULL, 0, T_RANK },
	{ "lora-alpha", 0, "N", "LoRA alpha (N >= 1)", 0, NULL, 0, T_ALPHA },
	{ "lora-dropout", 0, "F", "LoRA dropout in [0, 1)", 0, NULL, 0, T_DROPOUT },
	{ "lora-attn-modules", 0, "a,b,c", "LoRA attention modules", 0, NULL, 0, S(attn_modules) },
	{ "lora-mlp", 0, "BOOL", "apply LoRA to the MLP (true or false)", CLI_COMP_ENUM, "true false",
	  0, T_LORA_MLP },
	{ "lora-output", 0, "BOOL", "apply LoRA to the output (true or false)", CLI_COMP_ENUM,
	  "true false", 0, T_LORA_OUTPUT },
	{ "qlora", 0, NULL, "QLoRA (LoRA on a quantized base model)", 0, NULL, 0, T_QLORA },
	{ "dora", 0, NULL, "DoRA (weight-decomposed LoRA)", 0, NULL, 0, T_DORA },
	{ "dataset-source", 0, "FMT", "instruct dataset format", CLI_COMP_ENUM,
	  "json csv parquet arrow text xml", CLI_F_OPEN, S(ds_source) },
	{ "dataset-split", 0, "S", "dataset split, e.g. train[:95%]", 0, NULL, 0, S(ds_split) },
	{ "train-on-input", 0, "BOOL", "train on the input too (true or false)", CLI_COMP_ENUM,
	  "true false", 0, T_TRAIN_ON_INPUT },
	{ "system-prompt", 0, "TEXT", "new system prompt", 0, NULL, 0, S(system_prompt) },
	{ "column-map", 0, "IN=OUT,...", "dataset column map, e.g. input=incorrect,output=correct", 0,
	  NULL, 0, S(column_map) },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};

static int job_set(void *ctx, const cli_flag *f, const char *v)
{
	cli_job *j = ctx;

	if (f->id < J_STR_MAX) {
		*(const char **)(void *)((char *)j + f->id) = v;
		return 0;
	}
	switch (f->id) {
	case J_NODES: return cli_parse_ll(&j->nodes, f, v, CLI_INT_ANY);
	case J_NPROC: return cli_parse_ll(&j->nproc, f, v, CLI_INT_ANY);
	case J_DEADLINE: return cli_parse_ll(&j->deadline, f, v, CLI_INT_ANY);
	case J_ENV: return kv_add(&j->env, f->name, v);
	case J_RESOURCE: return kv_add(&j->resources, f->name, v);
	case J_LABEL: return kv_add(&j->labels, f->name, v);
	case J_ANNOTATION: return kv_add(&j->annotations, f->name, v);
	case J_DATASET_ENV: return kv_add(&j->dataset_env, f->name, v);
	case J_MODEL_ENV: return kv_add(&j->model_env, f->name, v);
	case J_NODE_SELECTOR: return kv_add(&j->node_selector, f->name, v);
	case J_PACKAGE: return push(&j->packages, &j->npackages, v);
	case J_VOLUME: return push(&j->volumes, &j->nvolumes, v);
	case J_INDEX: return push(&j->index_urls, &j->nindex, v);
	case J_SUSPEND: j->suspend = 1; return 0;
	}
	return -1;
}

static int tt_set(void *ctx, const cli_flag *f, const char *v)
{
	cli_job *j = ctx;

	j->any_tt = 1;
	if (f->id < J_STR_MAX)
		return job_set(ctx, f, v);
	switch (f->id) {
	case T_BATCH: return cli_parse_ll(&j->batch_size, f, v, CLI_INT_ANY);
	case T_EPOCHS: return cli_parse_ll(&j->epochs, f, v, CLI_INT_ANY);
	case T_RANK: return cli_parse_ll(&j->lora_rank, f, v, CLI_INT_ANY);
	case T_ALPHA: return cli_parse_ll(&j->lora_alpha, f, v, CLI_INT_ANY);
	case T_LORA_MLP: j->lora_mlp = !strcasecmp(v, "true"); return 0;   /* checked: true or false */
	case T_LORA_OUTPUT: j->lora_output = !strcasecmp(v, "true"); return 0;   /* checked: true or false */
	case T_TRAIN_ON_INPUT: j->train_on_input = !strcasecmp(v, "true"); return 0;   /* checked: true or false */
	case T_DROPOUT: return parse_double(&j->lora_dropout, f->name, v);
	case T_LORA: j->lora = 1; return 0;
	case T_QLORA: j->qlora = 1; return 0;
	case T_DORA: j->dora = 1; return 0;
	}
	return -1;
}
#undef S

const cli_group cli_job_group = { "JOB FLAGS", NULL, cli_job_flags, job_set };
const cli_group cli_tt_group = {
	"TORCHTUNE FLAGS",
	"(BuiltinTrainer, only on torchtune-* runtimes; with --nodes, --gpu,\n"
	"--dataset hf://..., --model hf://...)", cli_tt_flags, tt_set
};

const char *cli_job_trainer_version(const cli_job *j)
{
	return j->trainer_version;
}

#define CHECK(call) do { if ((call) < 0) goto fail; } while (0)

/*
 * --volume HOST:DEST[:ro|rw] -> a hostPath volume "kft-volume-K" mounted on the
 * node container (a runtime patch; the container backend binds it).
 * -2: a usage error (said here); -1: the library's error.
 */
static int add_volume_flag(kft_spec_t *spec, const char *arg, size_t k)
{
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *p;
	char name[32], *host = NULL, *dest = NULL, *json = NULL;
	size_t hl, dl, n = 0;
	int ro = 0, rc = -1;

	if (c2 && (!strcmp(c2 + 1, "ro") || !strcmp(c2 + 1, "rw")))
		ro = !strcmp(c2 + 1, "ro");
	else if (c2)
		c1 = NULL;   /* a third part that is not a mode */
	if (!c1 || arg[0] != '/' || c1[1] != '/') {
		fprintf(stderr, "kft: --volume %s: want HOST:DEST[:ro|rw] with absolute paths\n",
		        arg);
		return -2;
	}
	hl = (size_t)(c1 - arg);
	dl = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	host = strndup(arg, hl);
	dest = strndup(c1 + 1, dl);
	json = malloc(2 * hl + 64);   /* every byte escaped at most to two */
	if (!host || !dest || !json) {
		fprintf(stderr, "kft: out of memory\n");
		goto out;
	}
	snprintf(name, sizeof(name), "kft-volume-%zu", k);
	n = (size_t)sprintf(json, "{\"name\":\"%s\",\"hostPath\":{\"path\":\"", name);
	for (p = host; *p; p++) {
		if ((unsigned char)*p < 0x20) {
			fprintf(stderr, "kft: --volume: control characters in the host path\n");
			rc = -2;
			goto out;
		}
		if (*p == '"' || *p == '\\')
			json[n++] = '\\';
		json[n++] = *p;
	}
	strcpy(json + n, "\"}}");
	if (kft_spec_add_volume(spec, NULL, json) < 0 ||
	    kft_spec_add_volume_mount(spec, NULL, NULL, name, dest, ro) < 0)
		goto out;
	rc = 0;
out:
	free(host);
	free(dest);
	free(json);
	return rc;
}

/*
 * --dataset/--model take a URI or a local path. A path becomes a file:// URI
 * of its absolute form, since the API requires scheme://... (Trainer v2.3 CEL).
 */
static int set_initializer_uri(kft_spec_t *spec, int which, const char *arg)
{
	char *abs, *uri;
	int rc;

	size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	/* "scheme:..." is a URI (validation judges it), anything else a path */
	if (n > 0 && arg[n] == ':')
		return kft_spec_set_initializer(spec, which, arg);
	if ((abs = realpath(arg, NULL)) == NULL) {
		fprintf(stderr, "kft: %s: %s: no such file or directory (give a path or a URI such as "
		        "hf://org/name)\n", which == KFT_INITIALIZER_DATASET ? "--dataset" : "--model", arg);
		return KFT_EINVALID;
	}
	if ((uri = malloc(strlen(abs) + 8)) == NULL) {
		free(abs);
		return KFT_ENOMEM;
	}
	sprintf(uri, "file://%s", abs);
	rc = kft_spec_set_initializer(spec, which, uri);
	free(uri);
	free(abs);
	return rc;
}

/* Split s on ',' into a NULL-terminated vector of strdup'd pieces (one block). */
static char **split_commas(const char *s, size_t *n)
{
	size_t count = 1, len = strlen(s), k = 0;
	const char *p;
	char **v, *copy, *tok;

	for (p = s; *p; p++)
		count += *p == ',';
	if ((v = malloc((count + 1) * sizeof(*v) + len + 1)) == NULL)
		return NULL;
	copy = (char *)(v + count + 1);
	memcpy(copy, s, len + 1);
	for (tok = copy;; tok++) {
		char *comma = strchr(tok, ',');

		v[k++] = tok;
		if (!comma)
			break;
		*comma = '\0';
		tok = comma;
	}
	v[k] = NULL;
	*n = k;
	return v;
}

static long long tt_i64(long long v)
{
	return v == UNSET_LL ? KFT_UNSET : v;
}

/* The TorchTune flags as a kft_torchtune_config_t, set on spec. Prints errors. */
static int tt_apply(kft_spec_t *spec, const cli_job *j)
{
	kft_torchtune_config_t c = KFT_TORCHTUNE_CONFIG_INIT;
	char **mods = NULL, **pairs = NULL;
	const char **keys = NULL, **vals = NULL;
	size_t nmods = 0, npairs = 0, k;
	int rc = -1;

	c.dtype = j->dtype;
	c.batch_size = tt_i64(j->batch_size);
	c.epochs = tt_i64(j->epochs);
	c.loss = j->loss;
	c.lora = j->lora || j->qlora || j->dora;
	c.apply_lora_to_mlp = j->lora_mlp < 0 ? KFT_UNSET : j->lora_mlp;
	c.apply_lora_to_output = j->lora_output < 0 ? KFT_UNSET : j->lora_output;
	c.lora_rank = tt_i64(j->lora_rank);
	c.lora_alpha = tt_i64(j->lora_alpha);
	if (!isnan(j->lora_dropout))
		c.lora_dropout = j->lora_dropout;
	if (j->qlora)
		c.quantize_base = 1;
	if (j->dora)
		c.use_dora = 1;
	c.dataset_source = j->ds_source;
	c.dataset_split = j->ds_split;
	c.train_on_input = j->train_on_input < 0 ? KFT_UNSET : j->train_on_input;
	c.new_system_prompt = j->system_prompt;
	if (j->attn_modules) {
		if ((mods = split_commas(j->attn_modules, &nmods)) == NULL)
			goto out;
		c.lora_attn_modules = (const char *const *)mods;
		c.nlora_attn_modules = nmods;
	}
	if (j->column_map) {
		if ((pairs = split_commas(j->column_map, &npairs)) == NULL ||
		    (keys = calloc(npairs, sizeof(*keys))) == NULL ||
		    (vals = calloc(npairs, sizeof(*vals))) == NULL)
			goto out;
		for (k = 0; k < npairs; k++) {
			char *eq = strchr(pairs[k], '=');

			if (!eq || eq == pairs[k]) {
				fprintf(stderr, "kft: --column-map: expected IN=OUT[,IN=OUT...], got \"%s\"\n",
				        j->column_map);
				rc = -2;
				goto out;
			}
			*eq = '\0';
			keys[k] = pairs[k];
			vals[k] = eq + 1;
		}
		c.column_map_keys = keys;
		c.column_map_values = vals;
		c.ncolumn_map = npairs;
	}
	if (kft_spec_set_torchtune(spec, &c) == 0)
		rc = 0;
	else
		cli_error("invalid TorchTune flags");
out:
	free(mods);
	free(pairs);
	free(keys);
	free(vals);
	return rc;
}

/* Each KEY=VALUE of a repeated flag (--env, --resource, --label, --annotation) through set. */
static int set_each(kft_spec_t *spec, const kvlist *l,
                    int (*set)(kft_spec_t *spec, const char *key, const char *value))
{
	size_t k;

	for (k = 0; k < l->n; k++)
		if (set(spec, l->v[k].key, l->v[k].val) < 0)
			return -1;
	return 0;
}

int cli_job_build(kft_spec_t **out, cli_job *j, char **cmd, int ncmd)
{
	kft_spec_t *spec = NULL;
	size_t k;

	*out = NULL;
	if (j->file) {
		int rc = cli_job_from_file(&spec, j->file, j->runtime, j->trainer_version, j->name);

		if (rc != 0)
			return rc;
	} else if (kft_spec_new(&spec) < 0) {
		return cli_error("cannot create a TrainJob");
	}
	if (j->name)
		CHECK(kft_spec_set_name(spec, j->name));
	if (j->runtime || !kft_spec_runtime_name(spec))
		CHECK(kft_spec_set_runtime(spec, j->runtime ? j->runtime :
		      (kft_spec_runtime_name(spec) ? kft_spec_runtime_name(spec) : "torch-distributed"),
		      j->runtime_kind));
	else if (j->runtime_kind)
		CHECK(kft_spec_set_runtime(spec, kft_spec_runtime_name(spec), j->runtime_kind));
	if (j->image)
		CHECK(kft_spec_set_image(spec, j->image));
	if (j->nodes != UNSET_LL)
		CHECK(kft_spec_set_num_nodes(spec, j->nodes));
	if (j->nproc != UNSET_LL)
		CHECK(kft_spec_set_num_proc_per_node(spec, j->nproc));
	if (j->python)   /* before --env: an explicit KFT_PYTHON=... wins */
		CHECK(kft_spec_set_env(spec, "KFT_PYTHON", j->python));
	CHECK(set_each(spec, &j->env, kft_spec_set_env));
	CHECK(set_each(spec, &j->resources, kft_spec_set_resource));
	if (j->gpu)
		CHECK(kft_spec_set_resource(spec, "gpu", j->gpu));
	if (j->cpu)
		CHECK(kft_spec_set_resource(spec, "cpu", j->cpu));
	if (j->memory)
		CHECK(kft_spec_set_resource(spec, "memory", j->memory));
	CHECK(set_each(spec, &j->labels, kft_spec_set_label));
	CHECK(set_each(spec, &j->annotations, kft_spec_set_annotation));
	if (j->queue)
		CHECK(kft_spec_set_label(spec, "kueue.x-k8s.io/queue-name", j->queue));
	if (j->priority)
		CHECK(kft_spec_set_label(spec, "kueue.x-k8s.io/priority-class", j->priority));
	if (j->dataset)
		CHECK(set_initializer_uri(spec, KFT_INITIALIZER_DATASET, j->dataset));
	if (j->model)
		CHECK(set_initializer_uri(spec, KFT_INITIALIZER_MODEL, j->model));
	for (k = 0; k < j->dataset_env.n; k++)
		CHECK(kft_spec_set_initializer_env(spec, KFT_INITIALIZER_DATASET, j->dataset_env.v[k].key,
		                                   j->dataset_env.v[k].val));
	for (k = 0; k < j->model_env.n; k++)
		CHECK(kft_spec_set_initializer_env(spec, KFT_INITIALIZER_MODEL, j->model_env.v[k].key,
		                                   j->model_env.v[k].val));
	if (j->deadline != UNSET_LL)
		CHECK(kft_spec_set_active_deadline(spec, j->deadline));
	if (j->suspend == 1)
		CHECK(kft_spec_set_suspend(spec, 1));
	if (j->managed_by)
		CHECK(kft_spec_set_managed_by(spec, j->managed_by));
	for (k = 0; k < j->node_selector.n; k++)
		CHECK(kft_spec_set_node_selector(spec, NULL, j->node_selector.v[k].key,
		                                 j->node_selector.v[k].val));
	for (k = 0; k < j->nvolumes; k++) {
		int vr = add_volume_flag(spec, j->volumes[k], k);

		if (vr == -2)
			goto usage;
		CHECK(vr);
	}
	{
		/*
		 * A torchtune-* runtime takes a BuiltinTrainer (a TorchTune config, maybe
		 * empty), never a command or script (CustomTrainer), as in the SDK. The
		 * library refuses TorchTune flags on a runtime of another framework.
		 */
		const char *rt = kft_spec_runtime_name(spec);
		int custom = j->script || j->code_dir || ncmd > 0;
		int tt_runtime = rt && !strncmp(rt, "torchtune-", 10);
		char *fcmd = NULL;

		if (tt_runtime && custom) {
			fprintf(stderr, "kft: CustomTrainer can't be used with %s runtime (it takes a "
			        "TorchTune config: --lora, --epochs, ...; not a command or --script)\n", rt);
			goto usage;
		}
		if (j->any_tt && custom) {
			fprintf(stderr, "kft: TorchTune flags (a BuiltinTrainer) can't be combined with a "
			        "command or --script (a CustomTrainer)\n");
			goto usage;
		}
		/* a TrainJob file with its own trainer command keeps it unless flags are given */
		if (tt_runtime && !j->any_tt && j->file &&
		    kft_spec_get_json(&fcmd, spec, "spec.trainer.command") == 0) {
			kft_free(fcmd);
		} else if (j->any_tt || tt_runtime) {
			int r = tt_apply(spec, j);

			if (r == -2)
				goto usage;
			if (r < 0) {
				kft_spec_free(spec);
				return EXIT_ERR;
			}
		}
	}
	if (j->script || j->code_dir) {
		kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;

		if (!j->script) {
			fprintf(stderr, "kft: --code-dir needs --script (the entry point)\n");
			goto usage;
		}
		so.script_path = j->script;
		so.packages = j->packages;
		so.npackages = j->npackages;
		so.pip_index_urls = j->index_urls;
		so.npip_index_urls = j->nindex;
		so.code_dir = j->code_dir;
		if (ncmd > 0) {
			so.script_args = (const char *const *)cmd;
			so.nscript_args = (size_t)ncmd;
		}
		CHECK(kft_spec_set_script(spec, &so));
	} else if (ncmd > 0) {
		CHECK(kft_spec_set_command(spec, (const char *const *)cmd, (size_t)ncmd));
	} else if (j->npackages || j->nindex) {
		fprintf(stderr, "kft: --package and --pip-index-url need --script\n");
		goto usage;
	}
	*out = spec;
	return 0;
fail:
	kft_spec_free(spec);
	return cli_error("invalid job flags");
usage:
	kft_spec_free(spec);
	return EXIT_USAGE;
}
