/* kft CLI internals. SPDX-License-Identifier: Apache-2.0 */
#ifndef KFT_CLI_H
#define KFT_CLI_H

#include <kftrainer.h>
#include <stdio.h>

#define EXIT_USAGE 2
#define EXIT_ERR 1
#define EXIT_JOBFAILED 3
#define EXIT_TIMEOUT 4

typedef struct {
	const char *backend, *state_dir, *kubeconfig, *context, *ns, *container_host;
	const char *pull_policy, *network;
	int output;         /* kft_format_t; -1: command default */
	int verbose;
} cli_globals;

/* Job flags shared by render and train: built into a spec. */
typedef struct cli_job cli_job;

int cli_job_new(cli_job **out);
void cli_job_free(cli_job *j);
/* Try to consume argv[*i] (and its value) as a job flag: 1 consumed, 0 not a job flag, -1 error. */
int cli_job_flag(cli_job *j, int argc, char **argv, int *i);
/* Build the spec from -f FILE and the flags (flags win). Prints errors. */
int cli_job_build(kft_spec_t **out, cli_job *j, int argc, char **argv, int cmd_start);
const char *cli_job_trainer_version(const cli_job *j);
void cli_job_usage(FILE *f);

int cli_error(const char *what);   /* prints kft_error_last(); returns EXIT_ERR */
/* Parse a flag value: "--flag=value" or "--flag value". */
const char *cli_value(int argc, char **argv, int *i, const char *flag);
int cli_is_flag(const char *arg, const char *flag);
/* The global flags: consume argv[*i] if it is one (1), 0 if not, -1 on error. */
int cli_global_flag(int argc, char **argv, int *i);
const char *cli_global_help(void);
/* The client options the global flags chose. */
void cli_client_opts(kft_client_opts_t *out);

int cli_cmd_dashboard(int argc, char **argv);   /* cli/cmd_dashboard.c */

#endif
