// A small safe wrapper: owned handles freed by Drop, errors as Result with the
// library's message (read on the calling thread, right after the call),
// callbacks as closures (a panic is caught and stops the operation).
// SPDX-License-Identifier: Apache-2.0
use crate::ffi;
use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

#[derive(Debug)]
pub struct Error {
    pub op: &'static str,
    pub code: i32,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (code {})", self.op, self.message, self.code)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

fn check(op: &'static str, rc: c_int) -> Result<()> {
    if rc >= 0 {
        return Ok(());
    }
    // SAFETY: kft_error_last never returns NULL and its message is never NULL.
    let message = unsafe { cstr((*ffi::kft_error_last()).message) }.unwrap_or_default();
    Err(Error { op, code: rc, message })
}

fn cstr(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the library returns NUL-terminated UTF-8 (lossy for safety).
        Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

fn cstring(op: &'static str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error { op, code: -9, message: "string contains NUL".into() })
}

pub fn version() -> (i32, String) {
    // SAFETY: plain getters without arguments.
    unsafe { (ffi::kft_version(), cstr(ffi::kft_version_string()).unwrap_or_default()) }
}

pub struct Client(*mut ffi::kft_client_t);

impl Client {
    pub fn new(backend: &str) -> Result<Client> {
        let b = cstring("kft_client_new", backend)?;
        let mut opts = std::mem::MaybeUninit::<ffi::kft_client_opts_t>::uninit();
        let mut c = ptr::null_mut();
        // SAFETY: _init fills every field; b outlives the call (strings are copied).
        unsafe {
            check("kft_client_opts_init",
                  ffi::kft_client_opts_init(opts.as_mut_ptr(), ffi::KFT_CLIENT_OPTS_VERSION))?;
            let mut opts = opts.assume_init();
            opts.backend = b.as_ptr();
            check("kft_client_new", ffi::kft_client_new(&mut c, &opts))?;
        }
        Ok(Client(c))
    }

    pub fn train(&mut self, spec: &Spec) -> Result<Job> {
        let mut j = ptr::null_mut();
        // SAFETY: valid handles; NULL opts means defaults.
        check("kft_train", unsafe { ffi::kft_train(&mut j, self.0, spec.0, ptr::null()) })?;
        Ok(Job(j))
    }

    /// Wait for Complete; `progress` runs on every change and at least once a
    /// second; returning false stops the wait.
    pub fn wait<F: FnMut(&JobRef) -> bool>(&mut self, name: &str, timeout_ms: i64,
                                           mut progress: F) -> Result<Job> {
        struct Ctx<'a> {
            f: &'a mut dyn FnMut(&JobRef) -> bool,
            panicked: bool,
        }
        unsafe extern "C" fn tramp(job: *const ffi::kft_job_t, payload: *mut c_void) -> c_int {
            let ctx = &mut *(payload as *mut Ctx);
            let r = catch_unwind(AssertUnwindSafe(|| (ctx.f)(&JobRef(job))));
            match r {
                Ok(true) => 0,
                Ok(false) => ffi::KFT_EUSER,
                Err(_) => {
                    ctx.panicked = true;
                    ffi::KFT_EUSER
                }
            }
        }
        let n = cstring("kft_wait", name)?;
        let mut ctx = Ctx { f: &mut progress, panicked: false };
        let mut opts = std::mem::MaybeUninit::<ffi::kft_wait_opts_t>::uninit();
        let mut out = ptr::null_mut();
        // SAFETY: ctx lives across the call; the callback runs only during it.
        let rc = unsafe {
            check("kft_wait_opts_init",
                  ffi::kft_wait_opts_init(opts.as_mut_ptr(), ffi::KFT_WAIT_OPTS_VERSION))?;
            let mut opts = opts.assume_init();
            opts.want = 1u32 << ffi::KFT_JOB_COMPLETE;
            opts.timeout_ms = timeout_ms;
            opts.progress_cb = Some(tramp);
            opts.payload = &mut ctx as *mut Ctx as *mut c_void;
            ffi::kft_wait(&mut out, self.0, n.as_ptr(), &opts)
        };
        let job = Job(out);   // freed by Drop even on error
        if ctx.panicked {
            panic!("kft_wait progress callback panicked");
        }
        check("kft_wait", rc)?;
        Ok(job)
    }

    /// Every step's log (no prefixes): f(chunk, step) per chunk of whole lines.
    pub fn logs<F: FnMut(&[u8], &str)>(&mut self, name: &str, mut f: F) -> Result<()> {
        struct Ctx<'a> {
            f: &'a mut dyn FnMut(&[u8], &str),
            panicked: bool,
        }
        unsafe extern "C" fn tramp(chunk: *const c_char, len: usize, step: *const c_char,
                                   payload: *mut c_void) -> c_int {
            let ctx = &mut *(payload as *mut Ctx);
            let bytes = if len == 0 { &[][..] } else { std::slice::from_raw_parts(chunk as *const u8, len) };
            let st = cstr(step).unwrap_or_default();
            match catch_unwind(AssertUnwindSafe(|| (ctx.f)(bytes, &st))) {
                Ok(()) => 0,
                Err(_) => {
                    ctx.panicked = true;
                    ffi::KFT_EUSER
                }
            }
        }
        let n = cstring("kft_logs", name)?;
        let mut ctx = Ctx { f: &mut f, panicked: false };
        let mut opts = std::mem::MaybeUninit::<ffi::kft_logs_opts_t>::uninit();
        // SAFETY: as in wait.
        let rc = unsafe {
            check("kft_logs_opts_init",
                  ffi::kft_logs_opts_init(opts.as_mut_ptr(), ffi::KFT_LOGS_OPTS_VERSION))?;
            let mut opts = opts.assume_init();
            opts.prefix = ffi::KFT_LOG_PREFIX_NEVER;
            ffi::kft_logs(self.0, n.as_ptr(), &opts, Some(tramp), &mut ctx as *mut Ctx as *mut c_void)
        };
        if ctx.panicked {
            panic!("kft_logs callback panicked");
        }
        check("kft_logs", rc)
    }

    /// The runtime's name as the library knows it (ENOTFOUND if it has none such).
    pub fn runtime_name(&mut self, name: &str) -> Result<String> {
        let n = cstring("kft_get_runtime", name)?;
        let mut rt = ptr::null_mut();
        // SAFETY: valid handle and string; rt is freed below.
        check("kft_get_runtime", unsafe { ffi::kft_get_runtime(&mut rt, self.0, n.as_ptr()) })?;
        let out = cstr(unsafe { ffi::kft_runtime_name(rt) }).unwrap_or_default();
        unsafe { ffi::kft_runtime_free(rt) };
        Ok(out)
    }

    pub fn delete_job(&mut self, name: &str) -> Result<()> {
        let n = cstring("kft_delete_job", name)?;
        // SAFETY: valid handle and string; NULL opts means defaults.
        check("kft_delete_job", unsafe { ffi::kft_delete_job(self.0, n.as_ptr(), ptr::null()) })
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: owned handle; _free(NULL) is a no-op anyway.
        unsafe { ffi::kft_client_free(self.0) }
    }
}

pub struct Spec(*mut ffi::kft_spec_t);

impl Spec {
    pub fn new() -> Result<Spec> {
        let mut s = ptr::null_mut();
        // SAFETY: out pointer is valid.
        check("kft_spec_new", unsafe { ffi::kft_spec_new(&mut s) })?;
        Ok(Spec(s))
    }

    pub fn runtime(&mut self, name: &str) -> Result<&mut Self> {
        let n = cstring("kft_spec_set_runtime", name)?;
        // SAFETY: strings are copied by the library.
        check("kft_spec_set_runtime",
              unsafe { ffi::kft_spec_set_runtime(self.0, n.as_ptr(), ptr::null()) })?;
        Ok(self)
    }

    pub fn command(&mut self, argv: &[&str]) -> Result<&mut Self> {
        let owned: Vec<CString> =
            argv.iter().map(|a| cstring("kft_spec_set_command", a)).collect::<Result<_>>()?;
        let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        // SAFETY: ptrs/owned outlive the call; the library copies them.
        check("kft_spec_set_command",
              unsafe { ffi::kft_spec_set_command(self.0, ptrs.as_ptr(), ptrs.len()) })?;
        Ok(self)
    }

    pub fn num_nodes(&mut self, n: i64) -> Result<&mut Self> {
        // SAFETY: valid handle.
        check("kft_spec_set_num_nodes", unsafe { ffi::kft_spec_set_num_nodes(self.0, n) })?;
        Ok(self)
    }
}

impl Drop for Spec {
    fn drop(&mut self) {
        // SAFETY: owned handle.
        unsafe { ffi::kft_spec_free(self.0) }
    }
}

/// A borrowed job (inside callbacks).
#[repr(transparent)]
pub struct JobRef(*const ffi::kft_job_t);

/// An owned job, freed on Drop.
#[repr(transparent)]
pub struct Job(*mut ffi::kft_job_t);

impl std::ops::Deref for Job {
    type Target = JobRef;
    fn deref(&self) -> &JobRef {
        // SAFETY: both are #[repr(transparent)] over a job pointer (*mut/*const alike).
        unsafe { &*(self as *const Job as *const JobRef) }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: owned handle (may be NULL).
        unsafe { ffi::kft_job_free(self.0) }
    }
}

pub struct StepInfo {
    pub name: String,
    pub status: String,
    /// None until the step has exited (the library's KFT_UNSET).
    pub exit_code: Option<i32>,
}

impl JobRef {
    pub fn name(&self) -> String {
        // SAFETY: borrowed string lives as long as the job.
        cstr(unsafe { ffi::kft_job_name(self.0) }).unwrap_or_default()
    }
    pub fn status(&self) -> String {
        cstr(unsafe { ffi::kft_job_status(self.0) }).unwrap_or_default()
    }
    pub fn is_complete(&self) -> bool {
        unsafe { ffi::kft_job_state(self.0) == ffi::KFT_JOB_COMPLETE }
    }
    pub fn steps(&self) -> Vec<StepInfo> {
        // SAFETY: indices below kft_job_step_count; steps are borrowed from the job.
        unsafe {
            (0..ffi::kft_job_step_count(self.0))
                .map(|i| {
                    let st = ffi::kft_job_step_at(self.0, i);
                    let code = ffi::kft_step_exit_code(st);
                    StepInfo {
                        name: cstr(ffi::kft_step_name(st)).unwrap_or_default(),
                        status: cstr(ffi::kft_step_status(st)).unwrap_or_default(),
                        exit_code: if code == ffi::KFT_UNSET { None } else { Some(code) },
                    }
                })
                .collect()
        }
    }
}
