/* The job runner's store (see store.h). SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef KFT_LIBEXECDIR
# define KFT_LIBEXECDIR "/usr/local/libexec"
#endif

int kft__store_state_dir(char **out, const char *opt)
{
	const char *env = getenv("KFT_STATE_DIR");

	*out = NULL;
	if (opt && *opt)
		*out = kft__strdup(opt);
	else if (env && *env)
		*out = kft__strdup(env);
	else
		*out = kft__default_state_dir();
	KFT_CHECK_ALLOC(*out);
	return 0;
}

int kft__store_job_dir(char **out, const char *state_dir, const char *name)
{
	kft__buf b = KFT__BUF_INIT;

	*out = NULL;
	if (!name || !kft__is_dns1035(name) || strlen(name) > 63)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "job name \"%s\": must be an RFC 1035 label (lower-case letters, "
		                      "digits and '-', starting with a letter, at most 63 characters)",
		                      name ? name : "");
	kft__buf_printf(&b, "%s/jobs/%s", state_dir, name);
	if (b.oom)
		return kft__error_oom();
	*out = kft__buf_detach(&b);
	return 0;
}

static int is_exec(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

char *kft__supervisor_path(void)
{
	const char *env = getenv("KFT_SUPERVISOR");
	Dl_info info;
	char *p;

	if (env && *env)
		return kft__strdup(env);
	if (dladdr((void *)kft__supervisor_path, &info) && info.dli_fname && info.dli_fname[0] == '/') {
		char *dir = kft__strdup(info.dli_fname), *slash;

		if (!dir)
			return NULL;
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		p = kft__path_join(dir, "kft-supervisor");
		if (p && is_exec(p)) {
			free(dir);
			return p;
		}
		free(p);
		p = kft__path_join(dir, "../libexec/kftrainer/kft-supervisor");
		free(dir);
		if (p && is_exec(p))
			return p;
		free(p);
	}
	/* a program linked statically (the supervisor itself, tests, tools in build/):
	 * kft-supervisor next to /proc/self/exe or one directory up */
	{
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		const char *rel[] = { "kft-supervisor", "../kft-supervisor" };
		size_t i;

		if (n > 0) {
			char *slash;

			exe[n] = '\0';
			if ((slash = strrchr(exe, '/')) != NULL) {
				*slash = '\0';
				for (i = 0; i < 2; i++) {
					p = kft__path_join(exe, rel[i]);
					if (p && is_exec(p))
						return p;
					free(p);
				}
			}
		}
	}
	return kft__strdup(KFT_LIBEXECDIR "/kftrainer/kft-supervisor");
}

int kft__supervisor_find(char **out)
{
	char *sup = kft__supervisor_path();

	*out = NULL;
	if (!sup)
		return kft__error_oom();
	if (access(sup, X_OK) < 0) {
		int error = kft__error_os(KFT_ENOTFOUND, "job supervisor %s (set KFT_SUPERVISOR to "
		                          "the kft-supervisor program)", sup);
		free(sup);
		return error;
	}
	*out = sup;
	return 0;
}

int kft__store_write(const char *path, const char *data, size_t len, int durable)
{
	char tmp[PATH_MAX];
	size_t off = 0;
	int fd;

	if (durable)
		return kft__write_file_atomic(path, data, len, 0600);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return kft__error_os(KFT_ERROR, "cannot create %s", tmp);
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kft__error_os(KFT_ERROR, "cannot write %s", tmp);
			close(fd);
			unlink(tmp);
			return KFT_ERROR;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		kft__error_os(KFT_ERROR, "cannot replace %s", path);
		unlink(tmp);
		return KFT_ERROR;
	}
	return 0;
}

int kft__store_write_json(const char *path, const cJSON *doc, int durable)
{
	char *text = cJSON_PrintUnformatted(doc);
	int error;

	KFT_CHECK_ALLOC(text);
	error = kft__store_write(path, text, strlen(text), durable);
	cJSON_free(text);
	return error;
}

int kft__store_read_json(cJSON **out, const char *path)
{
	char *text;
	size_t len;
	int error;

	*out = NULL;
	if ((error = kft__read_file(&text, &len, path)) < 0)
		return error;
	*out = cJSON_ParseWithLength(text, len);
	free(text);
	if (!*out || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE,
		                      "malformed job record %s (not a JSON object); delete the job "
		                      "or fix the file", path);
	}
	return 0;
}

int kft__store_event_fd(int fd, const char *kind, const char *object, const char *type,
                        const char *reason, const char *message)
{
	cJSON *e = cJSON_CreateObject();
	char *line = NULL;
	int error = 0;
	size_t len;

	KFT_CHECK_ALLOC(e);
	if (!cJSON_AddNumberToObject(e, "time", (double)kft__now_ms()) ||
	    !cJSON_AddStringToObject(e, "kind", kind ? kind : "TrainJob") ||
	    !cJSON_AddStringToObject(e, "object", object ? object : "") ||
	    !cJSON_AddStringToObject(e, "type", type ? type : "Normal") ||
	    !cJSON_AddStringToObject(e, "reason", reason ? reason : "") ||
	    !cJSON_AddStringToObject(e, "message", message ? message : "") ||
	    !(line = cJSON_PrintUnformatted(e))) {
		error = kft__error_oom();
		goto out;
	}
	len = strlen(line);
	line[len] = '\n';   /* replaces the NUL; written with its length, in one write */
	if (write(fd, line, len + 1) != (ssize_t)(len + 1))
		error = kft__error_os(KFT_ERROR, "cannot append an event");
out:
	cJSON_Delete(e);
	cJSON_free(line);
	return error;
}

int kft__store_event(const char *jobdir, const char *kind, const char *object, const char *type,
                     const char *reason, const char *message)
{
	char *path = kft__path_join(jobdir, KFT__STORE_EVENTS);
	int fd, error;

	KFT_CHECK_ALLOC(path);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		error = kft__error_os(KFT_ERROR, "cannot open %s", path);
		free(path);
		return error;
	}
	free(path);
	error = kft__store_event_fd(fd, kind, object, type, reason, message);
	close(fd);
	return error;
}

int kft__store_supervisor_alive(const char *jobdir)
{
	char *path = kft__path_join(jobdir, KFT__STORE_LOCK);
	int fd, alive;

	KFT_CHECK_ALLOC(path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : kft__error_os(KFT_ERROR, "cannot open %s/%s", jobdir,
		                                           KFT__STORE_LOCK);
	alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);   /* releases a shared lock we may have taken */
	return alive;
}

int kft__store_status_final(const char *status)
{
	return kft__streq(status, "Complete") || kft__streq(status, "Failed");
}

const char *kft__proc_stat(char *buf, size_t size, const char *pid)
{
	char path[64], *p;

	snprintf(path, sizeof(path), "/proc/%.20s/stat", pid);
	/* comm may hold spaces and parens, even ')': fields restart after the last ')' */
	if (!kft__read_head(buf, size, path, 0) || (p = strrchr(buf, ')')) == NULL)
		return NULL;
	return p + 1;
}

unsigned long long kft__proc_start_ticks(pid_t pid)
{
	char id[24], buf[1024];
	const char *p;
	unsigned long long v = 0;
	int field;

	snprintf(id, sizeof(id), "%d", (int)pid);
	if ((p = kft__proc_stat(buf, sizeof(buf), id)) == NULL)
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	sscanf(p, "%llu", &v);
	return v;
}

static int mkdir_in(const char *dir, const char *sub)
{
	char *p = kft__path_join(dir, sub);
	int error = 0;

	KFT_CHECK_ALLOC(p);
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		error = kft__error_os(KFT_ERROR, "cannot create directory %s", p);
	free(p);
	return error;
}

static int write_in(const char *dir, const char *file, const cJSON *doc)
{
	char *p = kft__path_join(dir, file);
	char *text;
	int error;

	KFT_CHECK_ALLOC(p);
	if (!(text = cJSON_PrintUnformatted(doc))) {
		free(p);
		return kft__error_oom();
	}
	/* the directory is not visible yet: a plain write is enough */
	error = kft__store_write(p, text, strlen(text), 0);
	cJSON_free(text);
	free(p);
	return error;
}

/* The initial state record: Created (or Suspended), every step Pending. */
static cJSON *initial_state(const char *name, const cJSON *spec, const cJSON *plan,
                            const char *backend)
{
	cJSON *st = cJSON_CreateObject(), *steps;
	const cJSON *s;
	int bad = 0;

	if (!st)
		return NULL;
	bad |= !cJSON_AddStringToObject(st, "name", name);
	bad |= !cJSON_AddStringToObject(st, "runtime", kft__json_str(plan, "runtime") ?
	                                kft__json_str(plan, "runtime") : "");
	bad |= !cJSON_AddStringToObject(st, "backend", backend);
	if (kft__json_str(plan, "runner"))
		bad |= !cJSON_AddStringToObject(st, "runner", kft__json_str(plan, "runner"));
	bad |= !cJSON_AddStringToObject(st, "status", "Created");
	bad |= !cJSON_AddNumberToObject(st, "numNodes",
	                                cJSON_IsNumber(kft__json_get(plan, "numNodes")) ?
	                                kft__json_get(plan, "numNodes")->valuedouble : 1);
	bad |= !cJSON_AddNumberToObject(st, "createdMs", (double)kft__now_ms());
	if (cJSON_IsObject(kft__json_path(spec, "metadata.labels")))
		bad |= !cJSON_AddItemToObject(st, "labels",
		                              cJSON_Duplicate(kft__json_path(spec, "metadata.labels"), 1));
	bad |= !(steps = cJSON_AddArrayToObject(st, "steps"));
	cJSON_ArrayForEach(s, kft__json_get(plan, "steps")) {
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(steps, e)) {
			bad = 1;
			break;
		}
		bad |= !cJSON_AddStringToObject(e, "name", kft__json_str(s, "name"));
		bad |= !cJSON_AddStringToObject(e, "role", kft__json_str(s, "role"));
		bad |= !cJSON_AddStringToObject(e, "status", "Pending");
		if (kft__json_str(s, "target"))
			bad |= !cJSON_AddStringToObject(e, "target", kft__json_str(s, "target"));
	}
	(void)spec;
	if (bad) {
		cJSON_Delete(st);
		return NULL;
	}
	return st;
}

int kft__store_create(int *lock_fd, const char *state_dir, const char *name, const cJSON *spec,
                      const cJSON *plan, const char *backend)
{
	char *jobs = NULL, *final = NULL, *tmp = NULL, *lockp = NULL;
	cJSON *state = NULL;
	struct stat st;
	int fd = -1, error = 0;

	*lock_fd = -1;
	if ((error = kft__store_job_dir(&final, state_dir, name)) < 0)
		return error;
	if (!(jobs = kft__path_join(state_dir, "jobs"))) {
		error = kft__error_oom();
		goto out;
	}
	if (stat(state_dir, &st) < 0) {
		if ((error = kft__mkdir_p(state_dir, 0700)) < 0)
			goto state_dir_error;
	}
	if (mkdir(jobs, 0700) < 0 && errno != EEXIST) {
		error = kft__error_os(KFT_ERROR, "cannot create %s", jobs);
		goto state_dir_error;
	}
	if (stat(final, &st) == 0) {
		error = kft__error_set(KFT_EEXISTS, KFT_ERROR_CLASS_STORE,
		                       "TrainJob \"%s\" already exists (in %s); delete it or pick "
		                       "another name", name, jobs);
		goto out;
	}
	{
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "%s/.tmp-%s-XXXXXX", jobs, name);
		if (!(tmp = kft__buf_detach(&b))) {
			error = kft__error_oom();
			goto out;
		}
	}
	if (!mkdtemp(tmp)) {
		error = kft__error_os(KFT_ERROR, "cannot create a job directory in %s", jobs);
		free(tmp);
		tmp = NULL;
		goto state_dir_error;
	}
	if (!(state = initial_state(name, spec, plan, backend))) {
		error = kft__error_oom();
		goto out;
	}
	/* workspace/{dataset,model,output} are made by the supervisor, off this path */
	if ((error = mkdir_in(tmp, "logs")) < 0 || (error = mkdir_in(tmp, "workspace")) < 0 ||
	    (error = write_in(tmp, KFT__STORE_SPEC, spec)) < 0 ||
	    (error = write_in(tmp, KFT__STORE_PLAN, plan)) < 0 ||
	    (error = write_in(tmp, KFT__STORE_STATE, state)) < 0 ||
	    (error = kft__store_event(tmp, "TrainJob", name, "Normal", "Created",
	                              "TrainJob created")) < 0)
		goto out;
	{
		char *fifo = kft__path_join(tmp, KFT__STORE_FIFO);

		if (!fifo || mkfifo(fifo, 0600) < 0) {
			error = fifo ? kft__error_os(KFT_ERROR, "cannot create %s", fifo) :
			        kft__error_oom();
			free(fifo);
			goto out;
		}
		free(fifo);
	}
	if (!(lockp = kft__path_join(tmp, KFT__STORE_LOCK))) {
		error = kft__error_oom();
		goto out;
	}
	fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		error = kft__error_os(KFT_ERROR, "cannot lock %s", lockp);
		goto out;
	}
	if (rename(tmp, final) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY)
			error = kft__error_set(KFT_EEXISTS, KFT_ERROR_CLASS_STORE,
			                       "TrainJob \"%s\" already exists (in %s)", name, jobs);
		else
			error = kft__error_os(KFT_ERROR, "cannot create %s", final);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	*lock_fd = fd;
	fd = -1;
	goto out;
state_dir_error:
	kft__error_prefix("state directory %s is not usable (set KFT_STATE_DIR or the client's "
	                  "state_dir)", state_dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		kft__remove_tree(tmp);
	cJSON_Delete(state);
	free(jobs);
	free(final);
	free(tmp);
	free(lockp);
	return error;
}

/*
 * The supervisor died: record it, and kill the process steps it left (pid +
 * start time checked): nobody else is left to. A step runner program (a
 * container) needs no reader: it stops its step when the supervisor dies
 * (PR_SET_PDEATHSIG, step.h), so its steps are left alone here.
 */
static int record_dead(cJSON *state, const char *jobdir, const char *name)
{
	cJSON *s;
	char *path = kft__path_join(jobdir, KFT__STORE_STATE);
	char msg[512];
	int program = kft__streq(kft__json_str(state, "runner"), "program");
	int error;

	KFT_CHECK_ALLOC(path);
	cJSON_ArrayForEach(s, kft__json_get(state, "steps")) {
		/* a record may be torn or hostile: a pid only if it is one, and still that process */
		pid_t pid = (pid_t)kft__json_int(kft__json_get(s, "pid"), 2, INT_MAX, 0);
		int64_t ticks = kft__json_int(kft__json_get(s, "startTicks"), 0, INT64_MAX, -1);

		if (!kft__streq(kft__json_str(s, "status"), "Running"))
			continue;
		if (!program && pid > 1 && ticks >= 0 &&
		    kft__proc_start_ticks(pid) == (unsigned long long)ticks)
			kft__kill(pid, SIGKILL, 1);
		kft__json_set_str(s, "status", "Failed");
		kft__json_set_str(s, "reason", program ?
		                  "the supervisor died while the step was running; its step program "
		                  "stops the step with it" : "the supervisor died while the step was "
		                  "running; its processes were killed");
	}
	snprintf(msg, sizeof(msg), "the kft-supervisor of this job is no longer running (killed or "
	         "crashed; see %s/supervisor.log); its steps were stopped", jobdir);
	kft__json_set_str(state, "status", "Failed");
	kft__json_set_str(state, "reason", "SupervisorDied");
	kft__json_set_str(state, "message", msg);
	kft__json_set(state, "finishedMs", cJSON_CreateNumber((double)kft__now_ms()));
	error = kft__store_write_json(path, state, 0);
	free(path);
	if (error == 0)
		kft__store_event(jobdir, "TrainJob", name, "Warning", "SupervisorDied", msg);
	return error;
}

int kft__store_read_state(cJSON **out, const char *jobdir, const char *name)
{
	char *path = kft__path_join(jobdir, KFT__STORE_STATE);
	cJSON *st = NULL;
	int error, alive;

	*out = NULL;
	KFT_CHECK_ALLOC(path);
	error = kft__store_read_json(&st, path);
	if (error == KFT_ENOTFOUND) {
		struct stat sb;

		if (stat(jobdir, &sb) < 0)
			error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE,
			                       "TrainJob \"%s\" not found", name);
		else
			error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE,
			                       "job record %s is missing", path);
	}
	if (error < 0)
		goto out;
	if (!kft__json_str(st, "status") || !cJSON_IsArray(kft__json_get(st, "steps"))) {
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE,
		                       "malformed job record %s (no status or steps)", path);
		goto out;
	}
	if (!kft__store_status_final(kft__json_str(st, "status"))) {
		if ((alive = kft__store_supervisor_alive(jobdir)) < 0) {
			error = alive;
			goto out;
		}
		if (!alive) {
			/* it may have just finished: read again before declaring it dead */
			cJSON_Delete(st);
			st = NULL;
			if ((error = kft__store_read_json(&st, path)) < 0)
				goto out;
			if (!kft__store_status_final(kft__json_str(st, "status")) &&
			    kft__store_supervisor_alive(jobdir) == 0)
				record_dead(st, jobdir, name);
		}
	}
	*out = st;
	st = NULL;
out:
	cJSON_Delete(st);
	free(path);
	return error;
}

static int64_t num(const cJSON *o, const char *key, int64_t dflt)
{
	const cJSON *v = kft__json_get(o, key);

	return kft__json_int(v, INT64_MIN, INT64_MAX, dflt);
}

int kft__store_job_from_state(kft_job_t **out, const cJSON *st, const char *backend)
{
	kft_job_t *job = NULL;
	const cJSON *s;
	int state, error;

	*out = NULL;
	if (!kft__json_str(st, "status") ||
	    kft_job_state_parse(&state, kft__json_str(st, "status")) < 0 ||
	    !kft__json_str(st, "name"))
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE,
		                      "malformed job record (status \"%s\")",
		                      kft__json_str(st, "status") ? kft__json_str(st, "status") : "");
	if ((error = kft_job_new(&job, kft__json_str(st, "name"),
	                         kft__json_str(st, "backend") ? kft__json_str(st, "backend") :
	                         backend)) < 0)
		return error;
	error |= kft_job_set_runtime(job, kft__json_str(st, "runtime"));
	error |= kft_job_set_state(job, state, kft__json_str(st, "reason"),
	                           kft__json_str(st, "message"));
	error |= kft_job_set_num_nodes(job, num(st, "numNodes", 1));
	error |= kft_job_set_times(job, num(st, "createdMs", 0), num(st, "startedMs", 0),
	                           num(st, "finishedMs", 0));
	cJSON_ArrayForEach(s, kft__json_get(st, "labels"))
		if (!error && cJSON_IsString(s) && s->string && *s->string)
			error = kft_job_set_label(job, s->string, s->valuestring);
	cJSON_ArrayForEach(s, kft__json_get(st, "steps")) {
		char pid[32];
		int64_t p = num(s, "pid", 0);

		if (error || !kft__json_str(s, "name"))
			break;
		snprintf(pid, sizeof(pid), "%lld", (long long)p);
		/* the target: what runs the step (a container), else the process id */
		error = kft_job_add_step(job, kft__json_str(s, "name"),
		                         kft__step_state_of(kft__json_str(s, "status")),
		                         kft__json_str(s, "target") ? kft__json_str(s, "target") :
		                         p > 0 ? pid : NULL, (int)num(s, "exitCode", -1),
		                         (int)num(s, "signal", 0), kft__json_str(s, "reason"));
	}
	if (error) {
		kft_job_free(job);
		return error < 0 ? error : KFT_ENOMEM;
	}
	*out = job;
	return 0;
}

int kft__store_get_job(kft_job_t **out, const char *state_dir, const char *name,
                       const char *backend)
{
	char *dir;
	cJSON *st;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	if ((error = kft__store_read_state(&st, dir, name)) == 0) {
		if ((error = kft__store_job_from_state(out, st, backend)) == 0 &&
		    (error = kft__trainer_status_load_into(*out, dir)) < 0) {
			kft_job_free(*out);
			*out = NULL;
		}
		cJSON_Delete(st);
	}
	free(dir);
	return error;
}

int kft__store_workspace_dir(char **out, const char *state_dir, const char *name)
{
	char *dir;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	if (access(dir, F_OK) != 0)
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "job %s not found", name);
	else if (!(*out = kft__path_join(dir, "workspace")))
		error = kft__error_oom();
	free(dir);
	return error;
}

int kft__store_metrics_history(kft_metrics_history_t **out, const char *state_dir,
                               const char *name)
{
	char *dir, *path;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	if (access(dir, F_OK) != 0)
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "job %s not found", name);
	else if (!(path = kft__path_join(dir, KFT__STORE_HISTORY)))
		error = kft__error_oom();
	else {
		error = kft__history_read(out, path);
		free(path);
	}
	free(dir);
	return error;
}

int kft__store_manifest(char **out, const char *state_dir, const char *name, int what)
{
	char *dir, *path;
	size_t len;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	path = kft__path_join(dir, what == KFT_MANIFEST_PLAN ? KFT__STORE_PLAN : KFT__STORE_SPEC);
	free(dir);
	KFT_CHECK_ALLOC(path);
	error = kft__read_file(out, &len, path);
	if (error == KFT_ENOTFOUND)
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE,
		                       "TrainJob \"%s\" not found", name);
	free(path);
	return error;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kft__store_list_jobs(kft_job_list_t **out, const char *state_dir, const char *runtime,
                         const char *backend)
{
	char *jobs = kft__path_join(state_dir, "jobs");
	kft__strv names = KFT__STRV_INIT;
	kft_job_list_t *list = NULL;
	struct dirent *e;
	DIR *d;
	size_t i;
	int error = 0;

	*out = NULL;
	KFT_CHECK_ALLOC(jobs);
	if ((error = kft_job_list_new(&list)) < 0)
		goto out;
	if ((d = opendir(jobs)) == NULL) {
		if (errno != ENOENT)
			error = kft__error_os(KFT_ERROR, "cannot read %s", jobs);
		goto out;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && (error = kft__strv_push(&names, e->d_name)) < 0)
			break;
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (i = 0; !error && i < names.n; i++) {
		kft_job_t *job = NULL;
		int r = kft__store_get_job(&job, state_dir, names.v[i], backend);

		if (r == KFT_ENOTFOUND || r == KFT_EINVALID)
			continue;   /* deleted meanwhile, or not a job directory */
		if (r < 0) {
			/* a malformed record is listed as Failed, not fatal */
			if (kft_job_new(&job, names.v[i], backend) < 0 ||
			    kft_job_set_state(job, KFT_JOB_FAILED, "MalformedRecord",
			                      kft_error_last()->message) < 0) {
				kft_job_free(job);
				error = KFT_ENOMEM;
				break;
			}
		}
		if (runtime && !kft__streq(kft_job_runtime(job), runtime)) {
			kft_job_free(job);
			continue;
		}
		error = kft_job_list_add(list, job);
	}
out:
	kft__strv_free(&names);
	free(jobs);
	if (error < 0) {
		kft_job_list_free(list);
		return error;
	}
	*out = list;
	return 0;
}

int kft__store_get_events(kft_event_list_t **out, const char *state_dir, const char *name)
{
	char *dir = NULL, *text = NULL, *line, *save = NULL;
	kft_event_list_t *list = NULL;
	struct stat sb;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	if (stat(dir, &sb) < 0) {
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE,
		                       "TrainJob \"%s\" not found", name);
		goto out;
	}
	if ((error = kft_event_list_new(&list)) < 0 ||
	    (error = kft__read_file_in(&text, NULL, dir, KFT__STORE_EVENTS)) < 0 || !text)
		goto out;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *e = cJSON_Parse(line);

		if (e && cJSON_IsObject(e))
			error = kft_event_list_add(list, num(e, "time", 0), kft__json_str(e, "kind"),
			                           kft__json_str(e, "object"), kft__json_str(e, "type"),
			                           kft__json_str(e, "reason"),
			                           kft__json_str(e, "message"));
		cJSON_Delete(e);
		if (error < 0)
			break;
	}
	kft_event_list_sort(list);
out:
	free(text);
	free(dir);
	if (error < 0) {
		kft_event_list_free(list);
		return error;
	}
	*out = list;
	return 0;
}

int kft__store_control(const char *jobdir, const cJSON *fields)
{
	char *path = kft__path_join(jobdir, KFT__STORE_CONTROL);
	cJSON *c = NULL;
	const cJSON *f;
	int error;

	KFT_CHECK_ALLOC(path);
	if (kft__store_read_json(&c, path) < 0) {
		kft_error_clear();
		c = cJSON_CreateObject();
	}
	if (!c) {
		free(path);
		return kft__error_oom();
	}
	cJSON_ArrayForEach(f, fields)
		kft__json_set(c, f->string, cJSON_Duplicate(f, 1));
	error = kft__store_write_json(path, c, 0);
	cJSON_Delete(c);
	free(path);
	if (error == 0 && (path = kft__path_join(jobdir, KFT__STORE_FIFO)) != NULL) {
		/* no reader (ENXIO): no supervisor yet; it reads control.json when it starts */
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		/* (no kft__log here: it would link the whole library into kft-supervisor) */
		if (fd >= 0) {
			ssize_t w = write(fd, "c", 1);   /* a full FIFO already has a poke pending */

			(void)w;
			close(fd);
		}
		free(path);
	}
	return error;
}

void kft__store_children_reap(kft__store_children *c, int block)
{
	size_t i = 0;

	while (c && i < c->n) {
		int status;
		pid_t r = waitpid(c->pids[i], &status, block ? 0 : WNOHANG);

		if (r == 0 || (r < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		c->pids[i] = c->pids[--c->n];
	}
}

void kft__store_children_free(kft__store_children *c)
{
	kft__store_children_reap(c, 1);
	free(c->pids);
	memset(c, 0, sizeof(*c));
}

int kft__store_spawn_supervisor(kft__store_children *pending, const char *jobdir, int lock_fd)
{
	kft__proc_opts o;
	char *sup = kft__supervisor_path(), *logp = kft__path_join(jobdir, "supervisor.log");
	char fdbuf[16];
	char *argv[6];
	pid_t pid;
	int logfd = -1, status, error;

	if (!sup || !logp) {
		error = kft__error_oom();
		goto out;
	}
	if (pending) {   /* room for this one, after reaping those that are done */
		kft__store_children_reap(pending, 0);
		if ((error = kft__grow(&pending->pids, &pending->cap, pending->n + 1,
		                       sizeof(*pending->pids), 8)) < 0)
			goto out;
	}
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		error = kft__error_os(KFT_ERROR, "cannot open %s", logp);
		goto out;
	}
	snprintf(fdbuf, sizeof(fdbuf), "%d", lock_fd);
	argv[0] = sup;
	argv[1] = (char *)"run";
	argv[2] = (char *)jobdir;
	argv[3] = (char *)"--lock-fd";
	argv[4] = fdbuf;
	argv[5] = NULL;
	memset(&o, 0, sizeof(o));
	o.file = sup;
	o.argv = argv;
	o.stdin_fd = -1;
	o.stdout_fd = logfd;
	o.stderr_fd = logfd;
	o.new_session = 1;
	o.keep_fds = &lock_fd;
	o.nkeep_fds = 1;
	if ((error = kft__proc_spawn(&pid, &o)) < 0) {
		kft__error_prefix("cannot start the job supervisor (set KFT_SUPERVISOR to the "
		                  "kft-supervisor program)");
		goto out;
	}
	/* the supervisor forks once and its first process exits at once: reap it now, or
	 * let the caller reap it later (kft_train returns without waiting for it) */
	if (pending) {
		pending->pids[pending->n++] = pid;
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PROCESS,
		                       "the job supervisor %s failed to start (status %d); see %s",
		                       sup, status, logp);
out:
	if (logfd >= 0)
		close(logfd);
	if (lock_fd >= 0)
		close(lock_fd);
	free(sup);
	free(logp);
	return error;
}

int kft__store_suspend(const char *jobdir, const char *name, int suspend)
{
	cJSON *st = NULL, *ctl = NULL;
	int error;

	if ((error = kft__store_read_state(&st, jobdir, name)) < 0)
		return error;
	if (kft__store_status_final(kft__json_str(st, "status"))) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "TrainJob %s is %s; only an unfinished job can be %s", name,
		                       kft__json_str(st, "status"), suspend ? "suspended" : "resumed");
		goto out;
	}
	/* the supervisor stops the steps (suspend) or starts them again (resume) */
	if (!(ctl = cJSON_CreateObject()) || !cJSON_AddBoolToObject(ctl, "suspend", suspend != 0)) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__store_control(jobdir, ctl);
out:
	cJSON_Delete(st);
	cJSON_Delete(ctl);
	return error;
}
