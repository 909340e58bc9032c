/* kft CLI internals. SPDX-License-Identifier: Apache-2.0 */
#ifndef KFT_CLI_H
#define KFT_CLI_H

#include <kftrainer.h>
#include <signal.h>
#include <stdio.h>

#define EXIT_USAGE 2
#define EXIT_ERR 1
#define EXIT_JOBFAILED 3
#define EXIT_TIMEOUT 4

typedef struct {
	const char *backend, *state_dir, *kubeconfig, *context, *ns, *container_host;
	const char *pull_policy, *network;
	int output;         /* kft_format_t; -1: command default */
	int csv;            /* -o csv (kft metrics) */
	int verbose;
} cli_globals;

extern cli_globals G;

/*
 * Flag tables. Every flag of every command is declared once, in a cli_flag
 * table; the same tables drive parsing, `kft --help`, `kft COMMAND --help`,
 * `kft completion bash|zsh|fish` (through `kft __complete`) and the check
 * that man/man1/kft.1 names every flag (tests/t_cli_complete.sh).
 */
enum {
	CLI_COMP_NONE = 0,   /* free text: nothing to offer */
	CLI_COMP_JOB,        /* a job name, from the backend */
	CLI_COMP_RUNTIME,    /* a runtime name, from the backend */
	CLI_COMP_STEP,       /* a step of the job named on the command line */
	CLI_COMP_FILE,
	CLI_COMP_DIR,
	CLI_COMP_ENUM        /* one of cli_flag.values (a list of them with CLI_F_LIST) */
};

#define CLI_F_LIST 1     /* CLI_COMP_ENUM: a comma-separated list of the values */
#define CLI_F_REPEAT 2   /* may be given several times (said in --help) */
#define CLI_F_OPEN 4     /* CLI_COMP_ENUM: the values are suggestions, others are let through */

typedef struct {
	const char *name;    /* long name without "--"; NULL ends a table */
	char short_name;     /* 'b' for -b, or 0 */
	const char *arg;     /* value placeholder ("NAME"); NULL: a switch */
	const char *help;    /* '\n' starts an indented continuation line */
	int complete;        /* CLI_COMP_* of the value */
	const char *values;  /* CLI_COMP_ENUM: the accepted values, space-separated */
	int flags;           /* CLI_F_* */
	int id;              /* handed to the group's setter */
} cli_flag;

/* ctx: the command's own; value: NULL for a switch. 0, or -1 after printing why. */
typedef int (*cli_set_fn)(void *ctx, const cli_flag *f, const char *value);

typedef struct {
	const char *title;   /* heading in --help ("Flags", "JOB FLAGS") */
	const char *intro;   /* a line under the heading, or NULL */
	const cli_flag *flags;
	cli_set_fn set;
} cli_group;

#define CLI_MAX_GROUPS 4

typedef struct cli_command cli_command;
struct cli_command {
	const char *name;
	const char *operands;   /* synopsis of the operands ("NAME...", "[NAME]"), or "" */
	const char *summary;    /* one line in `kft --help` */
	const char *about;      /* the paragraph of `kft COMMAND --help` */
	int operand_kind;       /* CLI_COMP_* of the operands */
	const char *operand_values; /* CLI_COMP_ENUM operands */
	int max_operands;       /* -1: any number */
	int takes_rest;         /* accepts "-- CMD ARGS..." */
	const cli_group *groups[CLI_MAX_GROUPS];  /* the global flags come on top of these */
	int (*run)(const cli_command *cmd, int argc, char **argv);
	int hidden;             /* not in --help or completion (internal commands) */
};

/* What cli_parse found: operands (in order) and the words after "--". */
typedef struct {
	char **ops;
	int nops;
	char **rest;   /* NULL: no "--" */
	int nrest;
	int exit;      /* cli_parse returned 1: exit with this status */
} cli_args;

/*
 * Parse argv[1..] of a command against its groups (ctx[k] is handed to groups[k]'s
 * setter) and the global flags. 0: go on; 1: stop and exit with a->exit (help
 * printed: 0, or a usage error printed: 2). Reorders argv in place.
 */
int cli_parse(cli_args *a, const cli_command *cmd, int argc, char **argv, void *const *ctx);
/* The global flags alone, from argv[*i]: 1 consumed, 0 not one, -1 error printed. */
int cli_global_flag(int argc, char **argv, int *i);
void cli_usage(FILE *f);
/* Render options for one output format (kft_*_render take a kft_render_opts_t). */
const kft_render_opts_t *cli_render_as(int format);
void cli_command_help(FILE *f, const cli_command *cmd);
const cli_command *cli_find_command(const char *name);
extern const cli_command cli_commands[];

/* Completion: `kft __complete WORDS... CURRENT` and `kft completion SHELL`. */
int cli_complete(int argc, char **argv);
int cli_completion_script(const char *shell);

/* Job flags shared by render and train: built into a spec. */
typedef struct cli_job cli_job;
extern const cli_group cli_job_group, cli_tt_group;

int cli_job_new(cli_job **out);
void cli_job_free(cli_job *j);
/* Build the spec from -f FILE and the flags (flags win); cmd: the words after "--". */
int cli_job_build(kft_spec_t **out, cli_job *j, char **cmd, int ncmd);
const char *cli_job_trainer_version(const cli_job *j);

/* The signal that asked us to stop (SIGINT, SIGTERM), or 0; set by kft.c's handler. */
extern volatile sig_atomic_t cli_signal;
/* 128 + the signal, the shell's exit status for a command ended by it. */
int cli_signal_exit(void);

/* Which jobs a command acts on (list, delete): all the conditions hold. */
typedef struct {
	const char *runtime;      /* NULL: any */
	unsigned int status;      /* KFT_WANT() mask; 0: any */
	long long older_than_ms;  /* created at least this long ago; 0: any age */
	long long limit;          /* at most this many, newest first; < 0: all */
	const char *selector;     /* kubectl's -l: k=v, k==v, k!=v, k, !k joined by ','; NULL: any */
	int v1;                   /* Training Operator v1 jobs instead (kft list --v1) */
} cli_jobsel;

/* Check a label selector's syntax: 0, or -1 after saying what is wrong (flag: its name). */
int cli_selector_check(const char *flag, const char *sel);

/*
 * The jobs that match sel, newest first: (*idx)[0..*n) index into *list.
 * Free *list with kft_job_list_free() and *idx with free(). Prints errors.
 */
int cli_select_jobs(kft_job_list_t **list, size_t **idx, size_t *n, kft_client_t *c,
                    const cli_jobsel *sel);
/* "Complete,Failed" (checked against the flag's values) -> a KFT_WANT() mask. */
unsigned int cli_status_mask(const char *list);
#define CLI_STATUS_VALUES "Created Suspended Running Complete Failed"

int cli_cmd_list(const cli_command *cmd, int argc, char **argv);
int cli_cmd_delete(const cli_command *cmd, int argc, char **argv);
extern const cli_group cli_list_group, cli_delete_group;

/* Parse a command's flags; on help or a usage error, return from the caller. */
#define PARSE(a, cmd, argc, argv, ...) do { \
	void *const ctx_[CLI_MAX_GROUPS] = { __VA_ARGS__ }; \
	if (cli_parse(a, cmd, argc, argv, ctx_)) return (a)->exit; } while (0)
/* "kft CMD NAME": 0 when the one job name is there, else EXIT_USAGE after saying so. */
int cli_need_name(const cli_command *cmd, const cli_args *a);
/* PARSE for "kft CMD NAME": also returns from the caller when the name is missing. */
#define PARSE_NAME(a, cmd, argc, argv, ...) do { \
	int rc_; \
	PARSE(a, cmd, argc, argv, __VA_ARGS__); \
	if ((rc_ = cli_need_name(cmd, a)) != 0) return rc_; } while (0)
/* A JSON string literal (quotes, escapes) on f. */
void cli_json_string(FILE *f, const char *s);

/* Commands in their own files. */
int cli_cmd_metrics(const cli_command *cmd, int argc, char **argv);
int cli_cmd_cp(const cli_command *cmd, int argc, char **argv);

int cli_error(const char *what);   /* prints kft_error_last(); returns EXIT_ERR */
int cli_open_client(kft_client_t **out);
/* The client options the global flags chose (strings borrowed from argv/env). */
void cli_client_opts(kft_client_opts_t *out);

/* kft dashboard (cli/cmd_dashboard.c) */
extern const cli_group cli_dashboard_group;
int cli_cmd_dashboard(const cli_command *cmd, int argc, char **argv);
/* Integer flag values: a whole number >= min, else -1 after naming the flag. */
/**
 * A decimal integer flag value >= min and within +-CLI_LL_MAX; prints the error.
 * min CLI_INT_ANY: any integer that the library does not read as KFT_UNSET
 * (no input value may mean "not given").
 */
#define CLI_LL_MAX 1000000000000000LL
#define CLI_INT_ANY ((long long)KFT_UNSET + 1)
int cli_parse_ll(long long *out, const cli_flag *f, const char *s, long long min);

/* cmd_convert.c */
extern const cli_group cli_convert_group;
int cmd_convert(const cli_command *cmd, int argc, char **argv);
/* Read all of path ("-": standard input); -1 with the reason printed (prefixed by what). */
int cli_read_input(char **text, size_t *len, const char *path, const char *what);
/*
 * A TrainJob from -f FILE: a Training Operator v1 job is converted (a one-line
 * notice and its losses on stderr), anything else parsed as a TrainJob.
 * 0, or EXIT_ERR with the reason printed.
 */
int cli_job_from_file(kft_spec_t **out, const char *path, const char *runtime,
                      const char *trainer_version, const char *name);

#endif
