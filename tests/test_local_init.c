/*
 * Local initializers: file:// and plain paths linked or copied into the
 * workspace, archives extracted safely, hf:// / s3:// needing their tools,
 * cache:// refused. Real processes: the kft-supervisor's initialize mode.
 */
#include "testutil.h"
#include "../backends/runner/store.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256], sdir[300], rdir[300], data[300];
static kft_client_t *client;

static const char *const RT =
	"apiVersion: trainer.kubeflow.org/v1alpha1\n"
	"kind: ClusterTrainingRuntime\n"
	"metadata: {name: init-rt, labels: {trainer.kubeflow.org/framework: torch}}\n"
	"spec:\n"
	"  mlPolicy: {numNodes: 1, torch: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: dataset-initializer, template: {metadata: {labels:\n"
	"      {trainer.kubeflow.org/trainjob-ancestor-step: dataset-initializer}},\n"
	"     spec: {template: {spec: {containers: [{name: dataset-initializer, image: di:1,\n"
	"       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}},\n"
	"    {name: model-initializer, template: {metadata: {labels:\n"
	"      {trainer.kubeflow.org/trainjob-ancestor-step: model-initializer}},\n"
	"     spec: {template: {spec: {containers: [{name: model-initializer, image: mi:1,\n"
	"       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}},\n"
	"    {name: node, dependsOn: [{name: dataset-initializer, status: Complete},\n"
	"                             {name: model-initializer, status: Complete}],\n"
	"     template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},\n"
	"     spec: {template: {spec: {containers: [{name: node, image: n:1,\n"
	"       command: [cat],\n"
	"       args: [/workspace/dataset/hello.txt, /workspace/model/weights.bin]}]}}}}}]}}\n";

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void setup(void)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	char p[400];

	snprintf(tmp, sizeof(tmp), "/tmp/kft-init-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(sdir, sizeof(sdir), "%s/state", tmp);
	snprintf(rdir, sizeof(rdir), "%s/runtimes", tmp);
	snprintf(data, sizeof(data), "%s/data", tmp);
	ck_assert_int_eq(mkdir(rdir, 0700), 0);
	ck_assert_int_eq(mkdir(data, 0700), 0);
	snprintf(p, sizeof(p), "%s/init.yaml", rdir);
	put(p, RT);
	snprintf(p, sizeof(p), "%s/hello.txt", data);
	put(p, "hello dataset\n");
	snprintf(p, sizeof(p), "%s/weights.bin", tmp);
	put(p, "model weights\n");
	co.backend = "local";
	co.state_dir = sdir;
	co.runtime_path = rdir;
	ck_assert_kft_ok(kft_client_new(&client, &co));
}

static void teardown(void)
{
	kft_client_free(client);
	client = NULL;
	kft__remove_tree(tmp);
}

static int run(kft_job_t **job, const char *name, const char *dataset, const char *model)
{
	kft_train_opts_t to = KFT_TRAIN_OPTS_INIT;
	kft_spec_t *s;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	int rc;

	/* a plain path is not a valid storageUri (v2.3 CEL): only without validation */
	if (dataset[0] == '/' || model[0] == '/')
		to.flags = KFT_TRAIN_NO_VALIDATE;
	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, name));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "init-rt", NULL));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, dataset));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_MODEL, model));
	ck_assert_kft_ok(kft_train(NULL, client, s, &to));
	kft_spec_free(s);
	wo.timeout_ms = 30000;
	rc = wait_keep_failed(job, client, name, &wo);
	return rc;
}

typedef struct { kft__buf b; } col_t;

static int col(const char *chunk, size_t len, const char *step, void *payload)
{
	(void)step;
	kft__buf_put(&((col_t *)payload)->b, chunk, len);
	return 0;
}

static char *logs(const char *name, const char *step)
{
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	col_t c = { KFT__BUF_INIT };

	lo.step = step;
	ck_assert_kft_ok(kft_logs(client, name, &lo, col, &c));
	return kft__buf_detach(&c.b);
}

START_TEST(file_uri_and_plain_path)
{
	char uri[400], model[400], *out;
	kft_job_t *job = NULL;

	snprintf(uri, sizeof(uri), "file://%s", data);
	snprintf(model, sizeof(model), "%s/weights.bin", tmp);   /* plain path, a file */
	ck_assert_kft_ok(run(&job, "files", uri, model));
	ck_assert_str_eq(kft_job_status(job), "Complete");
	ck_assert_int_eq((int)kft_job_step_count(job), 3);
	ck_assert_str_eq(kft_step_name(kft_job_step_at(job, 0)), "dataset-initializer");
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, 0)), KFT_STEP_SUCCEEDED);
	kft_job_free(job);
	out = logs("files", "node-0");
	ck_assert_str_eq(out, "hello dataset\nmodel weights\n");
	free(out);
	out = logs("files", "dataset-initializer");
	ck_assert_ptr_nonnull(strstr(out, "linked 1 entries"));
	free(out);
}
END_TEST

static void make_archive(const char *path, const char *member, const char *text)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(e, member);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(text));
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	archive_write_data(a, text, strlen(text));
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

START_TEST(archives_extracted_safely)
{
	char tgz[400], evil[400], model[400], escaped[400], *out;
	kft_job_t *job = NULL;

	snprintf(tgz, sizeof(tgz), "file://%s/ds.tar.gz", tmp);
	make_archive(tgz + 7, "hello.txt", "from the archive\n");
	snprintf(model, sizeof(model), "file://%s/weights.bin", tmp);
	ck_assert_kft_ok(run(&job, "arch", tgz, model));
	kft_job_free(job);
	out = logs("arch", "node-0");
	ck_assert_str_eq(out, "from the archive\nmodel weights\n");
	free(out);
	/* a member escaping the workspace fails the initializer and the job */
	snprintf(evil, sizeof(evil), "file://%s/evil.tgz", tmp);
	make_archive(evil + 7, "../../../escaped.txt", "gotcha\n");
	ck_assert_int_eq(run(&job, "evil", evil, model), KFT_EJOBFAILED);
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "dataset-initializer"));
	ck_assert_ptr_nonnull(strstr(kft_job_message(job), "refusing archive member"));
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, 2)), KFT_STEP_PENDING);   /* node never ran */
	kft_job_free(job);
	snprintf(escaped, sizeof(escaped), "%s/state/escaped.txt", tmp);
	ck_assert_int_ne(access(escaped, F_OK), 0);
	snprintf(escaped, sizeof(escaped), "%s/escaped.txt", tmp);
	ck_assert_int_ne(access(escaped, F_OK), 0);
}
END_TEST

START_TEST(remote_schemes)
{
	char model[400], *hf = kft__which("huggingface-cli"), *aws = kft__which("aws");
	kft_job_t *job = NULL;

	snprintf(model, sizeof(model), "file://%s/weights.bin", tmp);
	ck_assert_int_eq(run(&job, "cache", "cache://schema/table", model), KFT_EJOBFAILED);
	ck_assert_ptr_nonnull(strstr(kft_job_message(job), "not available locally"));
	kft_job_free(job);
	if (!hf) {
		ck_assert_int_eq(run(&job, "hf", "hf://tatsu-lab/alpaca", model), KFT_EJOBFAILED);
		ck_assert_ptr_nonnull(strstr(kft_job_message(job), "huggingface-cli"));
		ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), 127);
		kft_job_free(job);
	}
	if (!aws) {
		ck_assert_int_eq(run(&job, "s3", "s3://bucket/prefix", model), KFT_EJOBFAILED);
		ck_assert_ptr_nonnull(strstr(kft_job_message(job), "\"aws\""));
		kft_job_free(job);
	}
	free(hf);
	free(aws);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("local-init");
	TCase *tc = tcase_create("init");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, file_uri_and_plain_path);
	tcase_add_test(tc, archives_extracted_safely);
	tcase_add_test(tc, remote_schemes);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
