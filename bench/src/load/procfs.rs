//! What the server processes cost while a scenario runs, read from `/proc`: CPU time
//! (user + system, in clock ticks) and resident memory, for the pids given on the command
//! line (`spin up` and its `spin trigger http` child) and for Redis separately.

use std::fs;

/// Clock ticks per second for `/proc/<pid>/stat` (`getconf CLK_TCK`: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// A group of processes measured together.
#[derive(Debug, Clone, Default)]
pub struct Processes {
    pids: Vec<u32>,
}

impl Processes {
    /// The processes `pids` (none: every figure reads 0).
    pub fn new(pids: Vec<u32>) -> Self {
        Processes { pids }
    }

    /// This benchmark itself: its own cost is reported so a reader can tell when the
    /// client, on the same cores, starts to be the limit.
    pub fn this_process() -> Self {
        Processes {
            pids: vec![std::process::id()],
        }
    }

    /// Whether any pid was given.
    pub fn is_empty(&self) -> bool {
        self.pids.is_empty()
    }

    /// CPU seconds used so far by all of them (processes that exited count 0).
    pub fn cpu_seconds(&self) -> f64 {
        self.pids
            .iter()
            .filter_map(|pid| cpu_ticks(*pid))
            .sum::<u64>() as f64
            / TICKS_PER_SECOND
    }

    /// Open file descriptors of all of them (sockets, files, pipes).
    pub fn descriptors(&self) -> u64 {
        self.pids
            .iter()
            .filter_map(|pid| fs::read_dir(format!("/proc/{pid}/fd")).ok())
            .map(|dir| dir.count() as u64)
            .sum()
    }

    /// Resident memory of all of them, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.pids.iter().filter_map(|pid| rss_kib(*pid)).sum()
    }
}

/// utime + stime of one process. The command name (field 2) may hold spaces, so fields
/// are counted after its closing parenthesis.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU use between two readings, as a percentage of one core.
pub fn cpu_percent(cpu_before: f64, cpu_after: f64, seconds: f64) -> f64 {
    if seconds <= 0.0 {
        0.0
    } else {
        (cpu_after - cpu_before) / seconds * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let me = Processes::this_process();
        let burn: u64 = (0..20_000_000u64).fold(0, |a, b| a.wrapping_add(b * b));
        assert!(burn > 0);
        assert!(me.rss_kib() > 0);
        assert!(me.descriptors() >= 3, "stdin, stdout and stderr at least");
        assert!(me.cpu_seconds() >= 0.0);
        assert!(cpu_ticks(std::process::id()).is_some());
    }

    #[test]
    fn a_missing_process_counts_nothing() {
        let gone = Processes::new(vec![u32::MAX]);
        assert_eq!(gone.rss_kib(), 0);
        assert_eq!(gone.cpu_seconds(), 0.0);
    }

    #[test]
    fn percent_of_a_core() {
        assert_eq!(cpu_percent(1.0, 2.5, 1.5), 100.0);
        assert_eq!(cpu_percent(1.0, 2.0, 0.0), 0.0);
    }
}
