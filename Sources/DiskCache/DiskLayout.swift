/// Where the disk tier keeps what, under `disk_path`:
///
/// - `entries/XX/<16 hex digits>`: one file per stored response, named by its write sequence number (`XX` is the
///   number's last byte, 256 directories). A newer response for the same key and variant is a new file; the older
///   one is removed once the new one is in the index, and whichever survives a crash, the higher number wins at start.
/// - `tmp/`: files being written. A file becomes visible only by its rename into `entries/` once complete; whatever
///   is left in `tmp/` after a crash is removed at start.
/// - `purges`: the purge journal (see `DiskJournal`).
/// - `sequence`: the first sequence number the next start may use (numbers are reserved in blocks).
/// - `lock`: held (`flock`) by the process that uses the directory.
struct DiskLayout: Sendable {
    let root: String

    var entries: String { self.root + "/entries" }
    var temporary: String { self.root + "/tmp" }
    var journal: String { self.root + "/purges" }
    var sequence: String { self.root + "/sequence" }
    var lock: String { self.root + "/lock" }

    func directory(for sequence: UInt64) -> String {
        self.entries + "/" + Self.hex(sequence & 0xFF, digits: 2)
    }

    func file(for sequence: UInt64) -> String {
        self.directory(for: sequence) + "/" + Self.hex(sequence, digits: 16)
    }

    func temporaryFile(for sequence: UInt64) -> String {
        self.temporary + "/" + Self.hex(sequence, digits: 16)
    }

    /// Every `entries/XX` directory.
    var entryDirectories: [String] {
        (0..<256).map { self.entries + "/" + Self.hex(UInt64($0), digits: 2) }
    }

    /// The sequence number an entry file's name stands for.
    static func sequence(ofName name: String) -> UInt64? {
        guard name.utf8.count == 16 else { return nil }
        return UInt64(name, radix: 16)
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.utf8.count)) + text
    }
}
