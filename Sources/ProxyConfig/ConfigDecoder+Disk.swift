import Foundation

// MARK: - [cache] disk keys

extension ConfigDecoder {
    /// `disk_path`, `disk_size`, `disk_max_object`; nil without `disk_path` (memory only). The path must be a directory
    /// Reprise can write, or one it can create (its nearest existing parent writable); nothing is created here.
    mutating func decodeDisk(_ table: TableContext) -> DiskSettings? {
        let size = self.size(table, "disk_size")
        let maxObject = self.size(table, "disk_max_object")
        guard let written = self.string(table, "disk_path") else {
            for key in ["disk_size", "disk_max_object"] where table.entries[key] != nil {
                self.report(
                    table,
                    key,
                    "has no effect without disk_path.",
                    fix: "add disk_path = \"cache\" (a directory, relative to this file) to keep entries on disk, or remove \(key)."
                )
            }
            return nil
        }
        guard !written.value.isEmpty else {
            self.report(table, "disk_path", "is empty.", fix: "write disk_path = \"cache\", a directory relative to this file, or remove it.")
            return nil
        }
        var path = written.value
        if !path.hasPrefix("/"), let base = self.baseDirectory {
            path = URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
        }
        if let problem = Self.directoryProblem(path) {
            self.report(table, "disk_path", "\(written.display) \(problem.reason).", fix: problem.fix)
        }
        var settings = DiskSettings(path: path, size: size ?? DiskSettings.defaultSize, maxObject: maxObject)
        if settings.maxObject > settings.size {
            let sizeText = table.entries["disk_size"] == nil ? "the default 1GiB" : self.written(table, "disk_size")
            self.report(
                table,
                "disk_max_object",
                "\(self.written(table, "disk_max_object")) is larger than disk_size (\(sizeText)).",
                fix: "make disk_max_object at most disk_size, or raise disk_size."
            )
            settings.maxObject = settings.size
        }
        if settings.size < 1 << 20 {
            self.report(
                table,
                "disk_size",
                "\(self.written(table, "disk_size")) is too small for a disk tier.",
                fix: "write at least disk_size = \"1MiB\"; \"20GiB\" is typical."
            )
        }
        return settings
    }

    /// Why Reprise could not keep its files at `path`; nil when it can.
    static func directoryProblem(_ path: String) -> (reason: String, fix: String)? {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                return ("is a file, not a directory", "name a directory for the cache (Reprise creates it), e.g. disk_path = \"cache\".")
            }
            guard manager.isWritableFile(atPath: path), manager.isExecutableFile(atPath: path) else {
                return ("is a directory this process cannot write", "let the user Reprise runs as write it (chown or chmod), or choose another directory.")
            }
            return nil
        }
        // The nearest existing parent must be a directory Reprise can create the path in.
        var parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        while !manager.fileExists(atPath: parent.path, isDirectory: &isDirectory) {
            let next = parent.deletingLastPathComponent()
            if next.path == parent.path { break }
            parent = next
        }
        guard isDirectory.boolValue else {
            return ("cannot be created: \(parent.path) is a file", "choose a path whose parents are directories.")
        }
        guard manager.isWritableFile(atPath: parent.path), manager.isExecutableFile(atPath: parent.path) else {
            return (
                "cannot be created: \(parent.path) is not writable by this process",
                "create the directory and let the user Reprise runs as write it, or choose another path."
            )
        }
        return nil
    }
}
