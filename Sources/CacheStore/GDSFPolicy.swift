/// GreedyDual-Size-Frequency (Cherkasova, "Improving WWW Proxies Performance with Greedy-Dual-Size-Frequency Caching
/// Policy", HP Labs 1998; Arlitt et al., "Evaluating Content Management Techniques for Web Proxy Caches", 2000): the
/// entry with the lowest `H = L + F × C / S` goes first, where F is how often it was used, C what it would cost to
/// fetch again (`EntryTraits.cost`), S its size in bytes, and L the H of the last entry evicted. L rises with every
/// eviction, so an entry that stops being used is overtaken by newer ones however valuable it once was (aging without
/// a timer). The budget is bytes and the goal is cost avoided, so value per byte (F × C / S) is what to keep: a 1 KiB
/// answer that took 2 s outranks a 1 MiB page that cost 600 characters, unless the page is read far more often.
///
/// A hit only raises the entry's H (L never falls, F grows), so the heap is updated lazily: a hit writes the new H
/// (O(1), no heap work on the hit path) and `victim()` settles an entry whose H grew when it reaches the top.
public struct GDSFPolicy: EvictionPolicy {
    /// H now.
    private var priority: [Double] = []
    /// The H the heap orders the entry by; at most `priority`.
    private var heapKey: [Double] = []
    /// C / S.
    private var density: [Double] = []
    private var uses: [UInt32] = []
    /// Index in `heap`, -1 when the slot is empty.
    private var position: [Int32] = []
    /// A binary min-heap of slots by `heapKey`.
    private var heap: [Int32] = []

    public init() {}

    public mutating func inserted(_ slot: Int, traits: EntryTraits, bytes: Int, context: EvictionContext) {
        while self.position.count <= slot {
            self.priority.append(0)
            self.heapKey.append(0)
            self.density.append(0)
            self.uses.append(0)
            self.position.append(-1)
        }
        self.density[slot] = traits.cost / Double(max(1, bytes))
        self.uses[slot] = UInt32(clamping: traits.frequency)
        let h = context.floor + Double(self.uses[slot]) * self.density[slot]
        self.priority[slot] = h
        self.heapKey[slot] = h
        self.position[slot] = Int32(self.heap.count)
        self.heap.append(Int32(slot))
        self.siftUp(self.heap.count - 1)
    }

    public mutating func touched(_ slot: Int, context: EvictionContext) {
        self.uses[slot] &+= self.uses[slot] == .max ? 0 : 1
        self.priority[slot] = max(self.priority[slot], context.floor + Double(self.uses[slot]) * self.density[slot])
    }

    public mutating func removed(_ slot: Int) {
        guard slot < self.position.count else { return }
        let index = Int(self.position[slot])
        guard index >= 0 else { return }
        self.position[slot] = -1
        let last = self.heap.removeLast()
        guard index < self.heap.count else { return }
        self.heap[index] = last
        self.position[Int(last)] = Int32(index)
        self.siftDown(index)
        self.siftUp(Int(self.position[Int(last)]))
    }

    public mutating func victim() -> (slot: Int, rank: Double)? {
        while let top = self.heap.first {
            let slot = Int(top)
            guard self.priority[slot] > self.heapKey[slot] else { return (slot, self.heapKey[slot]) }
            // Hit since it was placed: settle it at its new H and look again.
            self.heapKey[slot] = self.priority[slot]
            self.siftDown(0)
        }
        return nil
    }

    public func frequency(of slot: Int) -> Int { Int(self.uses[slot]) }

    // MARK: Heap

    private mutating func siftUp(_ start: Int) {
        var index = start
        let slot = self.heap[index]
        let key = self.heapKey[Int(slot)]
        while index > 0 {
            let parent = (index - 1) / 2
            let parentSlot = self.heap[parent]
            guard key < self.heapKey[Int(parentSlot)] else { break }
            self.heap[index] = parentSlot
            self.position[Int(parentSlot)] = Int32(index)
            index = parent
        }
        self.heap[index] = slot
        self.position[Int(slot)] = Int32(index)
    }

    private mutating func siftDown(_ start: Int) {
        var index = start
        let count = self.heap.count
        let slot = self.heap[index]
        let key = self.heapKey[Int(slot)]
        while true {
            let left = 2 * index + 1
            guard left < count else { break }
            var child = left
            if left + 1 < count, self.heapKey[Int(self.heap[left + 1])] < self.heapKey[Int(self.heap[left])] {
                child = left + 1
            }
            let childSlot = self.heap[child]
            guard self.heapKey[Int(childSlot)] < key else { break }
            self.heap[index] = childSlot
            self.position[Int(childSlot)] = Int32(index)
            index = child
        }
        self.heap[index] = slot
        self.position[Int(slot)] = Int32(index)
    }
}
