import Foundation
import Testing

@testable import ProxyConfig

/// `[cache] disk_path`, `disk_size`, `disk_max_object`: what is accepted, and every mistake with line, key and fix.
@Suite struct DiskConfigTests {
    /// A scratch directory holding a plain file named `file`.
    static let scratch: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reprise-disk-config-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path + "/file", contents: Data("x".utf8))
        return path
    }()

    static let cases: [BadCase] = [
        BadCase(
            "disk_path names a file",
            baseUpstream + "[cache]\ndisk_path = \"\(scratch)/file\"\n",
            "proxy.conf:7: cache.disk_path: \"\(scratch)/file\" is a file, not a directory. Fix: name a directory for "
                + "the cache (Reprise creates it), e.g. disk_path = \"cache\"."
        ),
        BadCase(
            "disk_path cannot be created under a file",
            baseUpstream + "[cache]\ndisk_path = \"\(scratch)/file/cache\"\n",
            "proxy.conf:7: cache.disk_path: \"\(scratch)/file/cache\" cannot be created: \(scratch)/file is a file. "
                + "Fix: choose a path whose parents are directories."
        ),
        BadCase(
            "an empty disk_path",
            baseUpstream + "[cache]\ndisk_path = \"\"\n",
            "proxy.conf:7: cache.disk_path: is empty. Fix: write disk_path = \"cache\", a directory relative to this "
                + "file, or remove it."
        ),
        BadCase(
            "disk_size without disk_path",
            baseUpstream + "[cache]\ndisk_size = \"20GiB\"\n",
            "proxy.conf:7: cache.disk_size: has no effect without disk_path. Fix: add disk_path = \"cache\" (a "
                + "directory, relative to this file) to keep entries on disk, or remove disk_size."
        ),
        BadCase(
            "disk_max_object larger than disk_size",
            baseUpstream + "[cache]\ndisk_path = \"\(scratch)/cache\"\ndisk_size = \"64MiB\"\ndisk_max_object = \"1GiB\"\n",
            "proxy.conf:9: cache.disk_max_object: \"1GiB\" is larger than disk_size (\"64MiB\"). Fix: make "
                + "disk_max_object at most disk_size, or raise disk_size."
        ),
        BadCase(
            "a disk_size too small for a disk tier",
            baseUpstream + "[cache]\ndisk_path = \"\(scratch)/cache\"\ndisk_size = \"64KiB\"\n",
            "proxy.conf:8: cache.disk_size: \"64KiB\" is too small for a disk tier. Fix: write at least "
                + "disk_size = \"1MiB\"; \"20GiB\" is typical."
        ),
        BadCase(
            "a misspelt disk key",
            baseUpstream + "[cache]\ndisk_pth = \"cache\"\n",
            "proxy.conf:7: cache: unknown key \"disk_pth\". Fix: did you mean disk_path?"
        ),
    ]

    @Test(arguments: cases)
    func reportsTheProblem(_ testCase: BadCase) {
        #expect(problems(testCase.text) == testCase.expected)
    }

    @Test func withoutDiskPathTheCacheIsMemoryOnly() throws {
        let configuration = try ConfigLoader.parse(baseUpstream + "[cache]\nmemory = \"64MiB\"\n")
        #expect(configuration.cache.disk == nil)
    }

    @Test func aRelativePathIsReadFromTheConfigFilesDirectoryAndNothingIsCreated() throws {
        let directory = Self.scratch + "/relative-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/proxy.conf"
        try (baseUpstream + "[cache]\ndisk_path = \"state/cache\"\ndisk_size = \"2GiB\"\n").write(toFile: file, atomically: true, encoding: .utf8)
        let configuration = try ConfigLoader.load(path: file)
        let disk = try #require(configuration.cache.disk)
        #expect(disk.path == directory + "/state/cache")
        #expect(disk.size == 2 << 30)
        #expect(disk.maxObject == (2 << 30) / 8)
        #expect(!FileManager.default.fileExists(atPath: directory + "/state"))
    }
}
