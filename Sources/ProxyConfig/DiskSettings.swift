/// `[cache] disk_path`, `disk_size`, `disk_max_object`: the persistent disk tier under memory.
public struct DiskSettings: Sendable, Equatable {
    /// The directory the tier keeps its files in (absolute once loaded from a file: a relative path is read from the
    /// config file's directory).
    public var path: String
    /// Byte budget of the files (each counted in whole 4 KiB blocks).
    public var size: Int
    /// Larger responses are not written to disk.
    public var maxObject: Int

    public init(path: String, size: Int = DiskSettings.defaultSize, maxObject: Int? = nil) {
        self.path = path
        self.size = size
        self.maxObject = maxObject ?? size / 8
    }

    public static let defaultSize = 1 << 30
}
