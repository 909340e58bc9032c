// extern "C" declarations for the part of include/kftrainer.h this example
// uses. Layouts mirror the C structs (#[repr(C)], same field order).
// SPDX-License-Identifier: Apache-2.0
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

pub const KFT_ENOTFOUND: c_int = -2;
pub const KFT_EUSER: c_int = -6;
pub const KFT_JOB_COMPLETE: c_int = 3;
pub const KFT_UNSET: c_int = c_int::MIN;
pub const KFT_LOG_PREFIX_NEVER: c_int = 2;
pub const KFT_CLIENT_OPTS_VERSION: c_uint = 2;
pub const KFT_WAIT_OPTS_VERSION: c_uint = 1;
pub const KFT_LOGS_OPTS_VERSION: c_uint = 2;

// The library's opaque handles: only ever behind a pointer.
macro_rules! opaque {
    ($($name:ident),*) => {
        $(
            #[repr(C)]
            pub struct $name {
                _p: [u8; 0],
            }
        )*
    };
}
opaque!(kft_client_t, kft_spec_t, kft_job_t, kft_runtime_t, kft_step_t);

#[repr(C)]
pub struct kft_error_t {
    pub message: *const c_char,
    pub klass: c_int,
    pub http_status: c_int,
    pub reason: *const c_char,
}

#[repr(C)]
pub struct kft_client_opts_t {
    pub version: c_uint,
    pub backend: *const c_char,
    pub state_dir: *const c_char,
    pub runtime_path: *const c_char,
    pub kubeconfig: *const c_char,
    pub context: *const c_char,
    pub ns: *const c_char,
    pub container_host: *const c_char,
    pub pull_policy: *const c_char,
    pub network: *const c_char,
    pub timeout_ms: i64,
    pub backend_option_keys: *const *const c_char,
    pub backend_option_values: *const *const c_char,
    pub nbackend_options: usize,
}

pub type kft_wait_cb = Option<unsafe extern "C" fn(job: *const kft_job_t, payload: *mut c_void) -> c_int>;
pub type kft_log_cb = Option<
    unsafe extern "C" fn(chunk: *const c_char, len: usize, step: *const c_char, payload: *mut c_void) -> c_int,
>;

#[repr(C)]
pub struct kft_wait_opts_t {
    pub version: c_uint,
    pub want: u32,
    pub timeout_ms: i64,
    pub progress_cb: kft_wait_cb,
    pub payload: *mut c_void,
}

#[repr(C)]
pub struct kft_logs_opts_t {
    pub version: c_uint,
    pub step: *const c_char,
    pub flags: u32,
    pub tail_lines: i64,
    pub since_ms: i64,
    pub timeout_ms: i64,
    pub prefix: c_int,
}

extern "C" {
    pub fn kft_version() -> c_int;
    pub fn kft_version_string() -> *const c_char;
    pub fn kft_error_last() -> *const kft_error_t;
    pub fn kft_strerror(code: c_int) -> *const c_char;

    pub fn kft_client_opts_init(opts: *mut kft_client_opts_t, version: c_uint) -> c_int;
    pub fn kft_client_new(out: *mut *mut kft_client_t, opts: *const kft_client_opts_t) -> c_int;
    pub fn kft_client_free(client: *mut kft_client_t);

    pub fn kft_spec_new(out: *mut *mut kft_spec_t) -> c_int;
    pub fn kft_spec_free(spec: *mut kft_spec_t);
    pub fn kft_spec_set_runtime(spec: *mut kft_spec_t, name: *const c_char, kind: *const c_char) -> c_int;
    pub fn kft_spec_set_command(spec: *mut kft_spec_t, argv: *const *const c_char, argc: usize) -> c_int;
    pub fn kft_spec_set_num_nodes(spec: *mut kft_spec_t, n: i64) -> c_int;

    pub fn kft_train(out: *mut *mut kft_job_t, client: *mut kft_client_t, spec: *const kft_spec_t,
                     opts: *const c_void) -> c_int;
    pub fn kft_wait_opts_init(opts: *mut kft_wait_opts_t, version: c_uint) -> c_int;
    pub fn kft_wait(out: *mut *mut kft_job_t, client: *mut kft_client_t, name: *const c_char,
                    opts: *const kft_wait_opts_t) -> c_int;
    pub fn kft_logs_opts_init(opts: *mut kft_logs_opts_t, version: c_uint) -> c_int;
    pub fn kft_logs(client: *mut kft_client_t, name: *const c_char, opts: *const kft_logs_opts_t,
                    cb: kft_log_cb, payload: *mut c_void) -> c_int;
    pub fn kft_delete_job(client: *mut kft_client_t, name: *const c_char, opts: *const c_void) -> c_int;

    pub fn kft_get_runtime(out: *mut *mut kft_runtime_t, client: *mut kft_client_t,
                           name: *const c_char) -> c_int;
    pub fn kft_runtime_name(rt: *const kft_runtime_t) -> *const c_char;
    pub fn kft_runtime_free(rt: *mut kft_runtime_t);

    pub fn kft_job_free(job: *mut kft_job_t);
    pub fn kft_job_name(job: *const kft_job_t) -> *const c_char;
    pub fn kft_job_state(job: *const kft_job_t) -> c_int;
    pub fn kft_job_status(job: *const kft_job_t) -> *const c_char;
    pub fn kft_job_step_count(job: *const kft_job_t) -> usize;
    pub fn kft_job_step_at(job: *const kft_job_t, i: usize) -> *const kft_step_t;
    pub fn kft_step_name(step: *const kft_step_t) -> *const c_char;
    pub fn kft_step_status(step: *const kft_step_t) -> *const c_char;
    pub fn kft_step_exit_code(step: *const kft_step_t) -> c_int;
}
