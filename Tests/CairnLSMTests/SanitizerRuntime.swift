import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Whether this test binary (and so the `cairn` it starts, built with the same flags) runs
/// under AddressSanitizer or ThreadSanitizer (`swift test --sanitize …`), and what changes then.
///
/// Tests that start the tool under a file-size limit (`ulimit -f`) cannot run there: the
/// sanitizer runtime maps and writes its shadow files at start-up, fails with EFBIG and
/// aborts the process before `main`. They are disabled under a sanitizer, with that reason;
/// every other test runs.
enum SanitizerRuntime {
    static let isActive: Bool = {
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        return dlsym(handle, "__asan_init") != nil || dlsym(handle, "__tsan_init") != nil
    }()

    /// The time limit of a test that guards against a hang: a minute; ten under a sanitizer,
    /// which runs the code 5 to 15 times slower (ThreadSanitizer at `7af7217`: five such tests
    /// passed alone in 11 to 13 s, and exceeded a minute in the whole suite on a loaded machine).
    static var hangLimit: TimeLimitTrait { .timeLimit(.minutes(isActive ? 10 : 1)) }

    static let fileSizeLimitReason: Comment =
        "the sanitizer runtime aborts at start-up under ulimit -f, before the tool runs (Docs/reliability.md, Sanitizers)"
}
