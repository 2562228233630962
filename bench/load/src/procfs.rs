//! A process's memory and CPU time as the kernel counts them, from `/proc`.

/// Resident set size now (`VmRSS`), in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    field_kib(pid, "VmRSS:")
}

/// Peak resident set size since the process started (`VmHWM`), in KiB.
pub fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    field_kib(pid, "VmHWM:")
}

fn field_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no {field} in /proc/{pid}/status"))
}

/// CPU time (user + system) used so far by `pid` and its child processes (nginx's workers), in
/// seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let mut ticks = stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat"))?)
        .ok_or_else(|| anyhow::anyhow!("unreadable /proc/{pid}/stat"))?
        .1;
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some((parent, child_ticks)) = stat_ticks(&stat)
            && parent == pid
        {
            ticks += child_ticks;
        }
    }
    // /proc counts in USER_HZ, which Linux fixes at 100 for every architecture's user interface.
    Ok(ticks as f64 / 100.0)
}

/// (parent PID, utime + stime) from a `/proc/PID/stat` line. The command name may hold spaces
/// and parentheses, so fields are counted from the last `)`.
fn stat_ticks(stat: &str) -> Option<(u32, u64)> {
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    // After the name: state(0) ppid(1) ... utime(11) stime(12).
    let parent = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((parent, utime + stime))
}

/// This process's soft limit on open files (each socket is one).
pub fn open_file_limit() -> anyhow::Result<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let soft = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| anyhow::anyhow!("no open-file limit in /proc/self/limits"))?;
    Ok(soft.parse().unwrap_or(usize::MAX)) // "unlimited"
}

pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_our_own_memory() {
        let pid = std::process::id();
        let rss = super::rss_kib(pid).unwrap();
        assert!(rss > 0);
        assert!(super::peak_rss_kib(pid).unwrap() >= rss);
    }

    #[test]
    fn reads_our_open_file_limit() {
        assert!(super::open_file_limit().unwrap() > 0);
    }

    #[test]
    fn parses_stat_lines_with_awkward_names() {
        let line = "42 (a) b (c)) S 7 42 42 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 1 0";
        assert_eq!(super::stat_ticks(line), Some((7, 281)));
        assert!(super::cpu_seconds(std::process::id()).unwrap() >= 0.0);
    }
}
