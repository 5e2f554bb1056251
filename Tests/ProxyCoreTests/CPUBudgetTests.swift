import Testing

@testable import ProxyCore

/// The default event-loop count (issue 18): the CPUs the process may use, not the host's.
struct CPUBudgetTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var affinity: Int?
        var quotas: [(quota: Int?, period: Int)]
        var expected: Int
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(name: "no mask known, no quota: the online CPUs", affinity: nil, quotas: [], expected: 8),
        Case(name: "taskset -c 0 on an 8-core host", affinity: 1, quotas: [], expected: 1),
        Case(name: "docker --cpus 2 (v2: 200000 100000)", affinity: 8, quotas: [(200_000, 100_000)], expected: 2),
        Case(name: "--cpus 1.5 rounds up", affinity: 8, quotas: [(150_000, 100_000)], expected: 2),
        Case(name: "--cpus 0.2 is still one loop", affinity: 8, quotas: [(20_000, 100_000)], expected: 1),
        Case(name: "unlimited quota (max, or v1's -1)", affinity: 4, quotas: [(nil, 100_000), (-1, 100_000)], expected: 4),
        Case(name: "the tightest of the cgroup and its ancestors", affinity: 8, quotas: [(400_000, 100_000), (300_000, 100_000)], expected: 3),
        Case(name: "a mask smaller than the quota", affinity: 2, quotas: [(400_000, 100_000)], expected: 2),
    ]

    @Test(arguments: Self.cases)
    func budget(_ c: Case) {
        #expect(CPUBudget.budget(affinity: c.affinity, quotas: c.quotas, online: 8) == c.expected)
    }

    @Test func cpuMaxLines() {
        #expect(CPUBudget.parseCPUMax("max 100000\n")! == (nil, 100_000))
        #expect(CPUBudget.parseCPUMax("150000 100000")! == (150_000, 100_000))
        #expect(CPUBudget.parseCPUMax("garbage") == nil)
    }

    @Test func cgroupPathsOfBothHierarchies() {
        let text = "12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/system.slice/app.service\n"
        let paths = CPUBudget.cgroupPaths(text)
        #expect(paths.v2 == "/system.slice/app.service")
        #expect(paths.v1CPU == "/docker/abc")
        #expect(CPUBudget.ancestors("/a/b") == ["/a/b", "/a", "/"])
        #expect(CPUBudget.ancestors("/") == ["/"])
    }

    @Test func cpuLists() {
        #expect(CPUBudget.countCPUList("0") == 1)
        #expect(CPUBudget.countCPUList("\t0-3,6\n") == 5)
        #expect(CPUBudget.countCPUList("0-1,4-5,7") == 5)
        #expect(CPUBudget.countCPUList("3-1") == nil)
        #expect(CPUBudget.countCPUList("") == nil)
    }

    @Test func thisProcessHasAtLeastOneCPU() {
        #expect(CPUBudget.current() >= 1)
        #expect(CPUBudget.current() <= CPUBudget.onlineCount())
    }
}
