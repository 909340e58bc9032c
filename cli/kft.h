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

/* kft.c: global flags (1 consumed, 0 not one, -1 error) and their values */
int cli_global_flag(int argc, char **argv, int *i);
int cli_output_format(void);   /* kft_format_t, -1: not given */
int cli_verbose(void);

/* cmd_convert.c */
int cmd_convert(int argc, char **argv);
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
