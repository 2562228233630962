//! A process's memory as the kernel counts it, from `/proc/PID/status`.

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
}
