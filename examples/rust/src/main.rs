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
        println!("step {}: {} exit {}", s.name, s.status, s.exit_code);
        if s.name.starts_with("node-") && s.exit_code == 0 {
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
