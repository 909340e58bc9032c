// train: a 2-node local TrainJob from C++17 through a thin RAII wrapper over
// the C API (std::unique_ptr with the library's _free functions).
// Trains, waits, prints each step and the logs, deletes the job.
// Exit status: 0 when the job completed and both nodes logged; 1 otherwise.
// SPDX-License-Identifier: Apache-2.0
#include <kftrainer.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace kft {

// A failed call: the library's message, read on the calling thread.
class error : public std::runtime_error {
public:
	error(const std::string &what, int code)
		: std::runtime_error(what + ": " + kft_error_last()->message + " (code " +
		                     std::to_string(code) + ")"),
		  code_(code) {}
	int code() const noexcept { return code_; }

private:
	int code_;
};

inline void check(int rc, const char *what)
{
	if (rc < 0)
		throw error(what, rc);
}

template <class T, void (*Free)(T *)> struct deleter {
	void operator()(T *p) const noexcept { Free(p); }
};
struct string_deleter {
	void operator()(char *p) const noexcept { kft_free(p); }
};

using client = std::unique_ptr<kft_client_t, deleter<kft_client_t, kft_client_free>>;
using spec = std::unique_ptr<kft_spec_t, deleter<kft_spec_t, kft_spec_free>>;
using job = std::unique_ptr<kft_job_t, deleter<kft_job_t, kft_job_free>>;
using runtime_list =
	std::unique_ptr<kft_runtime_list_t, deleter<kft_runtime_list_t, kft_runtime_list_free>>;
using string = std::unique_ptr<char, string_deleter>;

inline client make_client(const char *backend)
{
	kft_client_opts_t opts = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c = nullptr;

	opts.backend = backend;
	check(kft_client_new(&c, &opts), "kft_client_new");
	return client(c);
}

inline spec make_spec()
{
	kft_spec_t *s = nullptr;
	check(kft_spec_new(&s), "kft_spec_new");
	return spec(s);
}

inline std::string render(const kft_spec_t *s)
{
	char *out = nullptr;
	check(kft_spec_render(&out, s, nullptr), "kft_spec_render");
	return string(out).get();
}

inline job train(kft_client_t *c, const kft_spec_t *s)
{
	kft_job_t *j = nullptr;
	check(kft_train(&j, c, s, nullptr), "kft_train");
	return job(j);
}

// Callbacks: C++ exceptions must not unwind through C frames, so the
// trampolines catch them, stop the operation and rethrow after it returns.
struct callback_state {
	std::exception_ptr exc;
};

template <class F> struct wait_ctx : callback_state {
	F *fn;
};

template <class F> inline job wait(kft_client_t *c, const char *name, uint32_t want,
                                   int64_t timeout_ms, F &&progress)
{
	wait_ctx<std::remove_reference_t<F>> ctx;
	ctx.fn = &progress;
	kft_wait_opts_t opts = KFT_WAIT_OPTS_INIT;
	opts.want = want;
	opts.timeout_ms = timeout_ms;
	opts.payload = &ctx;
	opts.progress_cb = [](const kft_job_t *j, void *payload) -> int {
		auto *x = static_cast<wait_ctx<std::remove_reference_t<F>> *>(payload);
		try {
			return (*x->fn)(j) ? 0 : KFT_EUSER;
		} catch (...) {
			x->exc = std::current_exception();
			return KFT_EUSER;
		}
	};
	kft_job_t *out = nullptr;
	int rc = kft_wait(&out, c, name, &opts);
	job result(out);
	if (ctx.exc)
		std::rethrow_exception(ctx.exc);
	check(rc, "kft_wait");
	return result;
}

using log_fn = std::function<void(const std::string &chunk, const char *step)>;

inline void logs(kft_client_t *c, const char *name, const char *step, kft_log_prefix_t prefix,
                 const log_fn &fn)
{
	struct ctx_t : callback_state {
		const log_fn *fn;
	} ctx;
	ctx.fn = &fn;
	kft_logs_opts_t opts = KFT_LOGS_OPTS_INIT;
	opts.step = step;
	opts.prefix = prefix;
	int rc = kft_logs(
		c, name, &opts,
		[](const char *chunk, size_t len, const char *st, void *payload) -> int {
			auto *x = static_cast<ctx_t *>(payload);
			try {
				if (len)   // len 0: a keep-alive call, nothing to deliver
					(*x->fn)(std::string(chunk, len), st ? st : "");
				return 0;
			} catch (...) {
				x->exc = std::current_exception();
				return KFT_EUSER;
			}
		},
		&ctx);
	if (ctx.exc)
		std::rethrow_exception(ctx.exc);
	check(rc, "kft_logs");
}

} // namespace kft

int main()
{
	try {
		if (kft_version() >> 16 != KFT_VERSION_MAJOR)
			throw std::runtime_error("libkftrainer ABI mismatch");
		std::printf("libkftrainer %s\n", kft_version_string());

		kft::client client = kft::make_client("local");
		kft_runtime_list_t *rl = nullptr;
		kft::check(kft_list_runtimes(&rl, client.get()), "kft_list_runtimes");
		kft::runtime_list runtimes(rl);
		std::printf("runtimes: %zu\n", kft_runtime_list_count(runtimes.get()));

		const char *argv[] = {"sh", "-c",
		                      "echo \"hello from node ${PET_NODE_RANK:-?} of ${PET_NNODES:-?}\"; "
		                      "sleep 1; echo \"node ${PET_NODE_RANK:-?} done\""};
		kft::spec spec = kft::make_spec();
		kft::check(kft_spec_set_runtime(spec.get(), "torch-distributed", nullptr), "runtime");
		kft::check(kft_spec_set_command(spec.get(), argv, 3), "command");
		kft::check(kft_spec_set_num_nodes(spec.get(), 2), "numNodes");

		kft::job created = kft::train(client.get(), spec.get());
		std::string name = kft_job_name(created.get());
		std::printf("job: %s\n", name.c_str());

		int polls = 0;
		kft::job done = kft::wait(client.get(), name.c_str(), KFT_WANT(KFT_JOB_COMPLETE),
		                          120000, [&](const kft_job_t *) { ++polls; return true; });
		std::printf("status: %s (%d progress calls)\n", kft_job_status(done.get()), polls);
		int nodes_ok = 0;
		for (size_t i = 0; i < kft_job_step_count(done.get()); i++) {
			const kft_step_t *step = kft_job_step_at(done.get(), i);
			int code = kft_step_exit_code(step);
			std::printf("step %s: %s exit %d\n", kft_step_name(step), kft_step_status(step),
			            code);
			if (std::string(kft_step_name(step)).rfind("node-", 0) == 0 && code == 0)
				nodes_ok++;
		}

		std::map<std::string, std::string> by_step;
		kft::logs(client.get(), name.c_str(), nullptr, KFT_LOG_PREFIX_NEVER,
		          [&](const std::string &chunk, const char *st) { by_step[st] += chunk; });
		for (const auto &kv : by_step)
			std::printf("--- %s\n%s", kv.first.c_str(), kv.second.c_str());

		kft::check(kft_delete_job(client.get(), name.c_str(), nullptr), "kft_delete_job");
		bool ok = kft_job_state(done.get()) == KFT_JOB_COMPLETE && nodes_ok == 2 &&
		          by_step["node-0"].find("hello from node 0 of 2") != std::string::npos &&
		          by_step["node-1"].find("hello from node 1 of 2") != std::string::npos;
		std::printf("%s\n", ok ? "OK" : "UNEXPECTED RESULT");
		return ok ? 0 : 1;
	} catch (const kft::error &e) {
		std::fprintf(stderr, "error: %s\n", e.what());
		return 1;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "error: %s\n", e.what());
		return 1;
	}
}
