// Interruption.swift: Ctrl-C and friends while stencilc runs a tool.
// The tools stencilc starts run in their own process group (Foundation's Process puts them
// there), so a terminal's Ctrl-C reaches stencilc alone: without forwarding, stencilc would die
// and leave the stencil program (or mpirun and its ranks) running on, writing its output later.
// Once installed (by the executable), SIGINT, SIGTERM and SIGHUP are forwarded to the running
// child; a second signal kills it. When the child has ended, ProcessRunner reports the
// interruption as a DriverError (exit status 128 + signal). With no child running, stencilc
// removes the temporary files it registered and exits at once with 128 + signal.

import Foundation
import Synchronization

public enum Interruption {
    /// The running child's process id (0: none).
    static let child = Atomic<Int32>(0)
    /// The first signal received (0: none).
    static let received = Atomic<Int32>(0)
    static let installed = Atomic<Bool>(false)

    /// Installs the handlers, once, for SIGINT, SIGTERM and SIGHUP; a signal that was ignored
    /// when stencilc started (nohup, a background job) stays ignored.
    public static func install() {
        guard !installed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        // A process started from a thread that blocks signals (a libdispatch worker, as in a
        // Swift program that runs stencilc) inherits that mask, and so would every child:
        // Ctrl-C and SIGTERM would stay pending forever. Unblock them here, before any child.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            var previous = sigaction()
            sigaction(signalNumber, nil, &previous)
            // SIG_IGN is the handler value 1.
            if unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == 1 { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = interruptionHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signalNumber, &action, nil)
        }
    }

    /// The signal that interrupted stencilc, if one did.
    public static var signal: Int32? {
        let value = received.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    /// Called by ProcessRunner around each child: a signal that arrived before the child's id
    /// was known is delivered now.
    static func started(_ pid: Int32) {
        guard installed.load(ordering: .sequentiallyConsistent) else { return }
        child.store(pid, ordering: .sequentiallyConsistent)
        let pending = received.load(ordering: .sequentiallyConsistent)
        if pending != 0 { kill(pid, pending) }
    }

    static func finished() {
        guard installed.load(ordering: .sequentiallyConsistent) else { return }
        child.store(0, ordering: .sequentiallyConsistent)
    }

    /// The error for a run cut short by `signal`.
    static func error(_ signal: Int32, stopping what: String) -> DriverError {
        DriverError("interrupted by \(name(of: signal)): stopped \(what) before it finished; no output file was written",
                    exitCode: 128 + signal)
    }

    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT (Ctrl-C)"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGKILL: return "SIGKILL"
        default: return "signal \(signal)"
        }
    }

    // MARK: Temporary files to remove on an interruption with no child running

    private static let temporaryLock = Mutex<[String: UnsafeMutablePointer<CChar>]>([:])
    /// C copies of the registered paths, read by the signal handler (which must not lock or
    /// allocate): a fixed table of slots written only under the lock.
    nonisolated(unsafe) static var temporarySlots = [UnsafeMutablePointer<CChar>?](repeating: nil, count: 16)

    /// Registers a temporary file that an interruption must not leave behind.
    public static func registerTemporary(_ path: String) {
        temporaryLock.withLock { table in
            guard table[path] == nil, let slot = temporarySlots.firstIndex(where: { $0 == nil }) else { return }
            let copy = strdup(path)!
            table[path] = copy
            temporarySlots[slot] = copy
        }
    }

    public static func unregisterTemporary(_ path: String) {
        temporaryLock.withLock { table in
            guard let copy = table.removeValue(forKey: path) else { return }
            if let slot = temporarySlots.firstIndex(where: { $0 == copy }) { temporarySlots[slot] = nil }
            free(copy)
        }
    }
}

/// The handler: async-signal-safe calls only (kill, unlink, write, _exit) and atomics.
private func interruptionHandler(_ signalNumber: Int32) {
    let first = Interruption.received.compareExchange(expected: 0, desired: signalNumber,
                                                      ordering: .sequentiallyConsistent).exchanged
    let pid = Interruption.child.load(ordering: .sequentiallyConsistent)
    if pid > 0 {
        kill(pid, first ? signalNumber : SIGKILL)
        return
    }
    for slot in Interruption.temporarySlots { if let path = slot { unlink(path) } }
    let message: StaticString = "stencilc: error: interrupted; stopped\n"
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    _exit(128 + signalNumber)
}
