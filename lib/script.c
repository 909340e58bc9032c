/*
 * Script and code-directory trainers: a local Python script (and optionally a
 * directory, packed as tar.gz + base64) embedded into spec.trainer.command so
 * the job needs no image build.
 *
 * The script travels in a *quoted* heredoc with a delimiter that does not
 * occur as a line of the script, is read with `read -r -d ''` (no expansion,
 * trailing newlines kept) and written with printf minus the one newline the
 * heredoc adds. Scripts that are not printable UTF-8 travel as base64.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "larchive.h"
#include "codeignore.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Item size limit of spec.trainer.command in Trainer v2.2 (65536; v2.3+ allows 1 MiB). */
#define KFT__ARG_MAX_V22 65536
#define KFT__ARG_MAX 1048576

static int add_strings(cJSON *obj, const char *key, const char *const *v, size_t n)
{
	cJSON *arr;
	size_t i;

	if (!n)
		return 0;
	KFT_ASSERT_ARG(v);
	KFT_CHECK_ALLOC(arr = cJSON_AddArrayToObject(obj, key));
	for (i = 0; i < n; i++) {
		if (!v[i])
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "%s[%zu]: NULL", key, i);
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(v[i])))
			return kft__error_oom();
	}
	return 0;
}

/* ---- code directory -> tar.gz in memory ---- */

typedef struct {
	kft__buf out;
} mem_sink;

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf, size_t n)
{
	mem_sink *s = data;

	(void)a;
	return kft__buf_put(&s->out, buf, n) == 0 ? (la_ssize_t)n : -1;
}

static int pack_dir(const kft__archive_api *A, struct archive *ar, const char *root,
                    const char *rel, kft__ignore *ig)
{
	char *dirpath = rel[0] ? kft__path_join(root, rel) : kft__strdup(root);
	struct dirent **ents = NULL;
	int n, i, error = 0;

	KFT_CHECK_ALLOC(dirpath);
	n = scandir(dirpath, &ents, NULL, alphasort);
	if (n < 0) {
		error = kft__error_os(KFT_EINVALID, "code directory %s", dirpath);
		free(dirpath);
		return error;
	}
	/* this directory's .gitignore/.kftignore apply below it, until we leave */
	if ((error = kft__ignore_push(ig, root, rel)) < 0) {
		for (i = 0; i < n; i++)
			free(ents[i]);
		free(ents);
		free(dirpath);
		return error;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *full = NULL, *relp = NULL;
		struct stat st;

		if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, ".git") ||
		    !strcmp(name, "__pycache__") || error)
			goto next;
		full = kft__path_join(dirpath, name);
		relp = rel[0] ? kft__path_join(rel, name) : kft__strdup(name);
		if (!full || !relp) {
			error = kft__error_oom();
			goto next;
		}
		if (lstat(full, &st) < 0) {
			error = kft__error_os(KFT_ERROR, "cannot stat %s", full);
			goto next;
		}
		{
			const char *why = kft__ignore_secret(name, S_ISREG(st.st_mode) ? full : NULL,
			                                     S_ISDIR(st.st_mode));
			int m = why ? 0 : kft__ignore_match(ig, relp, S_ISDIR(st.st_mode));

			if (m < 0) {
				error = m;
				goto next;
			}
			if (m)
				why = "ignored by .gitignore/.kftignore";
			if (why) {
				kft__log(KFT_DIAG_INFO, "code directory: skipped %s%s (%s)", relp,
				         S_ISDIR(st.st_mode) ? "/" : "", why);
				goto next;
			}
		}
		if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
			struct archive_entry *e = A->entry_new();

			if (!e) {
				error = kft__error_oom();
				goto next;
			}
			A->entry_set_pathname(e, relp);
			A->entry_set_mode(e, S_ISDIR(st.st_mode) ? (AE_IFDIR | 0755) :
			                       (AE_IFREG | (st.st_mode & 0111 ? 0755 : 0644)));
			A->entry_set_size(e, S_ISREG(st.st_mode) ? st.st_size : 0);
			A->entry_set_mtime(e, 0, 0);   /* reproducible */
			if (A->write_header(ar, e) != ARCHIVE_OK) {
				error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "archive %s: %s", relp,
				                       A->error_string(ar));
			} else if (S_ISREG(st.st_mode)) {
				char *data;
				size_t len;

				if ((error = kft__read_file(&data, &len, full)) == 0) {
					if (A->write_data(ar, data, len) < 0)
						error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "archive %s: %s",
						                       relp, A->error_string(ar));
					free(data);
				}
			}
			A->entry_free(e);
			if (!error && S_ISDIR(st.st_mode))
				error = pack_dir(A, ar, root, relp, ig);
		} else {
			kft__log(KFT_DIAG_WARN, "code directory: skipping %s (not a regular file)", full);
		}
next:
		free(full);
		free(relp);
		free(ents[i]);
	}
	kft__ignore_pop(ig);
	free(ents);
	free(dirpath);
	return error;
}

static int pack_code_dir(char **b64, const char *dir)
{
	const kft__archive_api *A = kft__archive();
	struct archive *ar;
	mem_sink sink = { KFT__BUF_INIT };
	struct stat st;
	int error = 0;

	*b64 = NULL;
	if (!A)
		return KFT_ERROR;   /* the error names the library */
	KFT_CHECK_ALLOC(ar = A->write_new());
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		A->write_free(ar);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "code directory: %s is not a directory", dir);
	}
	A->write_add_filter_gzip(ar);
	A->write_set_format_pax_restricted(ar);
	A->write_set_filter_option(ar, "gzip", "timestamp", NULL);
	if (A->write_open2(ar, &sink, NULL, sink_write, NULL, NULL) != ARCHIVE_OK) {
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "archive: %s", A->error_string(ar));
	} else {
		kft__ignore *ig = NULL;

		if ((error = kft__ignore_new(&ig)) == 0)
			error = pack_dir(A, ar, dir, "", ig);
		kft__ignore_free(ig);
		if (A->write_close(ar) != ARCHIVE_OK && !error)
			error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "archive: %s",
			                       A->error_string(ar));
	}
	A->write_free(ar);
	if (!error && (*b64 = kft__base64_encode((unsigned char *)sink.out.ptr, sink.out.len)) == NULL)
		error = kft__error_oom();
	kft__buf_free(&sink.out);
	return error;
}

/* ---- the pending script (stored on the spec as JSON) ---- */

int kft__script_make(cJSON **out, const kft_script_opts_t *opts);
int kft__script_make(cJSON **out, const kft_script_opts_t *opts)
{
	cJSON *s;
	char *text = NULL, *b64 = NULL;
	size_t len = 0;
	const char *fname = "train.py";
	int error = 0;

	*out = NULL;
	if (!opts->script && !opts->script_path)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "script trainer: script or script_path is required");
	if (opts->script) {
		len = opts->script_len ? opts->script_len : strlen(opts->script);
		KFT_CHECK_ALLOC(text = kft__strndup(opts->script, len));
	} else {
		if ((error = kft__read_file(&text, &len, opts->script_path)) < 0) {
			kft__error_prefix("script");
			return error;
		}
		fname = strrchr(opts->script_path, '/') ? strrchr(opts->script_path, '/') + 1 :
		        opts->script_path;
	}
	if (memchr(text, '\0', len)) {
		free(text);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "script: contains a NUL byte (not a text file)");
	}
	if ((s = cJSON_CreateObject()) == NULL) {
		free(text);
		return kft__error_oom();
	}
	if (!cJSON_AddStringToObject(s, "file", fname) || !cJSON_AddStringToObject(s, "text", text))
		error = kft__error_oom();
	free(text);
	if (!error)
		error = add_strings(s, "packages", opts->packages, opts->npackages);
	if (!error)
		error = add_strings(s, "indexUrls", opts->pip_index_urls, opts->npip_index_urls);
	if (!error)
		error = add_strings(s, "args", opts->script_args, opts->nscript_args);
	if (!error && opts->code_dir) {
		if ((error = pack_code_dir(&b64, opts->code_dir)) == 0) {
			if (strlen(b64) > KFT__ARG_MAX - 4096)
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "code directory %s: packed size %zu bytes exceeds the "
				                       "TrainJob argument limit (spec.trainer.command items "
				                       "are at most %d bytes); ship it in the image or a "
				                       "dataset initializer instead", opts->code_dir,
				                       strlen(b64), KFT__ARG_MAX);
			else if (!cJSON_AddStringToObject(s, "codeTarGzBase64", b64))
				error = kft__error_oom();
		}
		free(b64);
	}
	if (error) {
		cJSON_Delete(s);
		return error;
	}
	*out = s;
	return 0;
}

/* A heredoc delimiter that is not a line of text. */
static char *pick_delimiter(const char *text)
{
	kft__buf d = KFT__BUF_INIT;
	int i;

	for (i = 0; ; i++) {
		const char *p = text;
		int clash = 0;

		kft__buf_clear(&d);
		if (i == 0)
			kft__buf_puts(&d, "__KFT_EMBEDDED_SCRIPT__");
		else
			kft__buf_printf(&d, "__KFT_EMBEDDED_SCRIPT_%d__", i);
		if (d.oom)
			break;
		while (p && *p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);

			if (n == d.len && !memcmp(p, d.ptr, n)) {
				clash = 1;
				break;
			}
			p = nl ? nl + 1 : NULL;
		}
		if (!clash)
			break;
	}
	return kft__buf_detach(&d);
}

static void put_array(kft__buf *b, const char *name, const cJSON *arr)
{
	const cJSON *it;

	kft__buf_printf(b, "%s=(", name);
	cJSON_ArrayForEach(it, arr) {
		kft__buf_putc(b, ' ');
		kft__buf_put_shquoted(b, it->valuestring);
	}
	kft__buf_puts(b, " )\n");
}

int kft__script_expand(cJSON *doc, const cJSON *script, const kft_runtime_t *rt);
int kft__script_expand(cJSON *doc, const cJSON *script, const kft_runtime_t *rt)
{
	const char *policy = rt ? kft_runtime_policy(rt) : "torch";
	const char *text = kft__json_str(script, "text"), *file = kft__json_str(script, "file");
	const char *code = kft__json_str(script, "codeTarGzBase64");
	const cJSON *pkgs = kft__json_get(script, "packages"), *idx = kft__json_get(script, "indexUrls");
	const cJSON *args = kft__json_get(script, "args"), *it;
	int mpi = kft__streq(policy, "mpi");
	kft__buf b = KFT__BUF_INIT;
	cJSON *trainer, *cmd;
	char *delim = NULL;
	int error = 0;

	KFT_ASSERT_ARG(text && file);
	kft__buf_puts(&b, "set -e\n");
	/* Work in a private directory: under MPI every rank writes its own copy. */
	kft__buf_puts(&b, "KFT_DIR=$(mktemp -d \"${TMPDIR:-/tmp}/kft-script.XXXXXX\")\n"
	                  "cd \"$KFT_DIR\"\n"
	                  "KFT_PY=${KFT_PYTHON:-$(command -v python3 || command -v python)}\n");
	if (cJSON_GetArraySize(pkgs) > 0) {
		put_array(&b, "KFT_PACKAGES", pkgs);
		put_array(&b, "KFT_INDEX", idx);
		kft__buf_puts(&b,
			"KFT_PIP_OPTS=()\n"
			"for i in \"${!KFT_INDEX[@]}\"; do\n"
			"  if [ \"$i\" = 0 ]; then KFT_PIP_OPTS+=(--index-url \"${KFT_INDEX[$i]}\");\n"
			"  else KFT_PIP_OPTS+=(--extra-index-url \"${KFT_INDEX[$i]}\"); fi\n"
			"done\n"
			"\"$KFT_PY\" -m pip --version >/dev/null 2>&1 || \"$KFT_PY\" -m ensurepip --upgrade >/dev/null 2>&1 || true\n"
			"export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_BREAK_SYSTEM_PACKAGES=1\n"
			"if \"$KFT_PY\" -m pip install --quiet --no-warn-script-location --user \"${KFT_PIP_OPTS[@]}\" \"${KFT_PACKAGES[@]}\" >pip_install.log 2>&1; then\n"
			"  echo \"kft: installed ${KFT_PACKAGES[*]} (user)\"\n"
			"elif \"$KFT_PY\" -m pip install --quiet --no-warn-script-location \"${KFT_PIP_OPTS[@]}\" \"${KFT_PACKAGES[@]}\" >>pip_install.log 2>&1; then\n"
			"  echo \"kft: installed ${KFT_PACKAGES[*]} (system)\"\n"
			"else\n"
			"  echo \"kft: pip install failed:\" >&2; cat pip_install.log >&2; exit 1\n"
			"fi\n");
	}
	if (code)
		kft__buf_printf(&b, "printf '%%s' '%s' | base64 -d | tar -xzf - -C \"$KFT_DIR\"\n", code);
	if (kft__utf8_printable(text)) {
		KFT_CHECK_ALLOC(delim = pick_delimiter(text));
		kft__buf_printf(&b, "IFS= read -r -d '' KFT_SCRIPT <<'%s' || true\n", delim);
		kft__buf_puts(&b, text);
		kft__buf_printf(&b, "\n%s\n", delim);
		kft__buf_puts(&b, "printf '%s' \"${KFT_SCRIPT%?}\" > ");
	} else {
		char *enc = kft__base64_encode((const unsigned char *)text, strlen(text));

		KFT_CHECK_ALLOC(enc);
		kft__buf_printf(&b, "printf '%%s' '%s' | base64 -d > ", enc);
		free(enc);
	}
	kft__buf_put_shquoted(&b, file);
	kft__buf_putc(&b, '\n');
	/* KFT_PYTHON (kft train --python, the Python binding's sys.executable): that
	 * interpreter's own torch.distributed.run instead of the torchrun on PATH */
	if (kft__streq(policy, "torch"))
		kft__buf_puts(&b, "if [ -n \"${KFT_PYTHON:-}\" ]; then KFT_RUN=(\"$KFT_PY\" -m "
		                  "torch.distributed.run); else KFT_RUN=(torchrun); fi\n"
		                  "exec \"${KFT_RUN[@]}\" ");
	else
		kft__buf_puts(&b, "exec \"$KFT_PY\" ");
	kft__buf_put_shquoted(&b, file);
	cJSON_ArrayForEach(it, args) {
		kft__buf_putc(&b, ' ');
		kft__buf_put_shquoted(&b, it->valuestring);
	}
	kft__buf_puts(&b, "\n");
	free(delim);
	if (b.oom)
		return kft__error_oom();
	if ((trainer = kft__json_path_mkobj(doc, "spec.trainer")) == NULL ||
	    (cmd = cJSON_CreateArray()) == NULL) {
		kft__buf_free(&b);
		return kft__error_oom();
	}
	if (mpi) {
		cJSON_AddItemToArray(cmd, cJSON_CreateString("mpirun"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString("--hostfile"));
		cJSON_AddItemToArray(cmd, cJSON_CreateString("/etc/mpi/hostfile"));
	}
	cJSON_AddItemToArray(cmd, cJSON_CreateString("bash"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString("-c"));
	cJSON_AddItemToArray(cmd, cJSON_CreateString(b.ptr));
	kft__buf_free(&b);
	error = kft__json_set(trainer, "command", cmd);
	cJSON_DeleteItemFromObjectCaseSensitive(trainer, "args");
	return error;
}
