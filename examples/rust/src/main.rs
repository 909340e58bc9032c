// kftrainer-example: a 2-node TrainJob on the local backend from Rust through
// libkftrainer's C API: train, wait, print the steps and logs, delete.
// Exit status: 0 when the job completed and both nodes logged; 1 otherwise.
// SPDX-License-Identifier: Apache-2.0
mod ffi;
mod kft;

use std::collections::BTreeMap;
use std::process::ExitCode;

const MAJOR: i32 = 0; // KFT_VERSION_MAJOR this example was written for

fn run() -> kft::Result<bool> {
    let (num, text) = kft::version();
    if num >> 16 != MAJOR {
        eprintln!("libkftrainer ABI mismatch: {}", text);
        return Ok(false);
    }
    println!("libkftrainer {}", text);
    check_thread_errors(16, 20)?;

    let mut client = kft::Client::new("local")?;
    let mut spec = kft::Spec::new()?;
    spec.runtime("torch-distributed")?
        .command(&["sh", "-c",
                   "echo \"hello from node ${PET_NODE_RANK:-?} of ${PET_NNODES:-?}\"; \
                    sleep 1; echo \"node ${PET_NODE_RANK:-?} done\""])?
        .num_nodes(2)?;
    let name = client.train(&spec)?.name();
    println!("job: {}", name);

    let mut polls = 0;
    let done = client.wait(&name, 120_000, |_| {
        polls += 1;
        true
    })?;
    println!("status: {} ({} progress calls)", done.status(), polls);
    let mut nodes_ok = 0;
    for s in done.steps() {
        let code = s.exit_code.map_or_else(|| "-".to_string(), |c| c.to_string());
        println!("step {}: {} exit {}", s.name, s.status, code);
        if s.name.starts_with("node-") && s.exit_code == Some(0) {
            nodes_ok += 1;
        }
    }

    let mut by_step: BTreeMap<String, String> = BTreeMap::new();
    client.logs(&name, |chunk, step| {
        by_step.entry(step.to_string()).or_default().push_str(&String::from_utf8_lossy(chunk));
    })?;
    for (step, text) in &by_step {
        print!("--- {}\n{}", step, text);
    }
    client.delete_job(&name)?;

    let has = |step: &str, want: &str| by_step.get(step).map_or(false, |t| t.contains(want));
    Ok(done.is_complete() && nodes_ok == 2 && has("node-0", "hello from node 0 of 2")
        && has("node-1", "hello from node 1 of 2"))
}

/// Many threads fail at once, each on its own client: every error message must
/// be the thread's own (the library keeps the last error per thread).
fn check_thread_errors(threads: usize, calls: usize) -> kft::Result<()> {
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            std::thread::spawn(move || -> kft::Result<bool> {
                let mut c = kft::Client::new("local")?;
                let want = format!("no-such-runtime-{}", i);
                for _ in 0..calls {
                    match c.runtime_name(&want) {
                        Err(e) if e.code == ffi::KFT_ENOTFOUND
                            && e.message.contains(&format!("\"{}\"", want)) => {}
                        _ => return Ok(false),
                    }
                }
                Ok(true)
            })
        })
        .collect();
    let mut ok = 0;
    for h in handles {
        if h.join().expect("thread panicked")? {
            ok += 1;
        }
    }
    if ok != threads {
        return Err(kft::Error { op: "thread-local errors", code: -1,
                                message: format!("{} of {} threads saw a wrong message", threads - ok, threads) });
    }
    // and the main thread's own lookup still works
    let mut c = kft::Client::new("local")?;
    assert_eq!(c.runtime_name("torch-distributed")?, "torch-distributed");
    println!("thread-local errors: {} threads x {} failing calls, each saw its own message", threads, calls);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => {
            println!("OK");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("UNEXPECTED RESULT");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {}", e);
            ExitCode::FAILURE
        }
    }
}
