#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many CPUs this process may actually use: the event-loop count Reprise starts with by default.
///
/// The host's core count is wrong in two common cases: a process started under `taskset` (or a cpuset) may run on
/// fewer cores, and a container started with `--cpus 2` gets a CFS quota of two cores' time on a larger host.
/// Two event loops sharing one core triple the p99 of a pinned benchmark (issue 18). This is the smaller of the
/// affinity mask's CPU count and the CPU quota (cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`)
/// of the process's cgroup and its ancestors, rounded up; at least 1.
public enum CPUBudget {
    /// The budget of this process, read from the kernel.
    public static func current() -> Int {
        Self.budget(affinity: Self.affinityCount(), quotas: Self.quotas())
    }

    /// The budget for an affinity mask of `affinity` CPUs (nil when unknown: the online count is used instead) and
    /// the quotas found, as (quota, period) in microseconds; a quota of nil or non-positive means unlimited.
    static func budget(affinity: Int?, quotas: [(quota: Int?, period: Int)], online: Int = Self.onlineCount()) -> Int {
        var count = affinity ?? online
        for (quota, period) in quotas {
            guard let quota, quota > 0, period > 0 else { continue }
            count = min(count, (quota + period - 1) / period)
        }
        return max(1, count)
    }

    /// A cgroup v2 `cpu.max` line (`"max 100000"`, `"150000 100000"`) as (quota, period); nil when unreadable.
    static func parseCPUMax(_ text: String) -> (quota: Int?, period: Int)? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let period = Int(fields[1]) else { return nil }
        return (fields[0] == "max" ? nil : Int(fields[0]), period)
    }

    /// The cgroup paths of a `/proc/self/cgroup` text: the v2 one (`0::/path`) and the v1 `cpu` controller's.
    static func cgroupPaths(_ text: String) -> (v2: String?, v1CPU: String?) {
        var v2: String?
        var v1: String?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0", parts[1].isEmpty { v2 = String(parts[2]) }
            if parts[1].split(separator: ",").contains("cpu") { v1 = String(parts[2]) }
        }
        return (v2, v1)
    }

    /// A path and each of its ancestors, deepest first (`/a/b`, `/a`, `/`).
    static func ancestors(_ path: String) -> [String] {
        var result: [String] = []
        var components = path.split(separator: "/").map(String.init)
        while true {
            result.append("/" + components.joined(separator: "/"))
            if components.isEmpty { break }
            components.removeLast()
        }
        return result
    }

    // MARK: Reading the kernel

    private static func quotas() -> [(quota: Int?, period: Int)] {
        guard let text = Self.read("/proc/self/cgroup") else { return [] }
        let paths = Self.cgroupPaths(text)
        var found: [(quota: Int?, period: Int)] = []
        if let v2 = paths.v2 {
            for path in Self.ancestors(v2) {
                let base = "/sys/fs/cgroup" + (path == "/" ? "" : path)
                if let line = Self.read(base + "/cpu.max"), let quota = Self.parseCPUMax(line) { found.append(quota) }
            }
        }
        if let v1 = paths.v1CPU {
            for path in Self.ancestors(v1) {
                for root in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"] {
                    let base = root + (path == "/" ? "" : path)
                    guard let quota = Self.read(base + "/cpu.cfs_quota_us").flatMap({ Int(Self.trimmed($0)) }),
                        let period = Self.read(base + "/cpu.cfs_period_us").flatMap({ Int(Self.trimmed($0)) })
                    else { continue }
                    found.append((quota, period))
                }
            }
        }
        return found
    }

    /// The affinity mask's CPU count, from `Cpus_allowed_list` in `/proc/self/status` (what `sched_getaffinity`
    /// returns; Glibc's module does not export that call to Swift).
    private static func affinityCount() -> Int? {
        guard let status = Self.read("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Cpus_allowed_list:") {
            return Self.countCPUList(String(line.dropFirst("Cpus_allowed_list:".count)))
        }
        return nil
    }

    /// The number of CPUs in a kernel CPU list (`"0-3,6"` is 5); nil when it is not one.
    static func countCPUList(_ text: String) -> Int? {
        var count = 0
        for part in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, Int(bounds[0]) != nil {
                count += 1
            } else if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), high >= low {
                count += high - low + 1
            } else {
                return nil
            }
        }
        return count > 0 ? count : nil
    }

    static func onlineCount() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = fread(&buffer, 1, buffer.count - 1, file)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func trimmed(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map(String.init) ?? ""
    }
}
