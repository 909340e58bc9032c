/*
 * The flag tables at work: parsing, --help, and completion for bash, zsh and
 * fish. The shell scripts are thin: they hand the words to `kft __complete`,
 * which answers from the same tables (and asks the backend for job names,
 * runtimes and steps). SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cli_parse_ll(long long *out, const cli_flag *f, const char *s, long long min)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!errno && *end == '\0' && end != s && v >= min && v > CLI_LL_MAX) {
		/* seconds become milliseconds: a bound far past any real value keeps that exact */
		fprintf(stderr, "kft: --%s: at most %lld, got \"%s\"\n", f->name, CLI_LL_MAX, s);
		return -1;
	}
	if (errno || *end || end == s || v < min || v < -CLI_LL_MAX) {
		if (min == 0)
			fprintf(stderr, "kft: --%s: expected a whole number >= 0, got \"%s\"\n", f->name, s);
		else if (min == 1)
			fprintf(stderr, "kft: --%s: expected a whole number >= 1, got \"%s\"\n", f->name, s);
		else
			fprintf(stderr, "kft: --%s: expected an integer from %lld, got \"%s\"\n", f->name,
			        min > -CLI_LL_MAX ? min : -CLI_LL_MAX, s);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---------------- lookup ---------------- */

extern const cli_group cli_global_group;

/* The flag that `arg` names in g ("--name", "--name=v", "-n"); *inline_v: the "=v" part. */
static const cli_flag *match(const cli_group *g, const char *arg, const char **inline_v)
{
	const cli_flag *f;

	*inline_v = NULL;
	if (arg[0] != '-' || !arg[1])
		return NULL;
	for (f = g->flags; f->name; f++) {
		if (arg[1] == '-') {
			size_t n = strlen(f->name);

			if (strncmp(arg + 2, f->name, n))
				continue;
			if (arg[2 + n] == '\0')
				return f;
			if (arg[2 + n] == '=' && f->arg) {
				*inline_v = arg + 3 + n;
				return f;
			}
		} else if (f->short_name && arg[1] == f->short_name && arg[2] == '\0') {
			return f;
		}
	}
	return NULL;
}

/* The groups of cmd, then the global flags; NULL-terminated. */
static size_t all_groups(const cli_group **out, const cli_command *cmd)
{
	size_t n = 0, k;

	for (k = 0; cmd && k < CLI_MAX_GROUPS && cmd->groups[k]; k++)
		out[n++] = cmd->groups[k];
	out[n++] = &cli_global_group;
	out[n] = NULL;
	return n;
}

static const cli_flag *find_flag(const cli_command *cmd, const char *arg, const char **inline_v,
                                 size_t *group)
{
	const cli_group *gs[CLI_MAX_GROUPS + 2];
	const cli_flag *f;
	size_t k;

	all_groups(gs, cmd);
	for (k = 0; gs[k]; k++)
		if ((f = match(gs[k], arg, inline_v)) != NULL) {
			*group = k;
			return f;
		}
	return NULL;
}

static int flag_label(char *buf, size_t len, const cli_flag *f)
{
	if (f->short_name)
		return snprintf(buf, len, "-%c, --%s%s%s", f->short_name, f->name, f->arg ? " " : "",
		                f->arg ? f->arg : "");
	return snprintf(buf, len, "--%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
}

/* "a, b or c" on stderr, from "a b c" */
static void say_values(const char *values)
{
	const char *p = values;

	while (*p) {
		size_t m = strcspn(p, " ");

		fprintf(stderr, "%s%.*s", p == values ? "" : strchr(p + m, ' ') ? ", " : " or ", (int)m,
		        p);
		p += m + (p[m] == ' ');
	}
}

/* Is v one of f->values (each item of a comma list with CLI_F_LIST)? Says why not. */
static int check_enum(const cli_flag *f, const char *v)
{
	const char *item = v;

	for (;;) {
		size_t n = (f->flags & CLI_F_LIST) ? strcspn(item, ",") : strlen(item);
		const char *p = f->values;
		int ok = 0;

		while (*p && !ok) {
			size_t m = strcspn(p, " ");

			ok = n && m == n && !strncasecmp(p, item, n);
			p += m + (p[m] == ' ');
		}
		if (!ok) {
			fprintf(stderr, "kft: --%s: expected %s", f->name,
			        (f->flags & CLI_F_LIST) ? "a comma-separated list of " : "");
			say_values(f->values);
			fprintf(stderr, ", got \"%.*s\"\n", (int)n, item);
			return -1;
		}
		if (!(f->flags & CLI_F_LIST) || item[n] != ',')
			return 0;
		item += n + 1;
	}
}

/* ---------------- parsing ---------------- */

static int is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

/* One flag at argv[*i] (known to be f); 0 or -1 (said why). */
static int take(const cli_group *g, void *ctx, const cli_flag *f, const char *inline_v, int argc,
                char **argv, int *i)
{
	const char *v = NULL;

	if (f->arg) {
		if (inline_v) {
			v = inline_v;
		} else if (*i + 1 < argc) {
			v = argv[++*i];
		} else {
			fprintf(stderr, "kft: --%s needs a value (%s)\n", f->name, f->arg);
			return -1;
		}
		if (f->complete == CLI_COMP_ENUM && !(f->flags & CLI_F_OPEN) && check_enum(f, v) < 0)
			return -1;
	}
	return g->set(ctx, f, v);
}

int cli_global_flag(int argc, char **argv, int *i)
{
	const char *iv;
	const cli_flag *f = match(&cli_global_group, argv[*i], &iv);

	if (!f)
		return 0;
	return take(&cli_global_group, NULL, f, iv, argc, argv, i) < 0 ? -1 : 1;
}

int cli_parse(cli_args *a, const cli_command *cmd, int argc, char **argv, void *const *ctx)
{
	const cli_group *gs[CLI_MAX_GROUPS + 2];
	int i, n = 1;

	memset(a, 0, sizeof(*a));
	all_groups(gs, cmd);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (is_help(argv[i])) {
			cli_command_help(stdout, cmd);
			a->exit = 0;
			return 1;
		}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *iv;
		const cli_flag *f;
		size_t g;

		if (!strcmp(arg, "--")) {
			if (cmd->takes_rest) {
				a->rest = argv + i + 1;
				a->nrest = argc - i - 1;
				break;
			}
			for (i++; i < argc; i++)
				argv[n++] = argv[i];
			break;
		}
		if (arg[0] == '-' && arg[1]) {
			if ((f = find_flag(cmd, arg, &iv, &g)) == NULL) {
				fprintf(stderr, "kft %s: unknown flag \"%s\" (see kft %s --help)\n", cmd->name,
				        arg, cmd->name);
				goto usage;
			}
			if (take(gs[g], gs[g] == &cli_global_group ? NULL : ctx[g], f, iv, argc, argv,
			         &i) < 0)
				goto usage;
			continue;
		}
		argv[n++] = argv[i];   /* n <= i: moves operands down, never over the rest */
	}
	a->ops = argv + 1;
	a->nops = n - 1;
	if (cmd->max_operands >= 0 && a->nops > cmd->max_operands) {
		fprintf(stderr, "kft %s: unexpected argument \"%s\" (see kft %s --help)\n", cmd->name,
		        a->ops[cmd->max_operands], cmd->name);
		goto usage;
	}
	if (cmd->operand_kind == CLI_COMP_ENUM && a->nops > 0) {
		cli_flag pseudo = { cmd->name, 0, "", NULL, CLI_COMP_ENUM, cmd->operand_values, 0, 0 };

		if (check_enum(&pseudo, a->ops[0]) < 0)
			goto usage;
	}
	return 0;
usage:
	a->exit = EXIT_USAGE;
	return 1;
}

/* ---------------- help ---------------- */

#define HELP_COL 28

static void print_flag(FILE *out, const cli_flag *f)
{
	char label[128];
	const char *h = f->help, *nl;
	int n = flag_label(label, sizeof(label), f);

	if (n + 2 >= HELP_COL - 1)
		fprintf(out, "  %s\n%*s", label, HELP_COL, "");
	else
		fprintf(out, "  %-*s", HELP_COL - 2, label);
	while ((nl = strchr(h, '\n')) != NULL) {
		fprintf(out, "%.*s\n%*s", (int)(nl - h), h, HELP_COL, "");
		h = nl + 1;
	}
	fprintf(out, "%s%s\n", h, (f->flags & CLI_F_REPEAT) ? " (repeatable)" : "");
}

static void print_group(FILE *out, const cli_group *g)
{
	const cli_flag *f;

	fprintf(out, "\n%s:\n", g->title);
	if (g->intro)
		fprintf(out, "%s\n", g->intro);
	for (f = g->flags; f->name; f++)
		print_flag(out, f);
}

void cli_command_help(FILE *out, const cli_command *cmd)
{
	const cli_group *gs[CLI_MAX_GROUPS + 2];
	size_t k;

	all_groups(gs, cmd);
	fprintf(out, "Usage: kft %s%s%s%s%s\n\n%s\n", cmd->name, gs[1] ? " [FLAGS]" : "",
	        *cmd->operands ? " " : "", cmd->operands, cmd->takes_rest ? " [-- CMD ARGS...]" : "",
	        cmd->about);
	for (k = 0; gs[k]; k++)
		print_group(out, gs[k]);
}

void cli_usage(FILE *out)
{
	const cli_command *c;

	fputs("Usage: kft [GLOBAL FLAGS] COMMAND [ARGS]\n\n"
	      "Run Kubeflow Trainer v2 TrainJobs on this machine (processes or containers) or on a\n"
	      "Kubernetes cluster, with one API.\n\nCommands:\n", out);
	for (c = cli_commands; c->name; c++) {
		char syn[64];

		if (c->hidden)
			continue;
		snprintf(syn, sizeof(syn), "%s%s%s", c->name, *c->operands ? " " : "", c->operands);
		if (strlen(syn) + 2 >= HELP_COL - 1)
			fprintf(out, "  %s\n%*s%s\n", syn, HELP_COL, "", c->summary);
		else
			fprintf(out, "  %-*s%s\n", HELP_COL - 2, syn, c->summary);
	}
	print_group(out, &cli_global_group);
	fputs("\nA long flag's value may also be given as --flag=VALUE.\n"
	      "Exit status: 0 ok, 1 error, 2 usage, 3 job failed, 4 timeout, 130/143 interrupted\n"
	      "(Ctrl-C/SIGTERM; the job keeps running).\n"
	      "Run 'kft COMMAND --help' for a command's flags.\n", out);
}

const cli_command *cli_find_command(const char *name)
{
	const cli_command *c;

	for (c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* ---------------- completion ---------------- */

/* One candidate, if it starts with cur; desc after a tab (fish and zsh show it). */
static void offer(const char *cur, const char *word, const char *desc)
{
	if (strncmp(word, cur, strlen(cur)))
		return;
	if (desc && *desc) {
		size_t n = strcspn(desc, "\n");

		printf("%s\t%.*s\n", word, (int)n, desc);
	} else {
		printf("%s\n", word);
	}
}

static void offer_words(const char *cur, const char *words, char sep)
{
	char w[128];

	while (*words) {
		size_t n = strcspn(words, sep == ' ' ? " " : ",");

		if (n < sizeof(w)) {
			memcpy(w, words, n);
			w[n] = '\0';
			offer(cur, w, NULL);
		}
		words += n + (words[n] != '\0');
	}
}

static void offer_flags(const cli_command *cmd, const char *cur)
{
	const cli_group *gs[CLI_MAX_GROUPS + 2];
	const cli_flag *f;
	size_t k;
	char w[80];

	all_groups(gs, cmd);
	for (k = 0; gs[k]; k++)
		for (f = gs[k]->flags; f->name; f++) {
			snprintf(w, sizeof(w), "--%s", f->name);
			offer(cur, w, f->help);
			if (f->short_name) {
				snprintf(w, sizeof(w), "-%c", f->short_name);
				offer(cur, w, f->help);
			}
		}
}

/* Values of a kind; job: the job the command names (for steps). */
static int offer_kind(int kind, const char *values, int list, const char *cur, const char *job)
{
	kft_client_t *c = NULL;
	size_t k;

	switch (kind) {
	case CLI_COMP_FILE:
		puts(":file");
		return 0;
	case CLI_COMP_DIR:
		puts(":dir");
		return 0;
	case CLI_COMP_ENUM:
		if (list && strchr(cur, ',')) {
			/* complete the last item of a comma list: offer "done,NEXT" */
			const char *last = strrchr(cur, ',') + 1, *p = values;
			char w[256];

			while (*p) {
				size_t n = strcspn(p, " ");

				if (!strncasecmp(p, last, strlen(last)) &&
				    (size_t)(last - cur) + n < sizeof(w)) {
					snprintf(w, sizeof(w), "%.*s%.*s", (int)(last - cur), cur, (int)n, p);
					offer(cur, w, NULL);
				}
				p += n + (p[n] == ' ');
			}
			return 0;
		}
		offer_words(cur, values, ' ');
		return 0;
	case CLI_COMP_JOB: case CLI_COMP_RUNTIME: case CLI_COMP_STEP:
		break;
	default:
		return 0;
	}
	if (cli_open_client(&c) != 0)
		return 0;
	if (kind == CLI_COMP_JOB) {
		kft_job_list_t *l;

		if (kft_list_jobs(&l, c, NULL) == 0) {
			for (k = 0; k < kft_job_list_count(l); k++) {
				const kft_job_t *j = kft_job_list_at(l, k);

				offer(cur, kft_job_name(j), kft_job_status(j));
			}
			kft_job_list_free(l);
		}
	} else if (kind == CLI_COMP_RUNTIME) {
		kft_runtime_list_t *l;

		if (kft_list_runtimes(&l, c) == 0) {
			for (k = 0; k < kft_runtime_list_count(l); k++)
				offer(cur, kft_runtime_name(kft_runtime_list_at(l, k)),
				      kft_runtime_framework(kft_runtime_list_at(l, k)));
			kft_runtime_list_free(l);
		}
	} else if (job) {
		kft_job_t *j;

		if (kft_get_job(&j, c, job) == 0) {
			for (k = 0; k < kft_job_step_count(j); k++)
				offer(cur, kft_step_name(kft_job_step_at(j, k)),
				      kft_step_status(kft_job_step_at(j, k)));
			kft_job_free(j);
		}
	}
	kft_client_free(c);
	return 0;
}

/*
 * kft __complete WORD... CURRENT: the candidates for CURRENT, one a line
 * ("word<TAB>description"), or the single line ":file" / ":dir" when the
 * shell should complete paths. Global flags among the words (-b, --state-dir,
 * ...) choose the backend that is asked, as they would for the command.
 */
int cli_complete(int argc, char **argv)
{
	const cli_command *cmd = NULL;
	const cli_flag *pending = NULL;
	const char *cur = argc > 1 ? argv[argc - 1] : "", *job = NULL;
	int i, nops = 0, dashdash = 0;

	kft_diag_set_handler(NULL, KFT_DIAG_ERROR, NULL);
	for (i = 1; i < argc - 1; i++) {
		const char *w = argv[i], *iv;
		const cli_flag *f;
		size_t g;
		int at = i;

		if (dashdash)
			continue;
		if (cmd && !strcmp(w, "--")) {
			dashdash = cmd->takes_rest;
			continue;
		}
		if (w[0] == '-' && w[1]) {
			if ((f = find_flag(cmd, w, &iv, &g)) == NULL)
				continue;
			if (f->arg && !iv) {
				if (i + 1 >= argc - 1) {
					pending = f;   /* CURRENT is this flag's value */
					break;
				}
				i++;
			}
			/* a global flag (-b, --state-dir, ...) chooses the backend to ask */
			if (match(&cli_global_group, w, &iv) == f)
				(void)cli_global_flag(argc - 1, argv, &at);
			continue;
		}
		if (!cmd) {
			if ((cmd = cli_find_command(w)) == NULL)
				return 0;
			continue;
		}
		if (nops++ == 0)
			job = w;
	}
	if (pending)
		return offer_kind(pending->complete, pending->values, pending->flags & CLI_F_LIST, cur,
		                  job);
	if (dashdash)
		return offer_kind(CLI_COMP_FILE, NULL, 0, cur, NULL);
	if (cur[0] == '-') {
		offer_flags(cmd, cur);
		return 0;
	}
	if (!cmd) {
		const cli_command *c;

		for (c = cli_commands; c->name; c++)
			if (!c->hidden)
				offer(cur, c->name, c->summary);
		return 0;
	}
	if (cmd->max_operands >= 0 && nops >= cmd->max_operands)
		return 0;
	return offer_kind(cmd->operand_kind, cmd->operand_values, 0, cur, job);
}

static const char bash_script[] =
"# kft completion for bash: source <(kft completion bash)\n"
"_kft() {\n"
"\tlocal cur=${COMP_WORDS[COMP_CWORD]} line IFS=$'\\n'\n"
"\tlocal -a out\n"
"\tout=($(command kft __complete \"${COMP_WORDS[@]:1:COMP_CWORD-1}\" \"$cur\" 2>/dev/null))\n"
"\tCOMPREPLY=()\n"
"\tcase ${out[0]} in\n"
"\t:file) COMPREPLY=($(compgen -f -- \"$cur\")); compopt -o filenames 2>/dev/null; return ;;\n"
"\t:dir) COMPREPLY=($(compgen -d -- \"$cur\")); compopt -o filenames 2>/dev/null; return ;;\n"
"\tesac\n"
"\tfor line in \"${out[@]}\"; do COMPREPLY+=(\"${line%%$'\\t'*}\"); done\n"
"}\n"
"complete -F _kft kft\n";

static const char zsh_script[] =
"#compdef kft\n"
"# kft completion for zsh: source <(kft completion zsh), or save as _kft in $fpath\n"
"_kft() {\n"
"\tlocal -a out words_ cands descs\n"
"\tlocal line\n"
"\tout=(\"${(@f)$(command kft __complete \"${(@)words[2,CURRENT-1]}\" \"${words[CURRENT]}\" 2>/dev/null)}\")\n"
"\tcase $out[1] in\n"
"\t:file) _files; return ;;\n"
"\t:dir) _files -/; return ;;\n"
"\tesac\n"
"\tfor line in $out; do\n"
"\t\t[[ -z $line ]] && continue\n"
"\t\tcands+=(\"${line%%$'\\t'*}\")\n"
"\t\tdescs+=(\"${line//$'\\t'/  -- }\")\n"
"\tdone\n"
"\t(( $#cands )) && compadd -l -d descs -- $cands\n"
"}\n"
"if (( $+functions[compdef] )); then compdef _kft kft; fi\n";

static const char fish_script[] =
"# kft completion for fish: kft completion fish | source\n"
"function __kft_complete\n"
"\tset -l words (commandline -opc)\n"
"\tset -e words[1]\n"
"\tset -l cur (commandline -ct)\n"
"\tset -l out (command kft __complete $words \"$cur\" 2>/dev/null)\n"
"\tswitch \"$out[1]\"\n"
"\tcase :file\n"
"\t\t__fish_complete_path \"$cur\"\n"
"\tcase :dir\n"
"\t\t__fish_complete_directories \"$cur\"\n"
"\tcase '*'\n"
"\t\tprintf '%s\\n' $out\n"
"\tend\n"
"end\n"
"complete -c kft -f -a '(__kft_complete)'\n";

int cli_completion_script(const char *shell)
{
	if (!strcmp(shell, "bash"))
		fputs(bash_script, stdout);
	else if (!strcmp(shell, "zsh"))
		fputs(zsh_script, stdout);
	else if (!strcmp(shell, "fish"))
		fputs(fish_script, stdout);
	else
		return EXIT_USAGE;
	return 0;
}
