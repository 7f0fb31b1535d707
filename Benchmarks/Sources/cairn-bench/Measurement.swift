import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Histogram

/// Nanoseconds on the monotonic clock.
@inline(__always)
func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Per-operation latencies of one thread, merged after the run.
struct LatencyRecorder {
    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ nanos: UInt64) {
        _ = histogram.record(max(1, nanos))
    }

    mutating func merge(_ other: LatencyRecorder) {
        histogram.add(other.histogram)
    }

    /// Total seconds spent in operations that took longer than `nanos`.
    func secondsAbove(nanos: UInt64) -> Double {
        var total: Double = 0
        for bucket in histogram.recordedValues() where bucket.value > nanos {
            total += Double(bucket.value) * Double(bucket.count)
        }
        return total / 1e9
    }

    /// Latency at `percentile` (0–100) in microseconds.
    func micros(at percentile: Double) -> Double {
        Double(histogram.valueAtPercentile(percentile)) / 1000
    }
}

/// The process's storage I/O counters from /proc/self/io: bytes this process caused to be
/// written to (or read from) the storage layer, background threads included.
struct ProcessIO {
    var readBytes: UInt64 = 0
    var writeBytes: UInt64 = 0

    static func now() -> ProcessIO {
        var io = ProcessIO()
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return io }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":")
            guard parts.count == 2, let v = UInt64(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            if parts[0] == "read_bytes" { io.readBytes = v }
            if parts[0] == "write_bytes" { io.writeBytes = v }
        }
        return io
    }
}

/// Total size of the regular files under `path`.
func directorySize(_ path: String) -> UInt64 {
    guard let e = FileManager.default.enumerator(atPath: path) else { return 0 }
    var total: UInt64 = 0
    while let name = e.nextObject() as? String {
        if let attrs = try? FileManager.default.attributesOfItem(atPath: path + "/" + name),
           attrs[.type] as? FileAttributeType == .typeRegular,
           let size = attrs[.size] as? NSNumber
        {
            total += size.uint64Value
        }
    }
    return total
}

/// Reads the machine's description for reports: CPU model, cores, memory, kernel.
func machineDescription() -> String {
    var cpu = "unknown CPU"
    if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
       let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
       let colon = line.firstIndex(of: ":")
    {
        cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let memory = ProcessInfo.processInfo.physicalMemory >> 30
    return "\(cpu), \(cores) cores, \(memory) GiB RAM, \(ProcessInfo.processInfo.operatingSystemVersionString)"
}

/// Resident memory of the process over one workload: the kernel's high-water mark (VmHWM),
/// reset at the start through /proc/self/clear_refs, and the resident size when it started.
struct MemoryWindow {
    /// Resident bytes when the window began (the harness's key arrays, earlier engines'
    /// leftovers in the allocator).
    let residentAtStart: UInt64

    /// Returns freed heap to the OS, resets the peak and starts a window.
    static func begin() -> MemoryWindow {
        releaseFreeHeap()
        // "5" resets the peak resident size (Linux 4.0+); if it fails the peak is the
        // process's lifetime peak, which only overstates.
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            try? handle.write(contentsOf: Data("5".utf8))
            try? handle.close()
        }
        return MemoryWindow(residentAtStart: statusField("VmRSS") ?? 0)
    }

    /// Peak resident bytes since `begin` (VmHWM).
    func peak() -> UInt64 { MemoryWindow.statusField("VmHWM") ?? 0 }

    /// A "kB" field of /proc/self/status, in bytes.
    static func statusField(_ name: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let number = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
            return number.flatMap { UInt64($0) }.map { $0 * 1024 }
        }
        return nil
    }
}

/// glibc's malloc_trim(0), looked up at run time (malloc.h is not in the Glibc module): hands
/// freed heap back to the OS so one engine's leftovers do not count against the next.
func releaseFreeHeap() {
    #if canImport(Glibc)
    typealias Trim = @convention(c) (Int) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }
    #endif
}
